import { metricProfile } from '../detect/layer/metricProfile';
import type { LayerObservation } from '../detect/layer/types';
import type { DiffItem, DiffKind, HostDiff } from '../fingerprint/diff';
import type { Evidence } from '../policy/causeTypes';
import type { Fingerprint } from '../fingerprint/types';
import type { SnapshotRecord } from '../store/store';
import { fileDifferences, type HostState, type SnapshotFile } from './hostState';
import type { ActionKind, VerificationCheck } from './types';
import { activeColour, type Colour } from './upstream';

export interface VerifyInput {
  action: ActionKind;
  live: Fingerprint;
  /** Live diff against the active baseline; undefined when the host has none. */
  diff?: HostDiff;
  baseline?: Fingerprint;
  /** Rollback: the snapshot it went back to, and the host's files and release read after it. */
  snapshot?: SnapshotRecord;
  state?: HostState;
  /** Rollback: a managed file it leaves as it is (the switch's upstream), not compared with the snapshot. */
  leftAlone?: string;
  /** Switch (nginx-upstream): the colour traffic should now go to. */
  upstream?: { path: string; colour: Colour; addresses: Record<Colour, string> };
}

export interface VerifyResult {
  ok: boolean;
  checks: VerificationCheck[];
  drift: DiffItem[];
  otherDrift: DiffItem[];
}

/** Drift kinds each action is meant to fix; drift of these kinds fails its verification. */
const TARGET_KINDS: Record<ActionKind, readonly DiffKind[]> = {
  remediate: ['process', 'health', 'service'],
  switch: ['process', 'health', 'service'],
  // Release and files are checked against the snapshot instead, which is what rollback restores.
  rollback: ['process', 'health', 'service'],
};

/**
 * Did the host come back? Pure: a live capture (plus what the action itself read) in, checks out.
 * Health must answer 2xx, the app process must run when it ran in the baseline, and nothing the
 * action was meant to fix may still differ from the baseline — or, for rollback, from the snapshot.
 */
export function verifyAction(input: VerifyInput): VerifyResult {
  const checks: VerificationCheck[] = [];
  const { live } = input;
  if (!input.diff || !input.baseline) {
    checks.push({ name: 'baseline', ok: false, detail: 'no active baseline to verify against; promote one with `plumbline baseline`' });
  }
  const health = live.app.health;
  if (health) {
    const ok = health.status !== null && health.status >= 200 && health.status < 300;
    checks.push({ name: 'health', ok, detail: `${health.url} → ${health.status ?? `no response${health.error ? ` (${health.error})` : ''}`}` });
  }
  const wasRunning = (input.baseline?.app.process?.pids.length ?? 0) > 0;
  if (live.app.process && wasRunning) {
    const n = live.app.process.pids.length;
    checks.push({ name: 'process', ok: n > 0, detail: `${live.app.process.pattern}: ${n} process(es)` });
  }

  let expectedFile: string | undefined;
  if (input.upstream) {
    expectedFile = input.upstream.path;
    const file = live.app.files.find((f) => f.remote === input.upstream!.path);
    if (file?.content !== undefined) {
      const c = activeColour(file.content, input.upstream.addresses);
      checks.push({
        name: 'upstream',
        ok: c.ok && c.value === input.upstream.colour,
        detail: c.ok ? `${input.upstream.path} sends traffic to ${c.value}` : c.error,
      });
    }
  }

  if (input.snapshot && input.state) {
    const rel = input.snapshot.release;
    if (rel) {
      const now = input.state.release?.target ?? null;
      checks.push({ name: 'release', ok: now === rel.target, detail: `${rel.path} → ${now ?? '(none)'} (snapshot: ${rel.target ?? '(none)'})` });
    }
    for (const want of input.snapshot.files as SnapshotFile[]) {
      if (want.remote === input.leftAlone) {
        checks.push({ name: `file ${want.remote}`, ok: true, detail: 'left as the switch set it (which colour serves is the switch\'s decision)' });
        continue;
      }
      const diffs = fileDifferences(want, input.state.files.find((f) => f.remote === want.remote));
      checks.push({ name: `file ${want.remote}`, ok: diffs.length === 0, detail: diffs.length ? `differs from the snapshot: ${diffs.join(', ')}` : 'as in the snapshot' });
    }
  }

  const items = (input.diff?.items ?? []).filter((i) => i.severity !== 'info');
  const targets = TARGET_KINDS[input.action];
  const drift = items.filter((i) => targets.includes(i.kind));
  const otherDrift = items.filter((i) => !targets.includes(i.kind) && !(expectedFile && i.kind === 'file' && i.path.startsWith(`app.files.${expectedFile}`)));
  return { ok: checks.every((c) => c.ok) && drift.length === 0, checks, drift, otherDrift };
}

