import { createDetector } from '../detect';
import type { Corpus } from './corpus';

/** Anything that scores a stream row by row: Plumbline's detector, or a peer in the same run. */
export interface RowScorer {
  update(timestampMs: number, value: number): { readonly score: number };
}

export interface DetectorRun {
  readonly scores: Float64Array[];
  readonly rows: number;
  readonly ms: number;
}

/** Feeds every file to a fresh detector, row by row, as NAB does: one score per row, before the next row. */
export function runDetector(corpus: Pick<Corpus, 'files'>, make: () => RowScorer = () => createDetector()): DetectorRun {
  const t0 = performance.now();
  let rows = 0;
  const scores = corpus.files.map((f) => {
    const detector = make();
    const out = new Float64Array(f.values.length);
    for (let i = 0; i < f.values.length; i++) out[i] = detector.update(f.times[i], f.values[i]).score;
    rows += f.values.length;
    return out;
  });
  return { scores, rows, ms: performance.now() - t0 };
}
