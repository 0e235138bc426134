import { metricProfile } from '../../detect/layer/metricProfile';
import type { CauseKind } from '../../policy/causeTypes';
import { RISK_LAYERS, type Finding, type HostRisk } from '../types';

/**
 * What the risk model sees of a host each interval: the deviation scores and their persistence,
 * forecasts with how well they hold up, the harm users see, the release and its age, managed-file
 * drift, which resource moved (the app's own, or the host's beside the app), and the cause.
 * Every feature is in [0, 1] and describes a class of cause, never a particular fault.
 */

/** Cause kinds the attribution names; one feature each (`cause.<kind>`). */
export const CAUSE_KINDS = [
  'deploy',
  'release-regression',
  'colour-fault',
  'neighbour',
  'app-resource',
  'disk-fill',
  'config-drift',
  'os-drift',
  'unknown',
] as const satisfies readonly CauseKind[];

export const FEATURES = [
  ...RISK_LAYERS.flatMap((l) => [`risk.${l}`, `persist.${l}`, `stats.${l}`, `model.${l}`]),
  'forecast.urgency',
  'forecast.held',
  'forecast.stable',
  'forecast.app',
  'forecast.disk',
  'harm',
  'harm.held',
  'harm.errors',
  'harm.latency',
  'harm.health',
  'app.restarts',
  'app.down',
  'app.resource',
  'traffic.up',
  'host.resource',
  'host.beside',
  'disk',
  'release.changed',
  'release.recent',
  'release.rollbackable',
  'config.file',
  ...CAUSE_KINDS.map((k) => `cause.${k}`),
] as const;

export type FeatureName = (typeof FEATURES)[number];

export interface FeatureInput {
  /** The thresholds' risk this interval (layers with their values and persistence counters). */
  risk: HostRisk;
  /** This interval's detector findings (after the load gate and headroom weighting). */
  findings: readonly Finding[];
  /** The release the host runs, its baseline's and its latest snapshot's (null: unknown or none). */
  release: { now: string | null; baseline: string | null; snapshot: string | null };
  /** When the active baseline was captured (ms): the age of a release that came with it. */
  baselineAt: number | null;
  /** The cause attribution, when there is one. */
  cause?: { kind: CauseKind } | null;
  /** The managed file a switch owns (its drift is the switch's doing). */
  switchFile?: string;
}

const SERVICE = new Set(['healthOk', 'healthLatencyMs', 'errorRatio']);
const APP_RESOURCE = new Set(['cpuPct', 'rssKiB', 'fds', 'threads']);
/** Persistence counts and helds reach 1 at this many intervals. */
const FULL_AT = 10;
/** A forecast's urgency is 1/2 at this time to breach. */
const URGENT_MS = 120_000;
/** A release changed this long ago is "recent" by half. */
const RECENT_MS = 5 * 60_000;
/** Forecast breach instants remembered per metric, to judge whether a forecast holds up. */
const FORECAST_MEMORY = 6;

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const maxOf = (xs: Iterable<number>): number => {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
};

/** How far a finding's value is on the bad side of its baseline, in the metric's own unit (0 if on the good side). */
function badExcess(f: Finding): number {
  if (typeof f.value !== 'number' || typeof f.baseline !== 'number') return 0;
  const d = metricProfile(f.metric).direction;
  const up = f.value - f.baseline;
  return Math.max(0, d === 'down' ? -up : d === 'up' ? up : Math.abs(up));
}

/**
 * Per host: the state features need across intervals (when the release changed, how long harm and
 * forecasts have held, where the forecasts put the breach). Pure: time comes in with the risk.
 */
export class FeatureTracker {
  private releaseSeen: { target: string | null; at: number } | null = null;
  private harmHeld = 0;
  private forecastHeld = 0;
  private readonly breachAt = new Map<string, number[]>();

