/**
 * Records the episode library on real lab hosts (sshd, nginx, the blue/green app, steady traffic):
 * for each family, `--per-family` episodes with parameters drawn from `--seed`. Each episode is a
 * fresh snapshot and baseline, a warm-up the detectors learn, a random quiet stretch, the event,
 * and the samples `watch` would have stored, written gzipped with its right outcome.
 *
 *   node out/test/bench/episodes/record.js [--seed 1] [--per-family 2] [--out DIR] [--only fam,fam] [--peer-every 3]
 *
 * Needs root (the lab). About 2.5 min per episode.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../../server/src/engine/engine';
import { labDown, labUnavailableReason, labUp, type LabState } from '../../../server/src/lab/lab';
import { LAB_CACHE_DIR } from '../../../server/src/lab/templates';
import { labSshSettings } from '../../../server/src/lab/workspace';
import type { Sample } from '../../../server/src/monitor/sample';
import { rng } from '../../support/random';
import { flag } from '../benchUtil';
import { requestLoop, resetHost, sh } from '../scenarios/labOps';
import { CACHE_DIR, trimFingerprint, trimSample, writeEpisode, type Episode } from './episode';
import { FAMILIES, type Family, type Params } from './families';
import { failureTime } from './failure';

const TARGET = 'web-1';
const PEER = 'web-2';
export const EPISODE_INTERVAL_MS = 1000;
export const EPISODE_WARMUP = 40;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** The lab workspace at a 1 s interval, as the gauntlet runs it. */
export function episodeYaml(text: string): string {
  const y = text.replace('interval: 2s', `interval: ${EPISODE_INTERVAL_MS / 1000}s`);
  if (!y.includes(`interval: ${EPISODE_INTERVAL_MS / 1000}s`)) throw new Error('the lab workspace changed shape; update episodeYaml');
  return y;
}

function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const t = setInterval(() => {
      if (cond() || Date.now() > deadline) {
        clearInterval(t);
        resolve(cond());
      }
    }, 200);
  });
}

interface Recorded {
  target: Episode;
  peer: Episode;
}

async function recordOne(engine: Engine, lab: LabState, yaml: string, fam: Family, p: Params, seed: number, index: number): Promise<Recorded> {
  const target = lab.hosts.find((h) => h.name === TARGET)!;
  const ctx = { dir: lab.dir, host: TARGET, address: target.address, r: rng(seed * 7919 + index) };
  await Promise.all(lab.hosts.map((h) => resetHost(lab.dir, h.name)));
  await sh(lab.dir, TARGET, `rm -f ${LAB_CACHE_DIR}/episode-fill /var/tmp/episode-backup* /var/log/episode-burst*`);
  const snaps = await engine.snapshot('lab', { reason: `episode ${fam.name}` });
  if (snaps.some((s) => !s.ok)) throw new Error(`snapshot failed: ${JSON.stringify(snaps.filter((s) => !s.ok))}`);
  const snapshotRelease = engine.store.latestSnapshot('lab', TARGET)?.release?.target ?? null;
  const peerSnapshot = engine.store.latestSnapshot('lab', PEER)?.release?.target ?? null;
  await fam.beforeBaseline?.(ctx, p);
  const b = await engine.baseline('lab', { reason: `episode ${fam.name}` });
  if (b.some((o) => !o.ok)) throw new Error(`baseline failed: ${JSON.stringify(b.filter((o) => !o.ok))}`);
  const samples = new Map<string, Sample[]>([
    [TARGET, []],
    [PEER, []],
  ]);
  const traffic = requestLoop(target.address, { maxRequests: 50_000, maxMs: 900_000, gapMs: 100 });
  const monitor = engine.monitor('lab');
  monitor.on('sample', (host, s) => samples.get(host)?.push(trimSample(s)));
  monitor.start();
  let onsetTs = 0;
  let endTs: number | null = null;
  try {
    const pre = 5 + Math.floor(ctx.r() * 16);
    const warm = fam.beforeBaseline ? EPISODE_WARMUP : EPISODE_WARMUP + pre;
    if (!(await waitFor(() => samples.get(TARGET)!.length >= warm, (warm + 60) * 1000))) throw new Error(`only ${samples.get(TARGET)!.length} samples after ${warm + 60} s`);
    // A fault that came with the baseline's release is there from the first sample.
    onsetTs = fam.beforeBaseline ? samples.get(TARGET)![0].ts : Date.now();
    const running = await fam.inject(ctx, p);
    const until = onsetTs + fam.recordS * 1000;
    await waitFor(() => Date.now() >= until, fam.recordS * 1000 + 60_000);
    await running.stop();
    endTs = running.endedAt();
  } finally {
    await monitor.stop();
    await traffic.stop();
  }
  const now = new Date().toISOString();
  const episode = (host: string, over: Partial<Episode>): Episode => {
    const fp = engine.store.activeBaseline('lab', host)!.fingerprint;
    return {
      schema: 1,
      id: `${fam.name}/s${seed}-${index}`,
      family: fam.name,
      kind: fam.kind,
      label: { tier: fam.tier, cause: fam.cause, why: fam.why },
      params: p,
      seed,
      host,
      intervalMs: EPISODE_INTERVAL_MS,
      recordedAt: now,
      onsetTs,
      endTs,
      failureTs: null,
      warmup: EPISODE_WARMUP,
      workspaceYaml: yaml,
      baseline: trimFingerprint(fp),
      snapshotRelease,
      samples: samples.get(host)!,
      ...over,
    };
  };
  const t = episode(TARGET, {});
  t.failureTs = failureTime(fam, t);
  const peer = episode(PEER, {
    id: `quiet-peer/s${seed}-${fam.name}-${index}`,
    family: 'quiet-peer',
    kind: 'benign',
    label: { tier: 0, cause: 'none', why: `a host beside one with ${fam.name}: nothing happened on it (it shares the machine's CPU and disk)` },
    params: { beside: fam.name },
    snapshotRelease: peerSnapshot,
    endTs: null,
  });
  return { target: t, peer };
}

