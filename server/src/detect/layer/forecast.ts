import { fmt, fmtDuration, type Finding, type HostFacts, type Layer, type LayerObservation } from './types';

/**
 * Trend and time-to-breach for metrics that have a limit. Least squares over a sliding window with
 * an outlier guard (points beyond 3.5 robust σ of the residuals are dropped and the line refit),
 * and a forecast only from a trend that is not noise:
 *   - the slope is significant: its 90 % interval, with the standard error widened for the
 *     residuals' autocorrelation (samples a second apart are not independent), lies wholly on the
 *     side of the limit;
 *   - it holds on samples the fit did not see: the line fitted on the older two thirds of the window
 *     predicts the newest third better than "no further change" does (a start-up curve that levels
 *     off, or noise fitted as a trend, fails here);
 *   - both halves slope the same way at comparable rates (a level shift is a step, not a trend);
 *   - the breach is no further ahead than the horizon times the part of a full window the trend
 *     was seen over (a short start-up rise is not extrapolated half an hour).
 * The time to breach is given with its 90 % interval, from the slope's.
 */

/** Where a metric's limit comes from; the first one that resolves wins. */
export interface LimitSpec {
  /** `up`: breach when the metric rises to the limit; `down`: when it falls to it. */
  direction: 'up' | 'down';
  /** A configured limit, in the metric's unit. */
  value?: number;
  /** Another metric of the same observation carries the limit (e.g. `fdsLimit`). */
  fromMetric?: string;
  /** A fact about the host (e.g. `memTotalKiB` for an app's rss). */
  fromFact?: keyof HostFacts;
}

/** Defaults per layer. Configuration replaces an entry, or removes it with `null`. */
export const DEFAULT_LIMITS: Record<Layer, Record<string, LimitSpec>> = {
  app: {
    rssKiB: { direction: 'up', fromMetric: 'rssLimitKiB', fromFact: 'memTotalKiB' },
    fds: { direction: 'up', fromMetric: 'fdsLimit' },
    healthLatencyMs: { direction: 'up', value: 500 },
  },
  hardware: {
    memUsedPct: { direction: 'up', value: 100 },
    memUsedKiB: { direction: 'up', fromFact: 'memTotalKiB' },
    diskUsedPct: { direction: 'up', value: 95 },
  },
  os: {
    fds: { direction: 'up', fromMetric: 'fdsMax', fromFact: 'fdsMax' },
  },
};

export interface ForecastOptions {
  /** The sliding window: at most this many points... */
  windowPoints: number;
  /** ...and none older than this. */
  windowMs: number;
  minPoints: number;
  minSpanMs: number;
  minR2: number;
  /** A breach further away than this is no finding. */
  horizonMs: number;
  /** A breach this close (or already there) scores `ceiling`; at the horizon, `floor`; linear between. */
  urgentMs: number;
  floor: number;
  ceiling: number;
  /** A metric marked expected stays quiet until its slope exceeds the accepted one by this factor. */
  acceptedSlopeFactor: number;
}

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = {
  windowPoints: 120,
  windowMs: 15 * 60_000,
  minPoints: 12,
  minSpanMs: 30_000,
  minR2: 0.3,
  horizonMs: 30 * 60_000,
  urgentMs: 2 * 60_000,
  floor: 0.3,
  ceiling: 1,
  acceptedSlopeFactor: 1.5,
};

export interface TrendFit {
  n: number;
  slopePerMs: number;
  /** Standard error of the slope, widened for the residuals' lag-1 autocorrelation. */
  seAdjusted: number;
  /** Effective number of independent points (n·(1 − ρ)/(1 + ρ)). */
  nEffective: number;
  /** The fitted value at the last point's time: the current level without its noise. */
  current: number;
  r2: number;
  /** slope / standard error of the slope; ±Infinity on a perfect line. */
  t: number;
  spanMs: number;
}

interface Line {
  slope: number;
  intercept: number;
  ssr: number;
  sst: number;
  sxx: number;
  n: number;
}

