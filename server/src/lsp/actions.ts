/**
 * Actions a person starts from the editor: first a dry run that lists the exact commands (the
 * client shows them in a modal), then, once approved, the same action for real. The
 * environment's mode decides: `off` refuses (and audits the refusal); `suggest`, `confirm` and
 * `auto` all ask in the editor, since a person started it.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine/engine';
import type { ActionPlan, ActionReportView, PlanActionParams } from '../protocol/protocol';
import { reportView } from './riskViews';

/** A plan not run within this long must be planned again: the host may have changed. */
const PLAN_TTL_MS = 10 * 60_000;

interface Plan extends PlanActionParams {
  created: number;
  /** The config the dry run was built on: the run is refused on another. */
  configHash: string;
}

export class ActionDesk {
  private readonly plans = new Map<string, Plan>();

  async plan(engine: Engine, p: PlanActionParams): Promise<ActionPlan> {
    const mode = engine.environment(p.env).actions.mode;
    const reasons = p.reasons ?? [];
    if (mode === 'off') {
      const refused = `actions are off for ${p.env} (actions.mode: off in plumbline.yaml)`;
      const entry = engine.auditLog().record({ env: p.env, host: p.host, kind: 'action', action: p.action, outcome: 'refused', actor: engine.actor(), summary: `${p.action} refused: ${refused}`, details: { reasons } });
      const report: ActionReportView = { env: p.env, host: p.host, action: p.action, dryRun: true, status: 'refused', message: refused, reasons, steps: [], auditId: entry.id };
      return { env: p.env, host: p.host, action: p.action, mode, refused, report };
    }
    const dry = await engine.act(p.env, p.host, p.action, { dryRun: true, reasons: [...reasons, 'dry run for approval in VS Code'] });
    const report = reportView(dry);
    if (report.status !== 'planned') return { env: p.env, host: p.host, action: p.action, mode, refused: report.message, report };
    this.expire();
    const planId = randomUUID();
    this.plans.set(planId, { ...p, reasons, created: Date.now(), configHash: dry.configHash ?? '' });
    return { env: p.env, host: p.host, action: p.action, mode, planId, report };
  }

  /** Runs an approved plan once; the report is verified against the baseline and audited by the engine. */
  async run(engine: Engine, planId: string): Promise<ActionReportView> {
    this.expire();
    const plan = this.plans.get(planId);
    if (!plan) throw new Error('this plan expired or already ran; plan the action again');
    this.plans.delete(planId);
    if (engine.environment(plan.env).actions.mode === 'off') throw new Error(`actions are off for ${plan.env} (actions.mode changed to off since the plan)`);
    const reasons = [...(plan.reasons ?? []), `approved in VS Code by ${engine.actor()} after a dry run`];
    return reportView(await engine.act(plan.env, plan.host, plan.action, { reasons, approved: { configHash: plan.configHash } }));
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, p] of this.plans) if (now - p.created > PLAN_TTL_MS) this.plans.delete(id);
  }
}
