import { RollingWindow } from '../detect/metric/window';
import type { RowScorer } from './runDetector';

/** 1/Φ⁻¹(3/4): the MAD of a normal sample times this is its σ. */
const MAD_TO_SIGMA = 1.4826;

/**
 * The plain peer, scored in the same run as Plumbline's detector so the comparison is like for
 * like: the robust z of each value against the median and MAD of the `window` values before it,
 * reported as z/(1 + z) (bounded, monotone, no ties short of an infinite z). Nothing else: no
 * seasonality, no memory of what was flagged, no warm-up beyond `min` rows; the window is chosen
 * per fold by the cross-validation, like Plumbline's threshold.
 *
 * A window that is mostly one value has MAD 0. Its scale then falls back to the mean absolute
 * deviation (σ·√(2/π) for normal data, so ×1.2533), and on a window of one value to the series'
 * resolution (the smallest non-zero step seen), so a step on a flat series gets a finite z of
 * "this many steps" instead of an infinite one.
 */
export function medianMadScorer(window: number, min = 10): RowScorer {
  const w = new RollingWindow(window);
  let resolution = Infinity;
  let prev = NaN;
  return {
    update(_ts: number, x: number): { score: number } {
      if (!Number.isFinite(x)) return { score: 0 };
      let score = 0;
      if (w.size >= min) {
        const med = w.median();
        const mad = MAD_TO_SIGMA * w.mad(med);
        const scale = mad > 0 ? mad : w.meanAbsDev(med) * 1.2533 || (Number.isFinite(resolution) ? resolution : 0);
        const d = Math.abs(x - med);
        const z = scale > 0 ? d / scale : d > 0 ? Infinity : 0;
        score = Number.isFinite(z) ? z / (1 + z) : 1;
      }
      const step = Math.abs(x - prev);
      if (step > 0 && step < resolution) resolution = step;
      prev = x;
      w.push(x);
      return { score };
    },
  };
}
