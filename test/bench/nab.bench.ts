/**
 * NAB and beyond, for the detector `watch` runs. First checks the re-implemented scorer against
 * NAB's own per-row outputs (numenta, null; all three profiles, within 0.05 of
 * final_results.json); then scores Plumbline's detector and, in the same run, a plain rolling
 * median/MAD peer:
 *   - NAB as published (three profiles, rank among the published detectors), and with the
 *     probation rows scored too;
 *   - leave-one-category-out cross-validation (every choice — the threshold, and the peer's
 *     window — made on six categories, the seventh scored);
 *   - a seeded synthetic corpus of monitoring shapes NAB lacks (nab/synthetic.ts), at its own
 *     optimum and at the threshold chosen on NAB;
 *   - NAB at the live path's own alert level (score ≥ 0.5), no threshold chosen at all;
 *   - throughput on one core (the first, cold pass, and the median of `--repeat` passes after it)
 *     and memory per watched metric.
 *
 *   node --expose-gc out/test/bench/nab.bench.js [--nab DIR] [--repeat 3] [--seed 1] [--no-csv]
 */
import * as path from 'node:path';
import { renderTable } from '../../server/src/cli/table';
import { createDetector } from '../../server/src/detect';
import { categoryOf, defaultNabDir, loadCorpus, nabDirExists, readFinalResults, readScoreboard, type CorpusFile } from '../../server/src/nab/corpus';
import { crossValidate, type Candidate, type CrossValidation } from '../../server/src/nab/crossValidate';
import { evaluate } from '../../server/src/nab/evaluate';
import { medianMadScorer } from '../../server/src/nab/medianMad';
import { PROFILE_NAMES, type Profile, type ProfileName } from '../../server/src/nab/profiles';
import { writeResultsCsv } from '../../server/src/nab/resultsCsv';
import { runDetector, type RowScorer } from '../../server/src/nab/runDetector';
import { publishedRows, type BoardRow } from '../../server/src/nab/scoreboardRows';
import { syntheticCorpus } from '../../server/src/nab/synthetic';
import { verifyScorer } from '../../server/src/nab/verify';
import { flag, median, writeResults } from './benchUtil';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const f2 = (x: number | null): string => (x !== null && Number.isFinite(x) ? x.toFixed(2) : '—');

/** The peer's window is a choice like any other: the cross-validation makes it per fold. */
const PEER_WINDOWS = [30, 100, 300, 1000];
const PEER_DEFAULT = 100;

/** The detector's own alert level: a row whose news is at least this starts or worsens a flagged state. */
const LIVE_ALERT = 0.5;

function peerCandidates(files: readonly CorpusFile[]): Candidate[] {
  return PEER_WINDOWS.map((w) => ({ label: `window ${w}`, scores: runDetector({ files }, () => medianMadScorer(w)).scores }));
}

function cvTable(ours: CrossValidation, peer: CrossValidation): string {
  return renderTable(
    ['held out', 'files', 'windows', 'Plumbline', 'found', 'FP rows', 'threshold', 'median/MAD', 'found', 'FP rows', 'peer choice'],
    ours.folds.map((f, i) => {
      const p = peer.folds[i];
      return [
        f.category,
        String(f.files),
        String(f.windows),
        f.heldOut === null ? `raw ${f.raw.toFixed(2)}` : f2(f.heldOut),
        `${f.windowsDetected}/${f.windows}`,
        String(f.falsePositives),
        f.threshold.toFixed(4),
        p.heldOut === null ? `raw ${p.raw.toFixed(2)}` : f2(p.heldOut),
        `${p.windowsDetected}/${p.windows}`,
        String(p.falsePositives),
        p.chosen,
      ];
    }).concat([['mean (folds with windows)', '', '', f2(ours.mean), '', '', '', f2(peer.mean), '', '', '']]),
  );
}

