import type { RowScorer } from './runDetector';

/** k-th smallest of a[0..n) (Hoare's selection; reorders `a`). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * The plain peer: the robust z of each value against the median and MAD of the `window` values
 * before it, as z/(1 + z). No seasonality, no memory of what was flagged, no warm-up beyond
 * `min` rows. A window that is mostly one value (MAD 0) uses its mean absolute deviation. Scored in the same run as Plumbline's detector so the comparison is like for like.
 */
export function medianMadScorer(window: number, min = 10): RowScorer {
  const ring = new Float64Array(window);
  const scratch = new Float64Array(window);
  let n = 0;
  return {
    update(_ts: number, x: number): { score: number } {
      const have = Math.min(n, window);
      let score = 0;
      if (have >= min && Number.isFinite(x)) {
        scratch.set(ring.subarray(0, have));
        const med = select(scratch, have, have >> 1);
        let meanDev = 0;
        for (let i = 0; i < have; i++) meanDev += scratch[i] = Math.abs(ring[i] - med);
        // A window that is mostly one value has MAD 0: its mean deviation (σ·√(2/π) for normal data) stands in.
        const mad = 1.4826 * select(scratch, have, have >> 1) || (1.2533 * meanDev) / have;
        const d = Math.abs(x - med);
        const z = mad > 0 ? d / mad : d > 0 ? Infinity : 0;
        score = Number.isFinite(z) ? z / (1 + z) : 1;
      }
      if (Number.isFinite(x)) ring[n++ % window] = x;
      return { score };
    },
  };
}
