import * as ss from 'simple-statistics';
import { metricProfile, type Direction, type MetricProfile } from './metricProfile';
import { fmt, type Finding, type Layer, type LayerObservation } from './types';

/**
 * Robust statistics of one metric against a baseline window (the samples right after a good
 * deployment): median and MAD, the p01/p99 quantiles, and a floor so a metric that never moved
 * does not turn a one-unit wobble into a huge z.
 */
export interface RobustStats {
  n: number;
  median: number;
  /** Median absolute deviation (unscaled). */
  mad: number;
  p01: number;
  p99: number;
  /** max(absFloor, relFloor·|median|), in the metric's unit. */
  floor: number;
}

export interface RobustOptions {
  /** Robust z at which the score starts rising from 0. */
  zStart: number;
  /** Score = 1 − exp(−(z − zStart) / zSpread) above zStart: 0.63 at zStart + zSpread, 0.86 at + 2·zSpread. */
  zSpread: number;
  /** Accepted states per metric (the baseline plus ones marked expected); the oldest accepted go first. */
  maxModes: number;
  profiles?: Record<string, Partial<MetricProfile>>;
}

export const DEFAULT_ROBUST_OPTIONS: RobustOptions = { zStart: 3, zSpread: 4, maxModes: 6 };

/** 1.4826·MAD estimates σ for normal data. */
const MAD_TO_SIGMA = 1.4826;

export function robustStats(values: readonly number[], profile: MetricProfile): RobustStats | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const sorted = finite.sort((a, b) => a - b);
  const median = ss.medianSorted(sorted);
  const mad = ss.medianAbsoluteDeviation(sorted);
  return {
    n: sorted.length,
    median,
    mad,
    p01: ss.quantileSorted(sorted, 0.01),
    p99: ss.quantileSorted(sorted, 0.99),
    floor: Math.max(profile.absFloor, profile.relFloor * Math.abs(median)),
  };
}

/** The denominator of the robust z: 1.4826·MAD plus the floor (additive, so MAD 0 is safe). */
export function robustScale(s: RobustStats): number {
  return MAD_TO_SIGMA * s.mad + s.floor;
}

/** Robust z on the bad side only: 0 when `x` deviates in the direction that is not bad. */
export function directedZ(x: number, s: RobustStats, direction: Direction): number {
  const d = x - s.median;
  if ((direction === 'up' && d <= 0) || (direction === 'down' && d >= 0)) return 0;
  return Math.abs(d) / robustScale(s);
}

/** The documented curve from z to [0, 1]; see `RobustOptions.zSpread`. */
export function zToScore(z: number, o: Pick<RobustOptions, 'zStart' | 'zSpread'>): number {
  if (!(z > o.zStart)) return 0;
  return 1 - Math.exp(-(z - o.zStart) / o.zSpread);
}

/** Whether `x` lies inside the range the state itself showed (p01..p99 on the bad side). */
function withinSeen(x: number, s: RobustStats, direction: Direction): boolean {
  if (direction === 'up') return x <= s.p99;
  if (direction === 'down') return x >= s.p01;
  return x >= s.p01 && x <= s.p99;
}

export interface MetricScore {
  z: number;
  score: number;
  /** The accepted state the value was measured against: the nearest one. */
  against: RobustStats;
  direction: Direction;
}

export interface RobustBaselineJSON {
  layer: Layer;
  modes: Record<string, RobustStats[]>;
}

/**
 * Per-metric robust baseline of one (host, layer). Each metric has the baseline state plus the
 * states a person marked expected (feedback); a value is scored against the nearest of them, so an
 * accepted benign shift stops scoring without widening the baseline for everything else.
 */
export class RobustBaseline {
  private readonly modes = new Map<string, RobustStats[]>();
  readonly options: RobustOptions;

  constructor(
    readonly layer: Layer,
    options: Partial<RobustOptions> = {},
  ) {
    this.options = { ...DEFAULT_ROBUST_OPTIONS, ...options };
  }

  private readonly profiles = new Map<string, MetricProfile>();

  profile(metric: string): MetricProfile {
    let p = this.profiles.get(metric);
    if (!p) this.profiles.set(metric, (p = metricProfile(metric, this.options.profiles)));
    return p;
  }

  /** Replaces the baseline state of every metric in `columns` (accepted states are dropped too). */
  fit(columns: ReadonlyMap<string, readonly number[]>): void {
    this.modes.clear();
    for (const [metric, values] of columns) {
      const s = robustStats(values, this.profile(metric));
      if (s) this.modes.set(metric, [s]);
    }
  }

  /** Feedback: `values` of `metric` are an expected state from now on. */
  accept(metric: string, values: readonly number[]): void {
    const s = robustStats(values, this.profile(metric));
    if (!s) return;
    const list = this.modes.get(metric);
    if (!list) {
      this.modes.set(metric, [s]);
      return;
    }
    list.push(s);
    // The baseline itself (index 0) always stays.
    if (list.length > this.options.maxModes) list.splice(1, list.length - this.options.maxModes);
  }

  metrics(): string[] {
    return [...this.modes.keys()];
  }

  /** The baseline state of `metric` (not the accepted ones). */
  stats(metric: string): RobustStats | undefined {
    return this.modes.get(metric)?.[0];
  }

  score(metric: string, x: number): MetricScore | null {
    const list = this.modes.get(metric);
    if (!list || !Number.isFinite(x)) return null;
    const direction = this.profile(metric).direction;
    let best: MetricScore | null = null;
    for (const s of list) {
      const z = directedZ(x, s, direction);
      const score = withinSeen(x, s, direction) ? 0 : zToScore(z, this.options);
      if (!best || score < best.score || (score === best.score && z < best.z)) best = { z, score, against: s, direction };
    }
    return best;
  }

  /** One finding per metric that scores above 0. */
  findings(obs: LayerObservation): Finding[] {
    const out: Finding[] = [];
    for (const [metric, value] of Object.entries(obs.metrics)) {
      if (value === null) continue;
      const r = this.score(metric, value);
      if (!r || r.score <= 0) continue;
      const s = r.against;
      const threshold = s.median + Math.sign(value - s.median) * this.options.zStart * robustScale(s);
      const side = value > s.median ? 'above' : 'below';
      out.push({
        ts: obs.ts,
        layer: this.layer,
        source: 'stats',
        metric,
        value,
        baseline: s.median,
        threshold,
        score: r.score,
        detail:
          `${metric} ${fmt(value)} is ${fmt(r.z)} robust z ${side} the baseline median ${fmt(s.median)} ` +
          `(MAD ${fmt(s.mad)}, p01–p99 ${fmt(s.p01)}–${fmt(s.p99)}); scores from ${fmt(threshold)}.`,
      });
    }
    return out;
  }

  toJSON(): RobustBaselineJSON {
    return { layer: this.layer, modes: Object.fromEntries([...this.modes].map(([k, v]) => [k, v.map((s) => ({ ...s }))])) };
  }

  static fromJSON(json: RobustBaselineJSON, options: Partial<RobustOptions> = {}): RobustBaseline {
    const b = new RobustBaseline(json.layer, options);
    for (const [metric, list] of Object.entries(json.modes)) if (list.length > 0) b.modes.set(metric, list.map((s) => ({ ...s })));
    return b;
  }
}
