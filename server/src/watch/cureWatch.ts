import { checkCure, type CureCheck, type CureCheckOptions } from '../act/verify';
import type { ActionReport } from '../act/types';
import type { LayerObservation } from '../detect/layer/types';
import type { Decision, Evidence } from '../policy';

/** An action's cure, checked against what triggered it. */
export interface CureResult {
  host: string;
  action: string;
  tier: number;
  cured: boolean;
  /** The window the trigger had to clear in, and how long it took. */
  windowMs: number;
  tookMs: number;
  trigger: Array<Pick<Evidence, 'layer' | 'metric' | 'source' | 'band' | 'baseline' | 'now'>>;
  checks: CureCheck[];
  samples: number;
  /** One sentence: "cured: …" or "NOT CURED: …". */
  summary: string;
}

/**
 * The reason an action is judged by: what users saw when there was harm (after a switch the idle
 * colour may still misbehave; that is not what the switch was for), else the cause's evidence —
 * except for a switch, which changes only which colour users get: without harm it is judged by
 * what users get staying within its normal (`service`), not by the idle colour's resources.
 */
export function triggerOf(decision: Decision, service: readonly Evidence[] = []): Evidence[] {
  const cause = decision.cause;
  if (!cause) return [];
  const own = cause.harm.length > 0 ? cause.harm : decision.action === 'switch' && service.length > 0 ? service : cause.evidence;
  return own.filter((e) => e.source !== 'config' && e.source !== 'nodata');
}

/**
 * Watches the samples after one action until its trigger has cleared (cured) or its window is
 * over (not cured). An action whose trigger is configuration only (a file restored, a release
 * returned) is judged by the action's own verification, which compared exactly that.
 */
export class CureWatch {
  private readonly obs: LayerObservation[] = [];
  private readonly trigger: Evidence[];

  constructor(
    readonly decision: Decision,
    private readonly report: ActionReport,
    private readonly opts: CureCheckOptions & { windowMs: number; startedAt: number; service?: Evidence[] },
  ) {
    this.trigger = triggerOf(decision, opts.service);
  }

  /** Decided at once, without samples: a configuration-only trigger, or an action that did not complete. */
  immediate(): CureResult | null {
    if (this.report.status !== 'done') return this.result(false, [], `NOT CURED: the ${this.report.action} did not complete (${this.report.status}): ${this.report.message}`);
    if (this.trigger.length === 0) return this.result(true, [], `cured: the trigger was configuration, and the ${this.report.action}'s verification found it restored`);
    return null;
  }

  /** One sample's observations; a result once decided. */
  add(observations: readonly LayerObservation[], now: number): CureResult | null {
    this.obs.push(...observations);
    const v = checkCure(this.trigger, this.obs, this.opts);
    const over = now - this.opts.startedAt >= this.opts.windowMs;
    if (v.cured) return this.result(true, v.checks, `cured: ${v.checks.map((c) => `${c.metric} ${c.detail}`).join('; ')}`, v.samples, now);
    if (!over) return null;
    const failed = v.checks.filter((c) => !c.ok);
    return this.result(false, v.checks, `NOT CURED within ${Math.round(this.opts.windowMs / 1000)} s: ${failed.map((c) => `${c.metric} ${c.detail}`).join('; ')}`, v.samples, now);
  }

  private result(cured: boolean, checks: CureCheck[], summary: string, samples = 0, now = this.opts.startedAt): CureResult {
    return {
      host: this.decision.host,
      action: this.report.action,
      tier: this.decision.tier ?? 0,
      cured,
      windowMs: this.opts.windowMs,
      tookMs: now - this.opts.startedAt,
      trigger: this.trigger.map((e) => ({ layer: e.layer, metric: e.metric, source: e.source, band: e.band, baseline: e.baseline, now: e.now })),
      checks,
      samples,
      summary,
    };
  }
}
