import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseProfiles, type Profile } from './profiles';
import { probationLength } from './probation';
import type { WindowRange } from './rowWeights';

/** One NAB data file, keyed by its path under data/ (`realKnownCause/nyc_taxi.csv`). */
export interface CorpusFile {
  readonly key: string;
  readonly timestamps: readonly string[];
  /** The timestamps as epoch milliseconds (NAB's carry no zone: read as UTC). */
  readonly times: Float64Array;
  readonly values: Float64Array;
  readonly windows: readonly WindowRange[];
  readonly probation: number;
}

export interface Corpus {
  readonly dir: string;
  readonly files: readonly CorpusFile[];
  readonly profiles: readonly Profile[];
  /** Number of entries in labels/combined_windows.json: the perfect detector's raw score per A_TP. */
  readonly windowCount: number;
}

/** The category of a file key: `realKnownCause` for `realKnownCause/nyc_taxi.csv`. */
export function categoryOf(key: string): string {
  return key.split('/')[0];
}

/** Where the dataset lives: $NAB_DIR, else the shared copy next to the repository. */
export function defaultNabDir(): string {
  if (process.env.NAB_DIR) return path.resolve(process.env.NAB_DIR);
  const candidates = [path.resolve('../shared/datasets/nab'), '/work/shared/datasets/nab'];
  return candidates.find((c) => fs.existsSync(path.join(c, 'labels'))) ?? candidates[0];
}

export function nabDirExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'labels', 'combined_windows.json'));
}

/** Splits a simple CSV (no quoted commas, as in NAB) into a header and rows of cells. */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Label timestamps carry `.000000`; the data files do not (SCORING.md §1, §9). */
function stripMicros(ts: string): string {
  return ts.replace(/\.0+$/, '');
}

export function loadCorpus(dir: string): Corpus {
  const labels = JSON.parse(fs.readFileSync(path.join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    Array<[string, string]>
  >;
  const profiles = parseProfiles(fs.readFileSync(path.join(dir, 'config', 'profiles.json'), 'utf8'));
  const files: CorpusFile[] = [];
  let windowCount = 0;
  for (const key of Object.keys(labels).sort()) {
    const { header, rows } = readCsv(path.join(dir, 'data', key));
    const ti = header.indexOf('timestamp');
    const vi = header.indexOf('value');
    if (ti < 0 || vi < 0) throw new Error(`${key}: expected a timestamp,value header, got ${header.join(',')}`);
    const timestamps = rows.map((r) => r[ti]);
    const values = Float64Array.from(rows, (r) => Number(r[vi]));
    const index = new Map(timestamps.map((t, i) => [t, i]));
    const windows = labels[key].map(([a, b]) => {
      const start = index.get(stripMicros(a));
      const end = index.get(stripMicros(b));
      if (start === undefined || end === undefined) throw new Error(`${key}: window ${a}..${b} does not match any row timestamp`);
      return { start, end };
    });
    windowCount += windows.length;
    const times = Float64Array.from(timestamps, (t) => Date.parse(`${t.replace(' ', 'T')}Z`));
    files.push({ key, timestamps, times, values, windows, probation: probationLength(rows.length) });
  }
  return { dir, files, profiles, windowCount };
}

/** The `anomaly_score` column of a published per-row results file (results/<det>/<category>/<det>_<name>.csv). */
export function readResultScores(dir: string, detector: string, key: string): Float64Array {
  const [category, name] = key.split('/');
  const file = path.join(dir, 'results', detector, category, `${detector}_${name}`);
  const { header, rows } = readCsv(file);
  const col = header.indexOf('anomaly_score');
  if (col < 0) throw new Error(`${file}: no anomaly_score column`);
  return Float64Array.from(rows, (r) => Number(r[col]));
}

/** The threshold and raw total NAB published for a detector and profile (Totals row of its scores CSV). */
export function readPublishedTotals(dir: string, detector: string, profile: string): { threshold: number; raw: number } {
  const { header, rows } = readCsv(path.join(dir, 'results', detector, `${detector}_${profile}_scores.csv`));
  const th = header.indexOf('Threshold');
  const sc = header.indexOf('Score');
  const totals = rows.find((r) => r[0] === 'Totals');
  if (!totals) throw new Error(`${detector}_${profile}_scores.csv: no Totals row`);
  const threshold = Number(rows.find((r) => r[0] !== 'Totals')?.[th]);
  return { threshold, raw: Number(totals[sc]) };
}

/** results/final_results.json: detector → profile → normalised score. */
export function readFinalResults(dir: string): Record<string, Record<string, number>> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'results', 'final_results.json'), 'utf8')) as Record<string, Record<string, number>>;
}

export interface Scoreboard {
  readme_scoreboard: Record<string, Array<number | string>>;
  readme_additional: Record<string, Array<number | string>>;
  readme_column_order: string[];
  from_scores_csv: Record<string, Record<string, { threshold: number; raw: number; normalised_from_scores_csv: number; final_results_json: number | null }>>;
}

export function readScoreboard(dir: string): Scoreboard {
  return JSON.parse(fs.readFileSync(path.join(dir, 'scoreboard.json'), 'utf8')) as Scoreboard;
}
