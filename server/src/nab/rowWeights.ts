import type { Profile } from './profiles';
import { MAX_TP, scaledSigmoid } from './sigmoid';

/** An inclusive range of row indices labelled anomalous. */
export interface WindowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a detection on each row would be worth (SCORING.md §4), independent of any threshold.
 * `window[i]` is the index of the window holding row i, or −1 outside every window.
 */
export interface RowWeights {
  readonly weight: Float64Array;
  readonly window: Int32Array;
}

/** Windows must be sorted and disjoint, as in labels/combined_windows.json. */
export function rowWeights(rows: number, windows: readonly WindowRange[], profile: Profile): RowWeights {
  // Plain locals in the loop: see the note on V8's Maglev in test/unit/nab-scorer.test.ts.
  const tp = profile.tp;
  const fp = profile.fp;
  const starts = windows.map((w) => w.start);
  const ends = windows.map((w) => w.end);
  const weight = new Float64Array(rows);
  const window = new Int32Array(rows).fill(-1);
  let next = 0;
  let current = -1;
  // The FP penalty depends on the most recent window that has ended, never on the next one.
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < rows; i++) {
    if (current < 0 && next < starts.length && starts[next] === i) current = next++;
    if (current >= 0) {
      const end = ends[current];
      const width = end - starts[current] + 1;
      weight[i] = (scaledSigmoid(-(end - i + 1) / width) * tp) / MAX_TP;
      window[i] = current;
      if (i === end) {
        prevEnd = end;
        prevWidth = width;
        current = -1;
      }
    } else if (prevEnd < 0) {
      weight[i] = -1.0 * fp;
    } else {
      weight[i] = scaledSigmoid(Math.abs(prevEnd - i) / (prevWidth - 1)) * fp;
    }
  }
  return { weight, window };
}