/** One metric of the reason that triggered an action, checked on the samples after it. */
export interface CureCheck {
  metric: string;
  ok: boolean;
  detail: string;
}

export interface CureVerdict {
  /** Whether every trigger metric is back (under its limit and off its trend, or within its normal). */
  cured: boolean;
  checks: CureCheck[];
  /** Samples looked at. */
  samples: number;
}

export interface CureCheckOptions {
  /** Limits by `layer.metric` (plumbline.yaml): a metric under its limit and not heading there within the horizon is cured. */
  limits: Record<string, number>;
  /** A trend that reaches the limit within this long is not cured. */
  horizonMs: number;
  /** Consecutive samples a metric must be back within its normal. */
  need: number;
}

/**
 * Is the reason that triggered an action gone? Pure: the trigger's evidence (metric, band,
 * limit) and the observations since the action in, a verdict per metric out. A metric with a
 * limit (disk, memory, latency) is cured when it is under the limit and its trend over the
 * samples does not reach the limit within the horizon; any other metric when its last `need`
 * values are back within the baseline's normal range on its bad side. Config evidence is the
 * action's own verification's to check (files, release), not this one's.
 */
export function checkCure(trigger: readonly Evidence[], observations: readonly LayerObservation[], opts: CureCheckOptions): CureVerdict {
  const checks: CureCheck[] = [];
  const seen = new Set<string>();
  const times = new Set(observations.map((o) => o.ts));
  for (const e of trigger) {
    const k = `${e.layer}.${e.metric}`;
    if (e.source === 'config' || e.source === 'nodata' || seen.has(k)) continue;
    seen.add(k);
    const series = observations.filter((o) => o.layer === e.layer).flatMap((o): Array<[number, number]> => (typeof o.metrics[e.metric] === 'number' ? [[o.ts, o.metrics[e.metric] as number]] : []));
    if (series.length < opts.need) {
      checks.push({ metric: k, ok: false, detail: `${series.length} of ${opts.need} samples so far` });
      continue;
    }
    const last = series[series.length - 1][1];
    const limit = opts.limits[k] ?? e.forecast?.limit;
    if (limit !== undefined) {
      const slope = slopePerMs(series.slice(-Math.max(opts.need, 10)));
      const reachMs = slope > 0 ? (limit - last) / slope : Infinity;
      // Off its trend: the slope that triggered the action is at most half what it was (a fresh
      // process warming up rises a little; a leak or a fill that goes on does not slow down).
      const was = e.forecast && e.forecast.slopePerSec > 0 ? e.forecast.slopePerSec / 1000 : null;
      const direction = metricProfile(e.metric).direction;
      const normal = e.band !== null && series.slice(-opts.need).every(([, v]) => (direction === 'down' ? v >= e.band!.low : v <= e.band!.high));
      const ok = last < limit && (normal || reachMs > opts.horizonMs || (was !== null && slope <= was / 2));
      checks.push({
        metric: k,
        ok,
        detail: `${fmtNum(last)} against the limit ${fmtNum(limit)}${normal ? `, back within its normal ${fmtNum(e.band!.low)}–${fmtNum(e.band!.high)}` : ''}; ${slope > 0 ? `rising, reaches it in ${Math.round(reachMs / 1000)} s` : 'not rising'}${ok ? '' : ` (cured needs it under the limit and back within its normal, or not reaching the limit within ${Math.round(opts.horizonMs / 1000)} s)`}`,
      });
      continue;
    }
    const recent = series.slice(-opts.need).map(([, v]) => v);
    const direction = metricProfile(e.metric).direction;
    const band = e.band ?? (typeof e.baseline === 'number' ? tolerance(e.metric, e.baseline) : null);
    if (!band) {
      checks.push({ metric: k, ok: false, detail: 'no baseline to compare with' });
      continue;
    }
    const inside = (v: number): boolean => (direction === 'up' ? v <= band.high : direction === 'down' ? v >= band.low : v >= band.low && v <= band.high);
    const ok = recent.every(inside);
    checks.push({ metric: k, ok, detail: `last ${recent.length}: ${recent.map(fmtNum).join(', ')}; normal ${fmtNum(band.low)}–${fmtNum(band.high)}` });
  }
  return { cured: checks.length > 0 && checks.every((c) => c.ok), checks, samples: times.size };
}

/** Without a band: the baseline plus three of the metric's noise floors. */
function tolerance(metric: string, baseline: number): { low: number; high: number } {
  const p = metricProfile(metric);
  const w = 3 * Math.max(p.absFloor, p.relFloor * Math.abs(baseline));
  return { low: baseline - w, high: baseline + w };
}

function slopePerMs(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : 0;
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}
