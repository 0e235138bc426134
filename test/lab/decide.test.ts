/**
 * Cause before tier on real lab hosts (sshd, nginx, the blue/green app, traffic through nginx):
 * a healthy deploy during watch is proposed as the new baseline and never acted on; a CPU hog
 * that is not the app gets no app action and is named; a disk filling from a path the clean-up
 * does not clean is never reported cured, and the clean-up is not run again; the agent's own
 * SSH session is no service drift.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ActionReport } from '../../server/src/act/types';
import { Engine } from '../../server/src/engine/engine';
import { faultyReleaseScript } from '../../server/src/lab/faultyRelease';
import type { Decision, Proposal } from '../../server/src/policy';
import type { CureResult } from '../../server/src/watch/cureWatch';
import { Watcher } from '../../server/src/watch/watcher';
import { requestLoop } from '../bench/scenarios/labOps';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

const skip = labSkipReason();
const HOST = 'web-1';

/** Resolves with the first event that satisfies `ok`; rejects after `ms` naming what it waited for. */
function waitFor<T>(w: Watcher, event: 'decision' | 'proposal' | 'cure', ok: (x: T) => boolean, ms: number, what: string, state?: () => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (x: T): void => {
      if (!ok(x)) return;
      clearTimeout(timer);
      w.off(event, on as never);
      resolve(x);
    };
    const timer = setTimeout(() => {
      w.off(event, on as never);
      reject(new Error(`no ${what} within ${ms / 1000} s${state ? `; last intervals: ${JSON.stringify(state())}` : ''}`));
    }, ms);
    w.on(event, on as never);
  });
}

