/**
 * NAB: first checks the re-implemented scorer against NAB's own per-row outputs (numenta, null;
 * all three profiles, within 0.05 of final_results.json), then runs Plumbline's detector online
 * over all 58 files, scores it with NAB's sweep, and prints it among the published detectors.
 *
 *   node out/test/bench/nab.bench.js [--nab DIR] [--repeat 1] [--no-csv]
 */
import * as path from 'node:path';
import { renderTable } from '../../server/src/cli/table';
import { DEFAULT_CONFIG } from '../../server/src/detect';
import { defaultNabDir, loadCorpus, nabDirExists, readFinalResults, readScoreboard } from '../../server/src/nab/corpus';
import { evaluate } from '../../server/src/nab/evaluate';
import { PROFILE_NAMES, type ProfileName } from '../../server/src/nab/profiles';
import { writeResultsCsv } from '../../server/src/nab/resultsCsv';
import { runDetector } from '../../server/src/nab/runDetector';
import { publishedRows, type BoardRow } from '../../server/src/nab/scoreboardRows';
import { verifyScorer } from '../../server/src/nab/verify';
import { flag, median, writeResults } from './benchUtil';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');

function main(): void {
  const dir = path.resolve(arg('nab') ?? defaultNabDir());
  if (!nabDirExists(dir)) throw new Error(`NAB dataset not found at ${dir} (use --nab DIR or NAB_DIR)`);
  const corpus = loadCorpus(dir);
  const rows = corpus.files.reduce((s, f) => s + f.values.length, 0);
  console.log(`NAB at ${dir}: ${corpus.files.length} files, ${rows} rows, ${corpus.windowCount} windows\n`);

  const check = verifyScorer(corpus, 0.05);
  console.log('Scorer check: NAB per-row outputs re-scored at the published thresholds');
  console.log(
    renderTable(
      ['detector', 'profile', 'threshold', 'raw (ours)', 'raw (published)', 'score (ours)', 'published', 'sweep optimum', 'ok'],
      check.map((r) => [r.detector, r.profile, String(r.threshold), r.raw.toFixed(4), r.publishedRaw.toFixed(4), r.normalised.toFixed(4), r.published.toFixed(4), r.sweepOptimum.toFixed(4), r.ok ? 'ok' : 'MISMATCH']),
    ),
  );
  if (check.some((r) => !r.ok)) {
    console.error('\n*** SCORER MISMATCH: the re-implementation does not reproduce NAB within 0.05; aborting. ***');
    process.exit(1);
  }

  const repeat = Math.max(1, flag('repeat', 1));
  const runs = Array.from({ length: repeat }, () => runDetector(corpus));
  const run = runs[0];
  const ms = median(runs.map((r) => r.ms));
  const results = corpus.profiles.map((p) => evaluate(corpus, run.scores, p));
  const ours = Object.fromEntries(results.map((r) => [r.profile, r.normalised])) as Record<ProfileName, number>;

  const board: BoardRow[] = publishedRows(readScoreboard(dir), readFinalResults(dir));
  const table = [...board, { detector: 'Plumbline', scores: ours, source: 'this run (sweep)' }].sort(
    (a, b) => b.scores.standard - a.scores.standard,
  );
  const rank = table.findIndex((r) => r.detector === 'Plumbline') + 1;
  console.log(`\nPlumbline on NAB (rank ${rank} of ${table.length} by standard profile; published numbers from results/, README's NuPIC 1.0 best seed: 70.5 / 62.6 / 75.2)`);
  console.log(
    renderTable(
      ['#', 'detector', 'standard', 'low FP', 'low FN', 'source'],
      table.map((r, i) => [String(i + 1), r.detector === 'Plumbline' ? '» Plumbline' : r.detector, ...PROFILE_NAMES.map((p) => f2(r.scores[p])), r.source]),
    ),
  );
  console.log(
    `\nthresholds: ${results.map((r) => `${r.profile} ${r.threshold.toFixed(6)}`).join(', ')}` +
      `\nruntime: ${(ms / 1000).toFixed(2)} s for ${run.rows} rows = ${Math.round(run.rows / (ms / 1000))} rows/s (median of ${repeat}, one core)`,
  );

  const standard = results.find((r) => r.profile === 'standard')!;
  const out = writeResults('nab', {
    dataset: dir,
    files: corpus.files.length,
    rows: run.rows,
    scorerCheck: check,
    plumbline: {
      config: DEFAULT_CONFIG,
      scores: ours,
      raw: Object.fromEntries(results.map((r) => [r.profile, r.raw])),
      thresholds: Object.fromEntries(results.map((r) => [r.profile, r.threshold])),
      rank,
      of: table.length,
      runtimeMs: ms,
      rowsPerSecond: run.rows / (ms / 1000),
      perFileStandard: standard.files,
    },
    published: board,
  });
  console.log(`wrote ${out}`);
  if (!process.argv.includes('--no-csv')) {
    const csvDir = path.join(path.dirname(out), 'nab-plumbline');
    writeResultsCsv(csvDir, 'plumbline', corpus, run.scores);
    console.log(`wrote per-row results to ${csvDir}/`);
  }
}

main();
