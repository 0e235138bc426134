import { createDetector, type DetectorConfig } from '../detect';
import type { Corpus } from './corpus';

export interface DetectorRun {
  readonly scores: Float64Array[];
  readonly rows: number;
  readonly ms: number;
}

/** Feeds every file to a fresh detector, row by row, as NAB does: one score per row, before the next row. */
export function runDetector(corpus: Corpus, config: Partial<DetectorConfig> = {}): DetectorRun {
  const t0 = performance.now();
  let rows = 0;
  const scores = corpus.files.map((f) => {
    const detector = createDetector(config);
    const out = new Float64Array(f.values.length);
    for (let i = 0; i < f.values.length; i++) {
      // NAB timestamps carry no zone; read them as UTC so no local offset creeps in.
      out[i] = detector.update(Date.parse(`${f.timestamps[i].replace(' ', 'T')}Z`), f.values[i]).score;
    }
    rows += f.values.length;
    return out;
  });
  return { scores, rows, ms: performance.now() - t0 };
}
