import * as ss from 'simple-statistics';
import type { Direction, MetricProfile } from './metricProfile';

/**
 * Robust statistics of a window of one metric: median and MAD, the p01/p99 quantiles, and a floor
 * so a metric that never moved does not turn a one-unit wobble into a huge z. The autoencoder
 * centres and scales its inputs with them; judging rows is the metric detector's (detect/metric).
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

export interface ZCurve {
  /** Robust z at which the score starts rising from 0. */
  zStart: number;
  /** Score = 1 − exp(−(z − zStart) / zSpread) above zStart: 0.63 at zStart + zSpread, 0.86 at + 2·zSpread. */
  zSpread: number;
}

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

/** The documented curve from z to [0, 1]; see `ZCurve.zSpread`. */
export function zToScore(z: number, o: ZCurve): number {
  if (!(z > o.zStart)) return 0;
  return 1 - Math.exp(-(z - o.zStart) / o.zSpread);
}
