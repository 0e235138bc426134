import { metricProfile } from '../detect/layer/metricProfile';
import type { Reason } from '../risk/types';
import type { ActionKind, Tier } from './types';

/**
 * Signals users see: the health endpoint and the error share, measured through the front door
 * (nginx), so after a switch they describe the colour that serves. Process metrics (cpu, rss,
 * restarts) include the idle colour too and say nothing about what users get.
 */
const SERVICE_METRICS: ReadonlySet<string> = new Set(['healthOk', 'healthLatencyMs', 'errorRatio']);

/** A service signal counts as users affected from this score (the default minor threshold). */
export const SERVICE_IMPACT_MIN = 0.3;

/**
 * Whether users are affected: a service signal measured worse than its baseline, scoring at least `minScore`.
 * A service metric that is merely missing (a metrics endpoint that did not answer once) or that
 * a model names while it sits at its baseline is no evidence of that.
 */
export function serviceImpact(reasons: readonly Reason[], minScore = SERVICE_IMPACT_MIN): boolean {
  return reasons.some(
    (r) =>
      r.layer === 'app' &&
      SERVICE_METRICS.has(r.metric) &&
      r.score >= minScore &&
      r.source !== 'nodata' &&
      r.source !== 'config' &&
      typeof r.value === 'number' &&
      typeof r.baseline === 'number' &&
      (metricProfile(r.metric).direction === 'down' ? r.baseline - r.value : r.value - r.baseline) > 0,
  );
}

/**
 * Which tier fixes what the reasons point at, when the cause is known. `raise` says the cause is
 * firm enough to act above the tier the risk level calls for (a managed file that drifted, a
 * release that changed under a forecast breach); otherwise the cure may only lower the tier (a
 * severe fault confined to the serving colour is cured by a switch, not a rollback).
 */
export interface Cure {
  tier: Tier;
  raise: boolean;
  /**
   * The action was configured for exactly this cause (clean-up commands for a filling disk): it is
   * taken at any risk level, even severe, where a generic tier 1 never is.
   */
  exact?: boolean;
  why: string;
}

export interface CureContext {
  /** The release target now and in the host's latest snapshot; null when unknown. */
  release: { now: string | null; snapshot: string | null } | null;
  configured: Readonly<Record<ActionKind, boolean>>;
  /** `actions.remediate.commands` exist: the user's own clean-up, the cure for a filling disk. */
  cleanup: boolean;
  /** A managed file rollback leaves alone (the switch's upstream): its drift is not a rollback's to cure. */
  switchFile?: string;
}

/** Config drift worth a rollback: a managed file or the release link of the app layer, at medium or worse. */
const ROLLBACK_DRIFT_SCORE = 0.45;

/** Reasons within this share of the strongest one are "what the risk is about". */
const LEADING_SHARE = 0.5;

/**
 * The cure for a host's reasons, or null when they do not point at one (other hardware and OS
 * findings: the tier follows the risk level). In order: a filling disk → remediate when clean-up
 * commands are configured (neither a switch nor a rollback frees a disk); app config drift → rollback (it restores the
 * snapshot's files); app findings on a release other than the snapshot's → rollback (the
 * deployment is the change); app findings on the snapshot's own release → switch (the idle colour
 * runs the same release, so what differs is the serving process).
 */
export function cureFor(reasons: readonly Reason[], ctx: CureContext): Cure | null {
  const scored = reasons.filter((r) => r.score > 0);
  if (scored.length === 0) return null;
  const top = Math.max(...scored.map((r) => r.score));
  const leading = scored.filter((r) => r.score >= top * LEADING_SHARE);

  const drift = scored.find(
    (r) => r.layer === 'app' && r.source === 'config' && r.score >= ROLLBACK_DRIFT_SCORE && !(ctx.switchFile && r.metric === `file:${ctx.switchFile}`),
  );
  if (drift && ctx.configured.rollback) {
    return { tier: 3, raise: true, why: `${drift.metric} drifted from the baseline and a rollback restores the snapshot's copy` };
  }
  const disk = leading.find((r) => r.layer === 'hardware' && r.metric === 'diskUsedPct');
  if (disk && ctx.cleanup && ctx.configured.remediate) {
    return { tier: 1, raise: true, exact: true, why: `the disk fills (${disk.detail.replace(/\.$/, '')}) and the remediate commands clean it up` };
  }
  if (!leading.some((r) => r.layer === 'app')) return null;
  const rel = ctx.release;
  if (rel && rel.snapshot !== null && rel.now !== rel.snapshot && ctx.configured.rollback) {
    const forecast = leading.some((r) => r.layer === 'app' && r.source === 'forecast');
    return {
      tier: 3,
      raise: forecast,
      why: `the app runs ${rel.now ?? '(no release)'}, deployed after the snapshot (${rel.snapshot}); a rollback returns to it`,
    };
  }
  if (rel && rel.now === rel.snapshot && ctx.configured.switch) {
    // Users affected on the serving colour are moved at once, at any level: a switch is cheap and
    // reversible. Resource findings alone (cpu, rss) do not raise a minor risk to a switch.
    const users = serviceImpact(leading);
    return {
      tier: 2,
      raise: users,
      why: `the app misbehaves${users ? ' for users' : ''} on the release the snapshot has too, so the idle colour is the cure`,
    };
  }
  return null;
}
