import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  AnswerFleetApproval,
  ApproveDecision,
  FleetApprovals,
  PlanAction,
  RunAction,
  type ActionKindName,
  type ActionPlan,
  type ActionReportView,
  type ApproveDecisionParams,
  type FleetApprovalView,
} from '../../server/src/protocol/protocol';
import { reasonLine } from '../../server/src/protocol/riskWords';
import type { Modals } from './modal';

export interface ActionDeps {
  client: () => LanguageClient;
  modals: Modals;
  output: vscode.LogOutputChannel;
}

export const ACTION_VERBS: Record<ActionKindName, string> = {
  remediate: 'Remediate',
  switch: 'Switch to the known-good colour on',
  rollback: 'Roll back',
};

/** The exact commands that would change the host, numbered, as the modal shows them. */
export function commandList(report: ActionReportView): string {
  const changes = report.steps.filter((s) => s.effect === 'change');
  if (changes.length === 0) return 'No command would change the host.';
  return changes.map((s, i) => `${i + 1}. ${s.title}\n   $ ${s.command}`).join('\n');
}

function planDetail(plan: ActionPlan): string {
  const lines = [
    `Host: ${plan.host} (environment ${plan.env}, actions.mode: ${plan.mode})`,
    '',
    'These commands will run on the host, exactly:',
    commandList(plan.report),
    '',
    'Plumbline takes the host lock first, then re-captures the host and verifies it against its baseline.',
  ];
  if (plan.report.reasons.length) lines.push('', `Why: ${plan.report.reasons.join('; ')}`);
  return lines.join('\n');
}

/**
 * A destructive action a person started (code action, tree node, palette): dry run first, then a
 * modal with the exact host and commands, then the action and its verification. The server
 * refuses when the environment's actions.mode is off.
 */
export async function runHostAction(deps: ActionDeps, action: ActionKindName, target: { env: string; host: string }, reasons: string[]): Promise<ActionReportView | undefined> {
  const verb = ACTION_VERBS[action];
  const client = deps.client();
  const plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Plumbline: planning ${verb.toLowerCase()} ${target.host}` }, () =>
    client.sendRequest(PlanAction.type, { ...target, action, reasons }),
  );
  if (!plan.planId) {
    deps.output.warn(`${verb} ${target.host}: ${plan.refused ?? plan.report.message}`);
    void vscode.window.showErrorMessage(`Plumbline: ${verb} ${target.host} refused: ${plan.refused ?? plan.report.message}`);
    return plan.report;
  }
  const go = `${verb} ${target.host}`;
  const answer = await deps.modals.ask({ message: `${verb} ${target.host} in ${target.env}?`, detail: planDetail(plan), buttons: [go] });
  if (answer !== go) {
    deps.output.info(`${verb} ${target.host}: not approved; nothing ran (the dry run is in the audit log)`);
    return undefined;
  }
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Plumbline: ${verb.toLowerCase()} ${target.host}` }, () =>
    client.sendRequest(RunAction.type, { planId: plan.planId! }),
  );
  logReport(deps.output, report);
  if (report.status !== 'done') {
    // A failed or unverified action needs a person: this is the one pop-up that must show.
    void vscode.window.showErrorMessage(`Plumbline: ${report.message}`, 'Show Log').then((a) => a && deps.output.show());
  }
  return report;
}

function logReport(output: vscode.LogOutputChannel, r: ActionReportView): void {
  output.info(`${r.action} ${r.host}: ${r.status}: ${r.message}${r.auditId !== undefined ? ` (audit #${r.auditId})` : ''}`);
  for (const s of r.steps.filter((x) => x.ran && x.effect === 'change')) output.info(`  ran: ${s.command}${s.code !== undefined ? ` → ${s.code}` : ''}`);
  for (const c of r.verification?.checks.filter((x) => !x.ok) ?? []) output.warn(`  verification: ${c.name}: ${c.detail}`);
}

/** Confirm mode while watching: the policy asks, a person approves the exact commands (or not). */
export function registerApprovals(lc: LanguageClient, deps: Omit<ActionDeps, 'client'>): void {
  lc.onRequest(ApproveDecision.type, async (p: ApproveDecisionParams) => {
    const verb = ACTION_VERBS[p.action];
    const go = `Approve: ${verb} ${p.host}`;
    const detail = [
      `The policy decided tier ${p.tier} for ${p.host} (environment ${p.env}, actions.mode: confirm):`,
      p.why,
      ...p.reasons.slice(0, 3).map((r) => `• ${reasonLine(r)}`),
      '',
      'Approving runs these commands on the host, exactly:',
      commandList(p.plan),
    ].join('\n');
    const answer = await deps.modals.ask({ message: `Plumbline: ${verb} ${p.host} (tier ${p.tier})?`, detail, buttons: [go] });
    deps.output.info(`policy tier ${p.tier} ${p.action} on ${p.host}: ${answer === go ? 'approved' : 'not approved'} in the editor`);
    return { approved: answer === go };
  });
}

/**
 * A shared fleet's pending confirm-mode requests (the workers of `plumbline serve` ask through the
 * store): pick one, read what the worker would run, approve or deny. The answer goes to the store,
 * and the worker holding the host acts on an approval, as with `plumbline approve`. `arg.id`
 * answers that request without the pick.
 */
export async function answerFleetApproval(deps: ActionDeps, env: string, arg: unknown): Promise<{ ok: boolean; message: string } | undefined> {
  const client = deps.client();
  const pending = await client.sendRequest(FleetApprovals.type, { env });
  const wanted = arg && typeof arg === 'object' && 'id' in arg && typeof arg.id === 'number' ? arg.id : undefined;
  let chosen: FleetApprovalView | undefined = wanted !== undefined ? pending.find((a) => a.id === wanted) : pending.length === 1 ? pending[0] : undefined;
  if (wanted !== undefined && !chosen) return { ok: false, message: `no pending approval #${wanted} in ${env}` };
  if (pending.length === 0) {
    deps.output.info(`${env}: no fleet worker waits for an approval`);
    void vscode.window.showInformationMessage(`Plumbline: no fleet worker of ${env} waits for an approval.`);
    return undefined;
  }
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      pending.map((a) => ({ label: `#${a.id} ${a.host}`, description: `tier ${a.tier ?? '?'} ${a.action ?? ''}, worker ${a.worker}`, detail: a.why, approval: a })),
      { title: `Plumbline: pending approvals in ${env}` },
    );
    chosen = pick?.approval;
  }
  if (!chosen) return undefined;
  const approve = `Approve #${chosen.id}`;
  const deny = `Deny #${chosen.id}`;
  const detail = [
    `Worker ${chosen.worker} holds ${chosen.host} (environment ${chosen.env}) and asks, since ${chosen.requestedAt}:`,
    chosen.why,
    '',
    chosen.commands.length ? 'Approving lets it run these commands on the host, exactly:' : 'Its plan lists no command that changes the host.',
    ...chosen.commands.map((c, i) => `${i + 1}. $ ${c}`),
    '',
    'The worker acts only while it still holds the host (its lease token is checked on the host lock).',
  ].join('\n');
  const answer = await deps.modals.ask({ message: `Plumbline: tier ${chosen.tier ?? '?'} ${chosen.action ?? 'action'} on ${chosen.host}?`, detail, buttons: [approve, deny] });
  if (answer !== approve && answer !== deny) return undefined;
  const r = await client.sendRequest(AnswerFleetApproval.type, { env, id: chosen.id, approve: answer === approve });
  (r.ok ? deps.output.info : deps.output.warn).call(deps.output, `${env}: ${r.message}`);
  return r;
}