/** Memory per watched metric (heap and typed-array buffers): many detectors fed a stream, measured after GC. */
function memoryPerMetric(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  const count = 500;
  gc();
  const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const before = used();
  const keep: RowScorer[] = [];
  for (let k = 0; k < count; k++) {
    const d = createDetector();
    for (let i = 0; i < 3000; i++) d.update(i * 1000, 50 + 10 * Math.sin(i / 20) + ((i * 7919 + k) % 13));
    keep.push(d);
  }
  gc();
  const after = used();
  return keep.length > 0 ? (after - before) / count : null;
}

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

  // The first pass is also the cold one (the JIT still compiling); the steady rate is the median of the passes after it.
  const repeat = Math.max(1, flag('repeat', 3));
  const run = runDetector(corpus);
  const runs = Array.from({ length: repeat }, () => runDetector(corpus));
  const ms = median(runs.map((r) => r.ms));
  const results = corpus.profiles.map((p) => evaluate(corpus, run.scores, p));
  const ours = Object.fromEntries(results.map((r) => [r.profile, r.normalised])) as Record<ProfileName, number>;
  const standardProfile: Profile = corpus.profiles.find((p) => p.name === 'standard')!;

  const peerRuns = peerCandidates(corpus.files);
  const peerDefault = peerRuns[PEER_WINDOWS.indexOf(PEER_DEFAULT)];
  const peerScores = Object.fromEntries(corpus.profiles.map((p) => [p.name, evaluate(corpus, peerDefault.scores, p).normalised])) as Record<ProfileName, number>;

  const board: BoardRow[] = publishedRows(readScoreboard(dir), readFinalResults(dir));
  const table = [
    ...board,
    { detector: 'Plumbline', scores: ours, source: 'this run (sweep)' },
    { detector: `median/MAD ${PEER_DEFAULT}`, scores: peerScores, source: 'this run (sweep)' },
  ].sort((a, b) => b.scores.standard - a.scores.standard);
  const rank = table.findIndex((r) => r.detector === 'Plumbline') + 1;
  console.log(`\nPlumbline on NAB (rank ${rank} of ${table.length} by standard profile; published numbers from results/)`);
  console.log(
    renderTable(
      ['#', 'detector', 'standard', 'low FP', 'low FN', 'source'],
      table.map((r, i) => [String(i + 1), r.detector === 'Plumbline' ? '» Plumbline' : r.detector, ...PROFILE_NAMES.map((p) => f2(r.scores[p])), r.source]),
    ),
  );

  const atAlert = evaluate(corpus, run.scores, standardProfile, { threshold: LIVE_ALERT });
  console.log(
    `\nstandard profile at the live alert level (score ≥ ${LIVE_ALERT}, no threshold chosen): Plumbline ${f2(atAlert.normalised)}` +
      ` (${atAlert.files.reduce((s, f) => s + f.windowsDetected, 0)}/${atAlert.files.reduce((s, f) => s + f.windows, 0)} windows found, ${atAlert.files.reduce((s, f) => s + f.fp, 0)} FP rows)`,
  );

  const withProbation = evaluate(corpus, run.scores, standardProfile, { scoreProbation: true });
  const peerWithProbation = evaluate(corpus, peerDefault.scores, standardProfile, { scoreProbation: true });
  console.log(
    `\nstandard profile with the probation rows scored too: Plumbline ${f2(withProbation.normalised)}, median/MAD ${f2(peerWithProbation.normalised)}` +
      ` (as published: ${f2(ours.standard)}, ${f2(peerScores.standard)})`,
  );

  const cv = crossValidate(corpus.files, [{ label: 'Plumbline', scores: run.scores }], standardProfile);
  const peerCv = crossValidate(corpus.files, peerRuns, standardProfile);
  console.log('\nLeave-one-category-out cross-validation, standard profile (threshold and peer window chosen on the other six)');
  console.log(cvTable(cv, peerCv));

  const synth = syntheticCorpus(flag('seed', 1));
  const synthRun = runDetector({ files: synth });
  const synthPeer = peerCandidates(synth);
  const synthPeerDefault = synthPeer[PEER_WINDOWS.indexOf(PEER_DEFAULT)];
  const synthOwn = evaluate({ files: synth }, synthRun.scores, standardProfile);
  const synthAtNab = evaluate({ files: synth }, synthRun.scores, standardProfile, { threshold: results.find((r) => r.profile === 'standard')!.threshold });
  const peerOwn = evaluate({ files: synth }, synthPeerDefault.scores, standardProfile);
  const peerNabThreshold = evaluate(corpus, peerDefault.scores, standardProfile).threshold;
  const peerAtNab = evaluate({ files: synth }, synthPeerDefault.scores, standardProfile, { threshold: peerNabThreshold });
  const families = [...new Set(synth.map((f) => categoryOf(f.key)))];
  const famScore = (res: ReturnType<typeof evaluate>, fam: string): string => {
    const fs = res.files.filter((f) => categoryOf(f.key) === fam);
    return `${fs.reduce((s, f) => s + f.windowsDetected, 0)}/${fs.reduce((s, f) => s + f.windows, 0)} found, ${fs.reduce((s, f) => s + f.fp, 0)} FP`;
  };
  const synthCv = crossValidate(synth, [{ label: 'Plumbline', scores: synthRun.scores }], standardProfile);
  const synthPeerCv = crossValidate(synth, synthPeer, standardProfile);
  console.log(`\nSynthetic corpus (seed ${flag('seed', 1)}: ${synth.length} series, ${synth.reduce((s, f) => s + f.values.length, 0)} rows, ${synth.reduce((s, f) => s + f.windows.length, 0)} windows), standard profile`);
  console.log(
    renderTable(
      ['detector', 'own optimum', "at NAB's threshold", 'leave-one-family-out mean', ...families],
      [
        ['Plumbline', f2(synthOwn.normalised), f2(synthAtNab.normalised), f2(synthCv.mean), ...families.map((fam) => famScore(synthOwn, fam))],
        [`median/MAD ${PEER_DEFAULT}`, f2(peerOwn.normalised), f2(peerAtNab.normalised), f2(synthPeerCv.mean), ...families.map((fam) => famScore(peerOwn, fam))],
      ],
    ),
  );

  const perMetric = memoryPerMetric();
  console.log(
    `\nthresholds: ${results.map((r) => `${r.profile} ${r.threshold.toFixed(6)}`).join(', ')}` +
      `\nthroughput: ${Math.round(run.rows / (ms / 1000))} samples/s (${run.rows} rows in ${(ms / 1000).toFixed(2)} s, median of ${repeat} warm passes; the first, cold pass ${Math.round(run.rows / (run.ms / 1000))} samples/s; one core, shared machine)` +
      `\nmemory per watched metric: ${perMetric === null ? 'run with node --expose-gc to measure' : `${(perMetric / 1024).toFixed(1)} KiB (heap and buffers, after 3,000 rows)`}`,
  );

  const standard = results.find((r) => r.profile === 'standard')!;
  const out = writeResults('nab', {
    dataset: dir,
    files: corpus.files.length,
    rows: run.rows,
    scorerCheck: check,
    plumbline: {
      scores: ours,
      raw: Object.fromEntries(results.map((r) => [r.profile, r.raw])),
      thresholds: Object.fromEntries(results.map((r) => [r.profile, r.threshold])),
      standardWithProbation: withProbation.normalised,
      standardAtLiveAlert: atAlert.normalised,
      crossValidation: cv,
      synthetic: { ownOptimum: synthOwn.normalised, atNabThreshold: synthAtNab.normalised, crossValidation: synthCv },
      rank,
      of: table.length,
      runtimeMs: ms,
      rowsPerSecond: run.rows / (ms / 1000),
      coldRowsPerSecond: run.rows / (run.ms / 1000),
      memoryPerMetricBytes: perMetric,
      perFileStandard: standard.files,
    },
    medianMad: {
      window: PEER_DEFAULT,
      scores: peerScores,
      standardWithProbation: peerWithProbation.normalised,
      crossValidation: peerCv,
      synthetic: { ownOptimum: peerOwn.normalised, atNabThreshold: peerAtNab.normalised, crossValidation: synthPeerCv },
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
