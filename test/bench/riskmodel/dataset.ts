/**
 * The risk model's data: recorded episodes and their seeded variants, run through the detectors
 * once (cached on disk by the episodes' and the detectors' content), then turned into labelled
 * feature rows per interval.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { switchOwnedFile } from '../../../server/src/act/rollback';
import { FEATURES } from '../../../server/src/risk/model/features';
import { RiskJudge } from '../../../server/src/risk/model/judge';
import type { Row } from '../../../server/src/risk/model/train';
import { CACHE_DIR, COMMITTED_DIR, loadEpisodes, type Episode } from '../episodes/episode';
import { variants } from '../episodes/vary';
import { episodeEnv, intervalLabel, runEpisode, type EpisodeRun } from './episodeRun';

export interface LabelledRow extends Row {
  run: string;
  family: string;
}

/** Where the episodes are: `--episodes DIR`, the committed recordings, or the cache the recorder fills. */
export function episodeDirs(argv: readonly string[]): string[] {
  const at = argv.indexOf('--episodes');
  return at > 0 ? [path.resolve(argv[at + 1])] : [COMMITTED_DIR, CACHE_DIR];
}

/** The compiled code that turns samples into risk: a change to it invalidates cached runs. */
function codeHash(): string {
  const h = crypto.createHash('sha256');
  const root = path.resolve(__dirname, '../../../server/src');
  for (const dir of ['detect', 'risk', 'watch', 'monitor', 'policy', 'replay']) {
    const walk = (d: string): void => {
      for (const f of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(d, f.name);
        if (f.isDirectory()) walk(p);
        else if (f.name.endsWith('.js')) h.update(fs.readFileSync(p));
      }
    };
    walk(path.join(root, dir));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Every recorded episode and `perEpisode` variants of each, run through the detectors. Runs are
 * cached under the episode cache dir, keyed by the episodes, the variant seed and the code.
 */
export async function episodeRuns(dirs: readonly string[], perEpisode: number, seed: number, log: (l: string) => void): Promise<{ runs: EpisodeRun[]; episodes: Episode[]; dir: string }> {
  const found = loadEpisodes(dirs);
  if (!found) throw new Error(`no episodes in ${dirs.join(' or ')}: record them with node out/test/bench/episodes/record.js (needs root; see the README)`);
  const all = [...found.episodes, ...variants(found.episodes, perEpisode, seed)];
  const key = crypto.createHash('sha256');
  for (const e of found.episodes) key.update(e.id).update(String(e.samples.length)).update(String(e.samples[e.samples.length - 1].ts));
  key.update(`${perEpisode}/${seed}/${codeHash()}`);
  const cacheFile = path.join(CACHE_DIR, 'runs', `${key.digest('hex').slice(0, 20)}.json.gz`);
  if (fs.existsSync(cacheFile)) {
    log(`episode runs from the cache ${cacheFile}`);
    return { runs: JSON.parse(zlib.gunzipSync(fs.readFileSync(cacheFile)).toString()) as EpisodeRun[], episodes: all, dir: found.dir };
  }
  const runs: EpisodeRun[] = [];
  const started = Date.now();
  for (const [i, e] of all.entries()) {
    runs.push(await runEpisode(e));
    if ((i + 1) % 20 === 0) log(`  ${i + 1}/${all.length} episodes through the detectors (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, zlib.gzipSync(JSON.stringify(runs)));
  return { runs, episodes: all, dir: found.dir };
}

/**
 * One row per interval: the features the judge computes live, the interval's class, and a weight.
 * Every episode weighs the same in all (a long quiet stretch must not drown a short fault); acting
 * and not acting weigh the same, and the tiers share acting's half equally, so P(action) = 1/2 is
 * where both are equally likely. An interval of a harmful episode in which nothing deviates yet
 * (no reason at all) says nothing either way and is left out: no feature could tell it apart.
 */
export function rows(runs: readonly EpisodeRun[], episodes: ReadonlyMap<string, Episode>): LabelledRow[] {
  const out: LabelledRow[] = [];
  for (const run of runs) {
    const e = episodes.get(run.id)!;
    const env = episodeEnv(e);
    const judge = new RiskJudge(null, env.risk);
    const mine: LabelledRow[] = [];
    for (const iv of run.intervals) {
      const release = iv.release ?? { now: null, baseline: null, snapshot: null };
      const j = judge.judge({ risk: iv.risk, findings: iv.findings, release, baselineAt: run.baselineAt, cause: iv.cause, switchFile: switchOwnedFile(env) });
      const y = intervalLabel(run, iv);
      if (y > 0 && iv.risk.reasons.length === 0) continue;
      mine.push({ x: j.features, y, w: 1, run: run.id, family: run.family });
    }
    for (const r of mine) r.w = 1 / mine.length;
    out.push(...mine);
  }
  const byClass = [0, 0, 0, 0];
  for (const r of out) byClass[r.y] += r.w;
  const tiers = [1, 2, 3].filter((k) => byClass[k] > 0).length;
  const share = (k: number): number => (k === 0 ? 0.5 : 0.5 / tiers);
  for (const r of out) r.w *= share(r.y) / byClass[r.y];
  return out;
}

/** The range of each feature over the rows: the model's training domain. */
export function domainOf(rs: readonly Row[]): { min: number[]; max: number[] } {
  const min = FEATURES.map(() => Infinity);
  const max = FEATURES.map(() => -Infinity);
  for (const r of rs) {
    r.x.forEach((v, i) => {
      if (v < min[i]) min[i] = v;
      if (v > max[i]) max[i] = v;
    });
  }
  return { min, max };
}
