/**
 * Replay of a recorded watch reproduces the live decisions: a lab host is watched in shadow mode
 * while its serving colour starts failing half its requests; the samples the store kept are then
 * replayed through the same detectors, risk model and policy, and give the same tiers at the same
 * times (within one interval), with the same "decided by".
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import type { Decision } from '../../server/src/policy';
import { replay, type ReplayEvent } from '../../server/src/replay/replay';
import { Watcher } from '../../server/src/watch/watcher';
import { requestLoop, setFaults } from '../bench/scenarios/labOps';
import { runCli } from '../support/cli';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

const skip = labSkipReason();
const WARMUP = 25;
const HOST = 'web-1';

function waitFor(w: Watcher, what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.off('risk', check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const check = (): void => {
      if (!ok()) return;
      clearTimeout(timer);
      w.off('risk', check);
      resolve();
    };
    w.on('risk', check);
  });
}

describe('replay of a recorded watch', { skip }, () => {
  let lab: LabFixture;
  let engine: Engine;
  const live: Decision[] = [];
  let stoppedAt = 0;

  before(async () => {
    lab = await startLab(1);
    const yaml = path.join(lab.dir, 'plumbline.yaml');
    const text = fs.readFileSync(yaml, 'utf8').replace('interval: 2s', 'interval: 1s').replace('mode: confirm', 'mode: auto\n      shadow: true');
    assert.match(text, /shadow: true/);
    fs.writeFileSync(yaml, text);
    const opened = await Engine.open({ configFile: yaml });
    assert.ok(opened.ok, JSON.stringify(!opened.ok && opened.error));
    engine = opened.value;
    const snaps = await engine.snapshot('lab', { reason: 'replay test' });
    assert.ok(snaps.every((o) => o.ok), JSON.stringify(snaps));
    const baselines = await engine.baseline('lab', { reason: 'replay test' });
    assert.ok(baselines.every((o) => o.ok), JSON.stringify(baselines));
    const address = lab.state.hosts.find((h) => h.name === HOST)!.address;
    const traffic = requestLoop(address, { maxRequests: 5000, maxMs: 240_000, gapMs: 100 });
    const watcher = new Watcher(engine, 'lab', { warmup: WARMUP });
    watcher.on('decision', (d) => live.push(d));
    watcher.start();
    try {
      await waitFor(watcher, 'the detectors to train', () => watcher.status().every((s) => s.phase.kind === 'watching'), 120_000);
      await setFaults(lab.dir, HOST, { blue: { errorRate: 0.5 } });
      await waitFor(watcher, 'a live decision with a tier', () => live.some((d) => d.tier !== null && !d.blockedBy), 90_000);
      // A little more, so later decisions (cooldown, escalation) are recorded too.
      const until = Date.now() + 10_000;
      await waitFor(watcher, '10 s more', () => Date.now() >= until, 30_000);
    } finally {
      stoppedAt = Date.now();
      await watcher.stop();
      await traffic.stop();
    }
  });

  after(async () => {
    await engine?.close();
    await lab?.close();
  });

  it('gives the live decisions again: same tiers, same times within one interval, same decided-by', async () => {
    const env = engine.environment('lab');
    const samples = engine.store.samples('lab', HOST, { toTs: stoppedAt + 1 });
    assert.ok(samples.length > WARMUP + 10, `only ${samples.length} samples stored`);
    const b = engine.store.activeBaseline('lab', HOST)!;
    const events: ReplayEvent[] = [];
    const snap = engine.store.latestSnapshot('lab', HOST);
    await replay(
      {
        env,
        hosts: [{ host: HOST, samples, baseline: b, snapshotRelease: snap ? (snap.release?.target ?? null) : undefined }],
        warmup: WARMUP,
        dataDir: engine.dataDir,
      },
      (e) => events.push(e),
    );
    const replayed = events.flatMap((e) => (e.type === 'decision' ? [e.decision] : []));
    // Live decides when a sample arrives (local clock), replay at the sample's own time: a live
    // decision is compared at the time of the sample it was made on.
    const sampleTs = (d: Decision): number => samples.filter((s) => s.ts <= d.ts).at(-1)?.ts ?? d.ts;
    // "Within one interval" counts samples, not milliseconds: live samples arrive 1,010 ms apart as
    // often as 990 (the host's clock and the SSH round trip), and one sample later is one interval.
    const position = (ts: number): number => samples.filter((s) => s.ts <= ts).length - 1;
    const withinOne = (replayTs: number, liveSampleTs: number): boolean => Math.abs(position(replayTs) - position(liveSampleTs)) <= 1;
    const acted = (ds: Decision[]): Decision[] => ds.filter((d) => d.host === HOST && d.tier !== null && !d.blockedBy);
    const [first] = acted(live);
    const [again] = acted(replayed);
    assert.ok(first, `no live decision: ${JSON.stringify(live.map((d) => d.why))}`);
    assert.ok(again, `replay decided nothing; live decided tier ${first.tier} at ${first.ts}: ${first.why}`);
    assert.equal(again.tier, first.tier, `replay: ${again.why}\nlive: ${first.why}`);
    assert.equal(again.decidedBy, first.decidedBy);
    assert.ok(withinOne(again.ts, sampleTs(first)), `replay decided at ${again.ts}, live on the sample of ${sampleTs(first)} (${position(again.ts) - position(sampleTs(first))} samples, ${again.ts - sampleTs(first)} ms apart)`);
    // Every live decision (with a tier) is in the replay at the same tier within one interval.
    for (const d of live.filter((x) => x.host === HOST && x.tier !== null)) {
      const match = replayed.find((r) => r.tier === d.tier && (r.blockedBy ?? '') === (d.blockedBy ?? '') && withinOne(r.ts, sampleTs(d)));
      assert.ok(match, `live tier ${d.tier}${d.blockedBy ? ` (${d.blockedBy})` : ''} on the sample of ${sampleTs(d)} is not in the replay: ${JSON.stringify(replayed.map((r) => [r.tier, r.blockedBy ?? '', r.ts]))}`);
    }
  });

  it('plumbline replay prints the same first decision with the explanation watch gives, as text and JSON', async () => {
    const sampleTs = (d: Decision): number => engine.store.samples('lab', HOST, { toTs: d.ts + 1 }).at(-1)?.ts ?? d.ts;
    const first = live.find((d) => d.host === HOST && d.tier !== null && !d.blockedBy)!;
    const args = ['replay', 'lab', '--host', HOST, '--warmup', String(WARMUP), '--to', String(stoppedAt + 1), '-c', path.join(lab.dir, 'plumbline.yaml')];
    const json = await runCli([...args, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const decisions = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; decision?: Decision })
      .flatMap((e) => (e.type === 'decision' && e.decision && e.decision.tier !== null && !e.decision.blockedBy ? [e.decision] : []));
    assert.ok(decisions.length > 0, json.stdout.slice(-2000));
    assert.equal(decisions[0].tier, first.tier);
    assert.equal(decisions[0].decidedBy, first.decidedBy);
    const stored = engine.store.samples('lab', HOST, { toTs: stoppedAt + 1 });
    const position = (ts: number): number => stored.filter((s) => s.ts <= ts).length - 1;
    assert.ok(Math.abs(position(decisions[0].ts) - position(sampleTs(first))) <= 1, `within one sample: ${decisions[0].ts} vs ${sampleTs(first)}`);
    const text = await runCli(args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /in shadow/);
    assert.match(text.stdout, /cause: /, 'each decision is explained as watch explains it');
  });
});