/** Ordinary least squares over points `idx` of (x, y). */
function ols(x: ArrayLike<number>, y: ArrayLike<number>, idx: readonly number[]): Line | null {
  const n = idx.length;
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (const i of idx) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let sst = 0;
  for (const i of idx) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    sst += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (const i of idx) {
    const r = y[i] - (intercept + slope * x[i]);
    ssr += r * r;
  }
  return { slope, intercept, ssr, sst, sxx, n };
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

/**
 * The trend of (ts, values) in time order, or null when there are too few points. Timestamps are
 * shifted to the first point so large epoch values do not cost precision.
 */
export function fitTrend(ts: ArrayLike<number>, values: ArrayLike<number>): TrendFit | null {
  const n = Math.min(ts.length, values.length);
  if (n < 3) return null;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = ts[i] - ts[0];
  let idx = Array.from({ length: n }, (_, i) => i);
  let line = ols(x, values, idx);
  if (!line) return null;
  // Outlier guard: drop points far from the line in robust units, refit once.
  const residuals = idx.map((i) => values[i] - (line!.intercept + line!.slope * x[i]));
  const mad = median(residuals.map(Math.abs));
  if (mad > 0) {
    const limit = 3.5 * 1.4826 * mad;
    const kept = idx.filter((_, k) => Math.abs(residuals[k]) <= limit);
    if (kept.length < n && kept.length >= 3) {
      const refit = ols(x, values, kept);
      if (refit) {
        line = refit;
        idx = kept;
      }
    }
  }
  const { slope, intercept, ssr, sst, sxx } = line;
  const se = line.n > 2 ? Math.sqrt(ssr / (line.n - 2) / sxx) : Infinity;
  const t = se > 0 ? slope / se : slope === 0 ? 0 : Math.sign(slope) * Infinity;
  const r2 = sst > 0 ? 1 - ssr / sst : 0;
  // Lag-1 autocorrelation of the residuals (in time order): correlated noise looks like a trend to
  // plain least squares, and its standard error is too small by about √(n / n_eff).
  let num = 0;
  let den = 0;
  let prev = NaN;
  for (const i of idx) {
    const e = values[i] - (intercept + slope * x[i]);
    den += e * e;
    if (!Number.isNaN(prev)) num += e * prev;
    prev = e;
  }
  const rho = den > 0 ? Math.min(0.99, Math.max(0, num / den)) : 0;
  const nEffective = Math.max(3, (line.n * (1 - rho)) / (1 + rho));
  const seAdjusted = se * Math.sqrt((line.n - 2) / Math.max(1, nEffective - 2));
  return { n: line.n, slopePerMs: slope, seAdjusted, nEffective, current: intercept + slope * x[n - 1], r2, t, spanMs: x[n - 1] };
}

/** The one-sided 95 % quantile of Student's t with `df` degrees of freedom (Cornish–Fisher, within 2 % for df ≥ 3). */
export function t95(df: number): number {
  const z = 1.6449;
  const d = Math.max(1, df);
  return z + (z ** 3 + z) / (4 * d) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * d * d);
}

/**
 * Whether the line fitted on the older two thirds of (ts, values) predicts the newest third better
 * than the level it had reached at the end of those two thirds: the trend holds on samples the
 * fit did not see.
 */
export function holdsOutOfSample(ts: ArrayLike<number>, values: ArrayLike<number>): boolean {
  const n = Math.min(ts.length, values.length);
  const cut = Math.floor((2 * n) / 3);
  if (cut < 6 || n - cut < 3) return false;
  const fit = fitTrend(Array.prototype.slice.call(ts, 0, cut) as number[], Array.prototype.slice.call(values, 0, cut) as number[]);
  if (!fit) return false;
  let trendErr = 0;
  let flatErr = 0;
  for (let i = cut; i < n; i++) {
    trendErr += Math.abs(values[i] - (fit.current + fit.slopePerMs * (ts[i] - ts[cut - 1])));
    flatErr += Math.abs(values[i] - fit.current);
  }
  return trendErr < flatErr;
}