async function main(): Promise<void> {
  const missing = labUnavailableReason();
  if (missing) {
    process.stderr.write(`recording episodes needs lab hosts, and ${missing}\n`);
    process.exit(2);
  }
  const seed = flag('seed', 1);
  const perFamily = flag('per-family', 2);
  const peerEvery = flag('peer-every', 4);
  const outAt = process.argv.indexOf('--out');
  const outDir = outAt > 0 ? path.resolve(process.argv[outAt + 1]) : CACHE_DIR;
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : null;
  const families = FAMILIES.filter((f) => !only || only.includes(f.name));
  const draw = rng(seed);
  // Parameters are drawn for every family in a fixed order, so --only does not change them.
  const plan = FAMILIES.flatMap((f) => Array.from({ length: perFamily }, (_, i) => ({ fam: f, index: i, p: f.draw(draw) }))).filter((x) => families.includes(x.fam));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-episodes-'));
  const labDir = path.join(dir, 'lab');
  out(`recording ${plan.length} episodes (seed ${seed}) into ${outDir}; lab in ${labDir}`);
  let engine: Engine | undefined;
  let n = 0;
  // Ctrl-C ends the episode in progress and still takes the lab down.
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));
  process.once('SIGTERM', () => (interrupted = true));
  try {
    const lab = await labUp({ dir: labDir, hosts: 2 });
    const yamlFile = path.join(labDir, 'plumbline.yaml');
    const yaml = episodeYaml(fs.readFileSync(yamlFile, 'utf8'));
    fs.writeFileSync(yamlFile, yaml);
    process.env.PLUMBLINE_SSH_CONFIG = labSshSettings(lab.dir).config; // plumbline.yaml cannot choose it
    const opened = await Engine.open({ configFile: yamlFile, dataDir: path.join(dir, 'data') });
    if (!opened.ok) throw new Error(opened.error.map((e) => e.message).join('; '));
    engine = opened.value;
    for (const { fam, index, p } of plan) {
      if (interrupted) break;
      const t0 = Date.now();
      try {
        const rec = await recordOne(engine, lab, yaml, fam, p, seed, index);
        writeEpisode(outDir, rec.target);
        if (n % peerEvery === 0) writeEpisode(outDir, rec.peer);
        out(`${rec.target.id}: ${rec.target.samples.length} samples, ${JSON.stringify(p)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      } catch (e) {
        out(`${fam.name}/s${seed}-${index}: FAILED ${e instanceof Error ? e.message : String(e)}`);
      }
      n++;
    }
  } finally {
    await engine?.close();
    await labDown({ dir: labDir }).catch((e: unknown) => out(`lab down failed: ${String(e)}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
