/**
 * Watching real lab hosts: streamed samples through the detectors and risk. A memory leak on one
 * host raises that host's app risk with a forecast time-to-breach among its reasons while the
 * others stay low; a crash-looping app raises risk within three intervals; a silenced agent is
 * "no data", never healthy.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import type { HostRisk } from '../../server/src/risk';
import { Watcher } from '../../server/src/watch/watcher';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

const skip = labSkipReason();
const INTERVAL_MS = 1000;

/** Resolves with the first risk update that satisfies `ok`; rejects after `timeoutMs` with the last seen. */
function riskWhere(w: Watcher, ok: (r: HostRisk) => boolean, timeoutMs: number, what: string): Promise<HostRisk> {
  return new Promise((resolve, reject) => {
    let last: HostRisk | undefined;
    const onRisk = (r: HostRisk): void => {
      last = r;
      if (!ok(r)) return;
      clearTimeout(timer);
      w.off('risk', onRisk);
      resolve(r);
    };
    const timer = setTimeout(() => {
      w.off('risk', onRisk);
      reject(new Error(`timed out waiting for ${what}; last risk: ${JSON.stringify(last && { host: last.host, state: last.state, value: last.value, reasons: last.reasons.slice(0, 3) })}`));
    }, timeoutMs);
    w.on('risk', onRisk);
  });
}

function trained(w: Watcher, hosts: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => w.status().filter((s) => hosts.includes(s.host)).every((s) => s.phase.kind === 'watching');
    const timer = setTimeout(() => reject(new Error(`detectors not trained: ${JSON.stringify(w.status().map((s) => [s.host, s.phase]))}`)), timeoutMs);
    const onRisk = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      w.off('risk', onRisk);
      resolve();
    };
    w.on('risk', onRisk);
  });
}

describe('watching lab hosts', { skip }, () => {
  let lab: LabFixture;
  let engine: Engine;
  let watcher: Watcher;
  const worst = new Map<string, number>();
  const worstRisk = new Map<string, HostRisk>();

  before(async () => {
    lab = await startLab(3);
    // A 1 s interval keeps the test short; everything else is the lab's own workspace.
    const yaml = path.join(lab.dir, 'plumbline.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('interval: 2s', 'interval: 1s'));
    const opened = await Engine.open({ configFile: yaml });
    assert.ok(opened.ok, JSON.stringify(!opened.ok && opened.error));
    engine = opened.value;
    const b = await engine.baseline('lab', { reason: 'watch test' });
    assert.ok(b.every((o) => o.ok), JSON.stringify(b));
    watcher = new Watcher(engine, 'lab', { warmup: 30 });
    watcher.on('risk', (r) => {
      if (r.value > (worst.get(r.host) ?? -1)) worstRisk.set(r.host, r);
      worst.set(r.host, Math.max(worst.get(r.host) ?? 0, r.value));
    });
    watcher.start();
    await trained(watcher, ['web-1', 'web-2', 'web-3'], 120_000);
    worst.clear();
    worstRisk.clear();
  });

  after(async () => {
    await watcher?.stop();
    await engine?.close();
    await lab?.close();
  });

  it('a memory leak raises that host’s app risk with a forecast time-to-breach, the others stay low', async () => {
    await lab.exec('web-1', ['sh', '-c', 'echo \'{"leakMBPerSec": 1}\' > /srv/app/shared/faults.json']);
    const r = await riskWhere(
      watcher,
      (x) => x.host === 'web-1' && x.layers.app.value >= 0.3 && x.layers.app.reasons.some((re) => re.source === 'forecast' && re.forecast?.timeToBreachMs != null),
      180_000,
      'web-1 app risk with a forecast',
    );
    const forecast = r.layers.app.reasons.find((re) => re.source === 'forecast')!;
    assert.equal(forecast.metric, 'rssKiB');
    assert.equal(forecast.forecast!.limit, 512 * 1024, 'the limit comes from plumbline.yaml');
    assert.ok(forecast.forecast!.timeToBreachMs! > 0, 'predicted before the breach');
    await lab.exec('web-1', ['sh', '-c', 'echo "{}" > /srv/app/shared/faults.json']);
    // "Low": never at the moderate threshold (0.6) where a tier acts. A one-interval blip (health
    // latency when the shared machine is busy) may touch "minor" by design; persistence keeps it
    // from acting, and the tracker caps a single interval below moderate.
    for (const host of ['web-2', 'web-3']) {
      assert.ok((worst.get(host) ?? 0) < 0.6, `${host} stayed low: ${JSON.stringify(worstRisk.get(host))}`);
      assert.ok((worst.get(host) ?? 0) < r.layers.app.value, `${host} stayed below the leaking host`);
    }
  });

  it('a crash-looping app raises risk within three intervals', async () => {
    await lab.exec('web-2', ['sh', '-c', 'echo \'{"crashLoop": true}\' > /srv/app/shared/faults.json']);
    const started = Date.now();
    const r = await riskWhere(watcher, (x) => x.host === 'web-2' && x.layers.app.value >= 0.3, 20_000, 'web-2 app risk after a crash');
    const intervals = (Date.now() - started) / INTERVAL_MS;
    await lab.exec('web-2', ['sh', '-c', 'echo "{}" > /srv/app/shared/faults.json']);
    assert.ok(intervals <= 3.5, `risk rose after ${intervals.toFixed(1)} intervals`);
    assert.ok(r.layers.app.reasons.length > 0);
  });

  it('notices a new release when the current symlink moves', async () => {
    const seen = new Promise<[string, string | null, string | null]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no release event within 15 s')), 15_000);
      watcher.on('release', (host, from, to) => {
        if (host !== 'web-3') return;
        clearTimeout(timer);
        resolve([host, from, to]);
      });
    });
    await lab.exec('web-3', ['sh', '-c', 'cd /srv/app && ln -sfn releases/r1 current.new && mv -T current.new current']);
    assert.deepEqual(await seen, ['web-3', 'releases/r2', 'releases/r1']);
    const entries = engine.auditLog().entries({ env: 'lab' });
    assert.ok(entries.some((e) => e.host === 'web-3' && e.summary.startsWith('new release on web-3')));
    await lab.exec('web-3', ['sh', '-c', 'cd /srv/app && ln -sfn releases/r2 current.new && mv -T current.new current']);
  });

  it('a silenced agent is "no data", never healthy', async () => {
    // Stop (not kill) the agent on web-3: its channel stays open but nothing arrives.
    await lab.exec('web-3', ['sh', '-c', 'pkill -STOP -f "[p]lumbline-agent" || true']);
    try {
      const r = await riskWhere(watcher, (x) => x.host === 'web-3' && x.state === 'nodata', 15_000, 'web-3 no data');
      assert.equal(r.reasons[0].source, 'nodata');
    } finally {
      await lab.exec('web-3', ['sh', '-c', 'pkill -CONT -f "[p]lumbline-agent" || true']);
    }
  });
});