  /** The feature vector for this interval, in `FEATURES` order. */
  next(input: FeatureInput): number[] {
    const { risk, findings } = input;
    const ts = risk.ts;
    const scored = findings.filter((f) => f.score > 0 && f.source !== 'nodata');
    const v: Record<string, number> = {};
    for (const l of RISK_LAYERS) {
      const layer = risk.layers[l];
      v[`risk.${l}`] = layer.state === 'nodata' ? 0 : clamp01(layer.value);
      v[`persist.${l}`] = clamp01(Math.max(layer.consecutive, layer.cumulative) / FULL_AT);
      v[`stats.${l}`] = maxOf(scored.filter((f) => f.layer === l && f.source === 'stats').map((f) => f.score));
      v[`model.${l}`] = maxOf(scored.filter((f) => f.layer === l && f.source === 'model').map((f) => f.score));
    }

    const forecasts = scored.filter((f) => f.source === 'forecast' && f.forecast?.timeToBreachMs != null);
    const urgency = (f: Finding): number => URGENT_MS / (URGENT_MS + Math.max(0, f.forecast!.timeToBreachMs!));
    this.forecastHeld = forecasts.length > 0 ? this.forecastHeld + 1 : 0;
    v['forecast.urgency'] = maxOf(forecasts.map(urgency));
    v['forecast.held'] = clamp01(this.forecastHeld / FULL_AT);
    v['forecast.stable'] = this.stability(forecasts, ts);
    v['forecast.app'] = maxOf(forecasts.filter((f) => f.layer === 'app').map(urgency));
    v['forecast.disk'] = maxOf(forecasts.filter((f) => f.metric === 'diskUsedPct').map(urgency));

    const service = scored.filter((f) => f.layer === 'app' && SERVICE.has(f.metric) && f.source !== 'config' && badExcess(f) > 0);
    const harm = maxOf(service.map((f) => f.score));
    this.harmHeld = harm >= 0.3 ? this.harmHeld + 1 : 0;
    v.harm = harm;
    v['harm.held'] = clamp01(this.harmHeld / FULL_AT);
    v['harm.errors'] = clamp01(2 * maxOf(service.filter((f) => f.metric === 'errorRatio').map(badExcess)));
    v['harm.latency'] = clamp01(
      maxOf(service.filter((f) => f.metric === 'healthLatencyMs').map((f) => Math.log2((Number(f.value) + 10) / (Number(f.baseline) + 10)))) / 4,
    );
    v['harm.health'] = clamp01(maxOf(service.filter((f) => f.metric === 'healthOk').map(badExcess)));

    const app = scored.filter((f) => f.layer === 'app' && f.source !== 'config');
    v['app.restarts'] = maxOf(app.filter((f) => f.metric === 'restarts').map((f) => f.score));
    v['app.down'] = maxOf(app.filter((f) => f.metric === 'processRunning').map((f) => f.score));
    v['app.resource'] = maxOf(app.filter((f) => APP_RESOURCE.has(f.metric) && badExcess(f) > 0).map((f) => f.score));
    v['traffic.up'] = maxOf(
      app.filter((f) => f.metric === 'requestRate' && typeof f.value === 'number' && typeof f.baseline === 'number' && f.value > f.baseline).map((f) => f.score),
    );
    const host = scored.filter((f) => f.layer !== 'app' && f.source !== 'config' && f.metric !== 'diskUsedPct');
    v['host.resource'] = maxOf(host.map((f) => f.score));
    v['host.beside'] = clamp01(v['host.resource'] - v['app.resource']);
    v.disk = maxOf(scored.filter((f) => f.metric === 'diskUsedPct').map((f) => f.score));

    const rel = input.release;
    const changed = rel.baseline !== null && rel.now !== rel.baseline;
    if (changed && this.releaseSeen?.target !== rel.now) this.releaseSeen = { target: rel.now, at: ts };
    if (!changed) this.releaseSeen = null;
    const since = changed ? this.releaseSeen!.at : rel.snapshot !== null && rel.now !== rel.snapshot ? input.baselineAt : null;
    v['release.changed'] = changed ? 1 : 0;
    v['release.recent'] = since === null ? 0 : Math.exp(-Math.max(0, ts - since) / RECENT_MS);
    v['release.rollbackable'] = rel.snapshot !== null && rel.now !== rel.snapshot ? 1 : 0;
    v['config.file'] = maxOf(
      risk.reasons.filter((r) => r.source === 'config' && r.metric.startsWith('file:') && r.metric !== `file:${input.switchFile ?? ''}`).map((r) => r.score),
    );
    for (const k of CAUSE_KINDS) v[`cause.${k}`] = input.cause?.kind === k ? 1 : 0;
    return FEATURES.map((name) => clamp01(v[name] ?? 0));
  }

  /**
   * Whether the forecasts hold up: the breach instant each predicted a few intervals ago against
   * the one predicted now, relative to the time left. A trend that is noise moves its breach
   * around; a real one keeps it.
   */
  private stability(forecasts: readonly Finding[], ts: number): number {
    const seen = new Set<string>();
    let best = 0;
    for (const f of forecasts) {
      const key = `${f.layer}:${f.metric}`;
      seen.add(key);
      const at = ts + f.forecast!.timeToBreachMs!;
      const hist = this.breachAt.get(key) ?? [];
      hist.push(at);
      if (hist.length > FORECAST_MEMORY) hist.shift();
      this.breachAt.set(key, hist);
      if (hist.length < 3) continue;
      const spread = Math.max(...hist) - Math.min(...hist);
      best = Math.max(best, 1 - clamp01(spread / Math.max(1, at - ts)));
    }
    for (const key of [...this.breachAt.keys()]) if (!seen.has(key)) this.breachAt.delete(key);
    return best;
  }
}

/** The names of features outside [lo, hi] of the training domain, with their values. */
export function outOfDomain(x: readonly number[], domain: { min: readonly number[]; max: readonly number[] }, margin = 0.1): string[] {
  const out: string[] = [];
  x.forEach((v, i) => {
    if (v < domain.min[i] - margin || v > domain.max[i] + margin) out.push(`${FEATURES[i]} ${v.toFixed(2)} (trained on ${domain.min[i].toFixed(2)}–${domain.max[i].toFixed(2)})`);
  });
  return out;
}