/** Milliseconds until `current` moving at `slopePerMs` reaches `limit`; 0 if already there; null if moving away or flat. */
export function timeToBreach(current: number, slopePerMs: number, limit: number, direction: 'up' | 'down'): number | null {
  const gap = direction === 'up' ? limit - current : current - limit;
  if (gap <= 0) return 0;
  const toward = direction === 'up' ? slopePerMs : -slopePerMs;
  if (!(toward > 0)) return null;
  return gap / toward;
}

/** Urgency of a breach `ttbMs` away: 0 beyond the horizon, `floor` at it, `ceiling` at `urgentMs` or closer. */
export function breachScore(ttbMs: number | null, o: Pick<ForecastOptions, 'horizonMs' | 'urgentMs' | 'floor' | 'ceiling'>): number {
  if (ttbMs === null || ttbMs > o.horizonMs) return 0;
  if (ttbMs <= o.urgentMs) return o.ceiling;
  return o.floor + ((o.ceiling - o.floor) * (o.horizonMs - ttbMs)) / (o.horizonMs - o.urgentMs);
}

/** A fixed-capacity ring of (ts, value) points. */
class Ring {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  private start = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  push(t: number, v: number): void {
    const at = (this.start + this.length) % this.capacity;
    this.ts[at] = t;
    this.vs[at] = v;
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }

  dropBefore(t: number): void {
    while (this.length > 0 && this.ts[this.start] < t) {
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }

  /** Points in time order, from `from` (inclusive) to `to` (exclusive) positions. */
  slice(from = 0, to = this.length): { ts: Float64Array; vs: Float64Array } {
    const n = Math.max(0, to - from);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = (this.start + from + k) % this.capacity;
      ts[k] = this.ts[i];
      vs[k] = this.vs[i];
    }
    return { ts, vs };
  }
}

export interface ForecastResult {
  metric: string;
  limit: number;
  direction: 'up' | 'down';
  fit: TrendFit;
  timeToBreachMs: number | null;
  /** The 90 % interval of the time to breach, from the slope's 90 % interval. */
  rangeMs: [number, number] | null;
  score: number;
}

/** The forecaster of one (host, layer): a window per limited metric, fed one observation at a time. */
export class Forecaster {
  readonly options: ForecastOptions;
  private readonly windows = new Map<string, Ring>();
  private readonly accepted = new Map<string, number>();
  private readonly limits: Record<string, LimitSpec>;

  constructor(
    readonly layer: Layer,
    limits: Record<string, LimitSpec | null> = {},
    private readonly facts: HostFacts = {},
    options: Partial<ForecastOptions> = {},
  ) {
    this.options = { ...DEFAULT_FORECAST_OPTIONS, ...options };
    const merged: Record<string, LimitSpec | null> = { ...DEFAULT_LIMITS[layer], ...limits };
    this.limits = Object.fromEntries(Object.entries(merged).filter((e): e is [string, LimitSpec] => e[1] !== null));
  }

  limitOf(metric: string, obs: LayerObservation): { limit: number; direction: 'up' | 'down' } | null {
    const spec = this.limits[metric];
    if (!spec) return null;
    const fromMetric = spec.fromMetric === undefined ? null : obs.metrics[spec.fromMetric];
    const fromFact = spec.fromFact === undefined ? undefined : this.facts[spec.fromFact];
    const limit = spec.value ?? (typeof fromMetric === 'number' ? fromMetric : undefined) ?? fromFact;
    return limit !== undefined && Number.isFinite(limit) ? { limit, direction: spec.direction } : null;
  }

