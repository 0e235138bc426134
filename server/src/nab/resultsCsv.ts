import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Corpus } from './corpus';

/**
 * Writes per-row outputs in NAB's results layout (`<dir>/<category>/<detector>_<name>.csv` with
 * `timestamp,value,anomaly_score,label`), so NAB's own tools can read them.
 */
export function writeResultsCsv(dir: string, detector: string, corpus: Corpus, scores: readonly Float64Array[]): void {
  corpus.files.forEach((f, k) => {
    const [category, name] = f.key.split('/');
    fs.mkdirSync(path.join(dir, category), { recursive: true });
    const label = new Uint8Array(f.values.length);
    for (const w of f.windows) label.fill(1, w.start, w.end + 1);
    const lines = ['timestamp,value,anomaly_score,label'];
    for (let i = 0; i < f.values.length; i++) lines.push(`${f.timestamps[i]},${f.values[i]},${scores[k][i]},${label[i]}`);
    fs.writeFileSync(path.join(dir, category, `${detector}_${name}`), `${lines.join('\n')}\n`);
  });
}
