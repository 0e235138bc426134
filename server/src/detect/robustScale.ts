import type { SortedWindow } from './sortedWindow';

/**
 * A robust spread for a window: the interquartile range scaled to a normal σ, widened to the
 * 5–95% range when the quartiles coincide (quantised or mostly-constant metrics), and never below
 * `floor` so that a flat line does not turn the first wobble into an infinite z-score.
 */
export function robustScale(w: SortedWindow, floor: number): number {
  const iqr = (w.quantile(0.75) - w.quantile(0.25)) / 1.349;
  if (iqr > floor) return iqr;
  const wide = (w.quantile(0.95) - w.quantile(0.05)) / 3.29;
  return Math.max(iqr, wide, floor);
}