  /** Adds the observation to the windows and forecasts every limited metric it carries. */
  update(obs: LayerObservation): ForecastResult[] {
    const o = this.options;
    const out: ForecastResult[] = [];
    for (const metric of Object.keys(this.limits)) {
      const value = obs.metrics[metric];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      let ring = this.windows.get(metric);
      if (!ring) this.windows.set(metric, (ring = new Ring(o.windowPoints)));
      ring.push(obs.ts, value);
      ring.dropBefore(obs.ts - o.windowMs);
      const lim = this.limitOf(metric, obs);
      if (!lim) continue;
      const r = this.forecast(metric, ring, lim.limit, lim.direction);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * The forecast from the whole window, else from its newest half: a leak
   * that began inside the window (a hockey stick) is judged on the stretch where it runs, not
   * averaged with the flat part before it.
   */
  private forecast(metric: string, ring: Ring, limit: number, direction: 'up' | 'down'): ForecastResult | null {
    const o = this.options;
    const whole = this.forecastFrom(metric, ring, 0, limit, direction);
    if (whole || ring.length < 2 * o.minPoints) return whole;
    // Only where the newer half climbs faster than the older one (a leak that began): a curve that
    // levels off climbs fastest in its older half and is no leak.
    const half = ring.length >> 1;
    const older = ring.slice(0, half);
    const newer = ring.slice(half);
    const fa = fitTrend(older.ts, older.vs);
    const fb = fitTrend(newer.ts, newer.vs);
    const sign = direction === 'up' ? 1 : -1;
    if (!fa || !fb || !(sign * fb.slopePerMs > sign * fa.slopePerMs)) return null;
    return this.forecastFrom(metric, ring, half, limit, direction);
  }

  private forecastFrom(metric: string, ring: Ring, from: number, limit: number, direction: 'up' | 'down'): ForecastResult | null {
    const o = this.options;
    const { ts, vs } = ring.slice(from);
    const fit = fitTrend(ts, vs);
    if (!fit || fit.spanMs < o.minSpanMs || fit.n < o.minPoints) return null;
    // A level (the fitted current value, not one noisy sample) already at the limit is a breach
    // whatever the trend.
    const breached = direction === 'up' ? fit.current >= limit : fit.current <= limit;
    let rangeMs: [number, number] | null = null;
    if (!breached) {
      // Toward the limit, and significantly so: the slope's 90 % interval excludes 0 on that side.
      const toward = direction === 'up' ? fit.slopePerMs : -fit.slopePerMs;
      const margin = t95(fit.nEffective - 2) * fit.seAdjusted;
      if (!(toward - margin > 0) || fit.r2 < o.minR2) return null;
      if (!holdsOutOfSample(ts, vs)) return null;
      const gap = Math.abs(limit - fit.current);
      rangeMs = [gap / (toward + margin), gap / (toward - margin)];
      const half = (ring.length - from) >> 1;
      const a = ring.slice(from, from + half);
      const b = ring.slice(from + half);
      const fa = fitTrend(a.ts, a.vs);
      const fb = fitTrend(b.ts, b.vs);
      if (!fa || !fb || !consistent(fa.slopePerMs, fb.slopePerMs, fit.slopePerMs)) return null;
      // Slowing down significantly (the newer half's slope below the older half's by more than 1.645
      // standard errors of the difference) is a curve levelling off, as an app's start-up is.
      const slowing = direction === 'up' ? fa.slopePerMs - fb.slopePerMs : fb.slopePerMs - fa.slopePerMs;
      if (slowing > 1.6449 * Math.hypot(fa.seAdjusted, fb.seAdjusted)) return null;
      const ack = this.accepted.get(metric);
      if (ack !== undefined && Math.abs(fit.slopePerMs) <= Math.abs(ack) * o.acceptedSlopeFactor) return null;
    }
    const timeToBreachMs = breached ? 0 : timeToBreach(fit.current, fit.slopePerMs, limit, direction);
    // A line is trusted ahead in proportion to the part of a full window it was fitted on: a full
    // window (windowPoints at this sampling interval, at most windowMs) reaches the horizon, half a
    // window half as far. A minute of an app's start-up growth says nothing of half an hour ahead.
    if (timeToBreachMs !== null && timeToBreachMs > 0 && timeToBreachMs > reachOf(ts, fit.spanMs, o)) return null;
    return { metric, limit, direction, fit, timeToBreachMs, rangeMs, score: breachScore(timeToBreachMs, o) };
  }

  /** Feedback: the current trend of `metric` is expected; stay quiet unless it steepens. */
  accept(metric: string): void {
    const ring = this.windows.get(metric);
    if (!ring || ring.length < 3) return;
    const { ts, vs } = ring.slice();
    const fit = fitTrend(ts, vs);
    if (fit) this.accepted.set(metric, fit.slopePerMs);
  }

  /** Observations with findings (score > 0). */
  findings(obs: LayerObservation): Finding[] {
    return this.update(obs)
      .filter((r) => r.score > 0)
      .map((r) => toFinding(this.layer, obs, r));
  }

  /** Forget the windows (after a new baseline: old trends are not the new deployment's). */
  reset(): void {
    for (const ring of this.windows.values()) ring.clear();
    this.accepted.clear();
  }

  acceptedSlopes(): Record<string, number> {
    return Object.fromEntries(this.accepted);
  }

  restoreAccepted(slopes: Record<string, number>): void {
    for (const [k, v] of Object.entries(slopes)) this.accepted.set(k, v);
  }
}

/** How far ahead a fit over `spanMs` of the points `ts` may forecast: the horizon, scaled by the part of a full window it covers. */
export function reachOf(ts: ArrayLike<number>, spanMs: number, o: Pick<ForecastOptions, 'horizonMs' | 'windowMs' | 'windowPoints'>): number {
  const n = ts.length;
  if (n < 2 || !(spanMs > 0)) return 0;
  const interval = spanMs / (n - 1);
  const fullSpan = Math.min(o.windowMs, (o.windowPoints - 1) * interval);
  return o.horizonMs * Math.min(1, spanMs / fullSpan);
}

/**
 * Both halves of the window slope the way the whole does, at comparable rates (within 4× of each
 * other and of the whole): a step inside the window makes the halves flat and the whole steep.
 */
function consistent(first: number, second: number, whole: number): boolean {
  if (Math.sign(first) !== Math.sign(whole) || Math.sign(second) !== Math.sign(whole)) return false;
  const a = Math.abs(first);
  const b = Math.abs(second);
  return Math.min(a, b) >= 0.25 * Math.max(a, b, Math.abs(whole));
}

/** "21–40 min": the interval in the larger unit of its ends. */
function range(r: [number, number] | null, point: number | null): string {
  if (!r) return fmtDuration(point ?? Infinity);
  const [lo, hi] = r;
  if (!Number.isFinite(hi)) return `${fmtDuration(lo)} or more`;
  if (hi < 90_000) return `${Math.round(lo / 1000)}–${Math.round(hi / 1000)} s`;
  if (hi < 3_600_000) return `${Math.max(1, Math.round(lo / 60_000))}–${Math.round(hi / 60_000)} min`;
  return `${(lo / 3_600_000).toFixed(1)}–${(hi / 3_600_000).toFixed(1)} h`;
}

function toFinding(layer: Layer, obs: LayerObservation, r: ForecastResult): Finding {
  const slopePerSec = r.fit.slopePerMs * 1000;
  const value = obs.metrics[r.metric] as number;
  return {
    ts: obs.ts,
    layer,
    source: 'forecast',
    metric: r.metric,
    value,
    baseline: null,
    threshold: r.limit,
    score: r.score,
    forecast: { limit: r.limit, timeToBreachMs: r.timeToBreachMs, slopePerSec, ...(r.rangeMs ? { rangeMs: r.rangeMs } : {}) },
    detail:
      r.timeToBreachMs === 0
        ? `${r.metric} ${fmt(value)} is at or past its limit ${fmt(r.limit)}.`
        : `${r.metric} ${fmt(value)} reaches ${fmt(r.limit)} in ${range(r.rangeMs, r.timeToBreachMs)} (90 %) at ${fmt(slopePerSec)}/s ` +
          `(trend over ${r.fit.n} points, R² ${r.fit.r2.toFixed(2)}, holds on the newest third of them).`,
  };
}
