import type { RiskOptions } from './types';

/**
 * The strongest score, raised by the others with diminishing returns: the rest combine as
 * independent probabilities (1 − Π(1 − sᵢ)), and together add at most half the remaining headroom
 * and never more than `cap`. Many weak signals therefore corroborate a strong one without
 * turning five medium config changes into a rollback.
 */
export function combineScores(scores: readonly number[], cap: number): number {
  const sorted = scores.map(clamp01).filter((s) => s > 0).sort((a, b) => b - a);
  if (sorted.length === 0) return 0;
  const [top, ...rest] = sorted;
  const others = 1 - rest.reduce((p, s) => p * (1 - s), 1);
  return clamp01(top + Math.min(cap, (1 - top) * 0.5 * others));
}

/**
 * Weight of a statistic or model anomaly that has persisted `n` intervals (consecutive, or the
 * decaying cumulative count, whichever is larger): `firstIntervalWeight` at 1, rising linearly to
 * 1 at `rampIntervals`.
 */
export function persistenceWeight(n: number, o: Pick<RiskOptions, 'firstIntervalWeight' | 'rampIntervals'>): number {
  if (n <= 0) return 0;
  if (o.rampIntervals <= 1) return 1;
  const w = o.firstIntervalWeight + ((1 - o.firstIntervalWeight) * (n - 1)) / (o.rampIntervals - 1);
  return clamp01(w);
}

/**
 * How urgent a predicted breach is: 0 beyond the horizon (or never), `forecastFloor` at the
 * horizon, rising linearly to `forecastCeiling` at `forecastUrgentMs` or closer.
 */
export function forecastUrgency(
  timeToBreachMs: number | null,
  o: Pick<RiskOptions, 'forecastHorizonMs' | 'forecastUrgentMs' | 'forecastFloor' | 'forecastCeiling'>,
): number {
  if (timeToBreachMs === null || !Number.isFinite(timeToBreachMs) || timeToBreachMs > o.forecastHorizonMs) return 0;
  if (timeToBreachMs <= o.forecastUrgentMs) return o.forecastCeiling;
  const span = o.forecastHorizonMs - o.forecastUrgentMs;
  const closeness = span > 0 ? (o.forecastHorizonMs - timeToBreachMs) / span : 1;
  return o.forecastFloor + (o.forecastCeiling - o.forecastFloor) * closeness;
}

export function clamp01(x: number): number {
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, x));
}