/** Polls `find` (each 250 ms) until it gives a value; rejects after `ms`. */
async function until<T>(find: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('cause before tier on lab hosts', { skip }, () => {
  let lab: LabFixture;
  let engine: Engine;
  let watcher: Watcher | undefined;
  let traffic: ReturnType<typeof requestLoop> | undefined;
  const actions: ActionReport[] = [];
  const decisions: Decision[] = [];
  /** What the watch saw in its last intervals: shown when an expected decision does not come. */
  const intervals: unknown[] = [];
  const sh = (script: string) => lab.exec(HOST, ['sh', '-c', script]);

  before(async () => {
    lab = await startLab(1);
    const yaml = path.join(lab.dir, 'plumbline.yaml');
    // 1 s samples and auto mode: the watch decides and acts on its own.
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('interval: 2s', 'interval: 1s').replace('mode: confirm', 'mode: auto\n      escalateAfter: 20s'));
    const opened = await Engine.open({ configFile: yaml });
    assert.ok(opened.ok, JSON.stringify(!opened.ok && opened.error));
    engine = opened.value;
    traffic = requestLoop(lab.state.hosts[0].address, { maxRequests: 50_000, maxMs: 1_800_000, gapMs: 100 });
  });

  after(async () => {
    await watcher?.stop();
    await traffic?.stop();
    await engine?.close();
    await lab?.close();
  });

  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    actions.length = 0;
    decisions.length = 0;
    intervals.length = 0;
  });

  /** Snapshot, baseline and a watch trained on the host as it is. */
  async function watchFromHere(): Promise<Watcher> {
    assert.ok((await engine.snapshot('lab', { reason: 'decide test' })).every((o) => o.ok));
    assert.ok((await engine.baseline('lab', { reason: 'decide test' })).every((o) => o.ok));
    const w = new Watcher(engine, 'lab', { warmup: 20 });
    w.on('action', (r) => actions.push(r));
    w.on('decision', (d) => decisions.push(d));
    w.on('interval', ({ risk, cause }) => {
      intervals.push(`${risk.state} ${risk.value.toFixed(2)} [${risk.reasons.slice(0, 2).map((r) => `${r.layer}.${r.metric}/${r.source} ${r.score.toFixed(2)}`).join(', ')}] ${cause ? `${cause.kind}: ${cause.summary.slice(0, 120)}` : '-'}`);
      if (intervals.length > 80) intervals.shift();
    });
    const trained = new Promise<void>((resolve) => {
      const on = (): void => {
        if (!w.status().every((s) => s.phase.kind === 'watching')) return;
        w.off('risk', on);
        resolve();
      };
      w.on('risk', on);
    });
    w.start();
    await trained;
    return w;
  }

  it('the agent\u2019s own SSH session is no service drift, with the stream open beside a capture', async () => {
    watcher = await watchFromHere();
    const d = await engine.diff('lab');
    assert.ok(d[0].ok, JSON.stringify(d[0]));
    const services = d[0].ok ? d[0].value.diff.items.filter((i) => i.path.startsWith('os.services')) : [];
    assert.deepEqual(services, [], 'a capture while the stream runs sees the same services as the baseline');
  });

  it('a healthy deploy during watch is proposed as the new baseline, with no action', async () => {
    watcher = await watchFromHere();
    const proposal = waitFor<Proposal>(watcher, 'proposal', (p) => p.host === HOST, 150_000, 'baseline proposal');
    await sh(faultyReleaseScript({}));
    const p = await proposal;
    assert.equal(p.release.to, 'releases/r3');
    assert.equal(p.release.from, 'releases/r2');
    assert.equal(p.command, `plumbline promote lab ${HOST}`);
    assert.deepEqual(actions, [], 'no action on a healthy deploy');
    assert.ok(decisions.every((d) => !d.execute && d.cause?.kind === 'deploy'), JSON.stringify(decisions.map((d) => [d.cause?.kind, d.tier, d.why])));
    const audit = engine.auditLog().entries({ env: 'lab' });
    assert.ok(audit.some((e) => e.details?.proposal !== undefined && /release r3 deployed outside Plumbline at .*service healthy/.test(e.summary)));
    await sh('cd /srv/app && ln -sfn releases/r2 current.new && mv -T current.new current && for c in blue green; do kill "$(cat /run/plumbline-app-$c.pid)"; done; sleep 3');
  });

  it('a CPU hog that is not the app gets no app action, and is named', async () => {
    watcher = await watchFromHere();
    await sh('mkdir -p /srv/jobs && printf \'#!/bin/sh\\n(sleep 50; kill $$) & while :; do :; done\\n\' > /srv/jobs/nightly-batch && chmod 755 /srv/jobs/nightly-batch');
    const named = waitFor<Decision>(
      watcher,
      'decision',
      (d) => d.cause?.kind === 'neighbour' && d.cause.processes.some((p) => p.command === 'nightly-batch'),
      60_000,
      'a neighbour decision naming nightly-batch',
      () => ({ intervals, decisions: decisions.map((d) => `${d.tier} ${d.cause?.kind ?? '-'}: ${d.why.slice(0, 200)}`) }),
    );
    const pid = (await sh('setsid /srv/jobs/nightly-batch </dev/null >/dev/null 2>&1 & echo $!')).trim();
    try {
      const d = await named;
      assert.equal(d.tier, null);
      assert.equal(d.execute, false);
      if (d.cause?.kind !== 'neighbour') return;
      assert.equal(d.cause.resource, 'cpu');
      assert.ok(d.cause.processes[0].pid > 0 && d.cause.processes[0].share > 0.3, JSON.stringify(d.cause.processes));
      assert.match(d.why, /not the app/);
      // Until the hog ends: never an action on the app.
      await new Promise((r) => setTimeout(r, 30_000));
      assert.deepEqual(actions, [], 'no action on the app for a neighbour');
    } finally {
      await sh(`kill ${pid} 2>/dev/null; true`);
    }
  });

  it('a disk filling from a path the clean-up does not clean is never reported cured, and the clean-up does not loop', async () => {
    watcher = await watchFromHere();
    const cure = waitFor<CureResult>(watcher, 'cure', (c) => c.host === HOST, 150_000, 'a cure check');
    let filling = true;
    const writer = (async () => {
      await sh('mkdir -p /srv/data/spool');
      while (filling) {
        const r = await lab.exec(HOST, ['sh', '-c', 'dd if=/dev/zero of=/srv/data/spool/fill bs=1M count=1 oflag=append conv=notrunc status=none 2>/dev/null || echo full']);
        if (r.includes('full')) break;
        await new Promise((res) => setTimeout(res, 700));
      }
    })();
    try {
      const c = await cure;
      assert.equal(c.action, 'remediate');
      assert.equal(c.cured, false, c.summary);
      assert.match(c.summary, /^NOT CURED/);
      assert.ok(c.checks.some((k) => k.metric === 'hardware.diskUsedPct' && !k.ok), JSON.stringify(c.checks));
      // The decision that asks a person may come in the same interval as the cure check: look at all of them.
      const stop = await until(() => decisions.find((d) => d.host === HOST && d.blockedBy === 'exhausted'), 30_000, 'a decision that asks a person');
      assert.match(stop.why, /a person must act/);
      assert.equal(actions.filter((a) => a.action === 'remediate').length, 1, 'the clean-up ran once');
      assert.ok(actions.every((a) => a.action === 'remediate'), 'neither a switch nor a rollback frees a disk');
      const audit = engine.auditLog().entries({ env: 'lab' });
      assert.ok(audit.some((e) => e.outcome === 'verify-failed' && /NOT CURED/.test(e.summary)));
    } finally {
      filling = false;
      await writer;
      await sh('rm -rf /srv/data/spool');
    }
  });
});
