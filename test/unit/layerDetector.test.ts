import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LayerDetector } from '../../server/src/detect/layer/layerDetector';
import { hostDetectors, observeMany } from '../../server/src/detect/layer/hosts';
import type { Finding, LayerObservation } from '../../server/src/detect/layer/types';
import { gauss, rng } from '../support/random';


const T0 = 1_700_000_000_000;
const STEP = 5000;

/** App samples: rss and cpu follow the request rate; `cron` adds a benign cpu burst. */
function stream(seed: number, start: number, n: number, shape: { cron?: boolean; leakPerSec?: number } = {}): LayerObservation[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const ts = T0 + (start + i) * STEP;
    const req = 50 + 100 * r();
    return {
      ts,
      layer: 'app' as const,
      metrics: {
        requestRate: req,
        rssKiB: 200_000 + 400 * req + 800 * gauss(r) + (shape.leakPerSec ?? 0) * ((i * STEP) / 1000),
        cpuPct: 5 + 0.15 * req + 0.5 * gauss(r) + (shape.cron ? 40 : 0),
        threads: 24,
        fds: 100 + 3 * gauss(r),
        healthLatencyMs: 40 + 4 * gauss(r),
        errorRate: Math.abs(0.002 * gauss(r)),
        healthOk: 1,
      },
    };
  });
}

const worst = (fs: Finding[]): number => fs.reduce((m, f) => Math.max(m, f.score), 0);

describe('layer detector', () => {
  it('combines statistics, forecasts and the model with reasons', async () => {
    // The correlation break below is 5 % of rss: narrower than the product's rss floor (15 %).
    const d = new LayerDetector({ host: 'web-1', layer: 'app', facts: { memTotalKiB: 400_000 }, profiles: { rssKiB: { relFloor: 0.05 } } });
    await d.train(stream(1, 0, 240));
    assert.ok(d.trained && d.autoencoder);

    const normal = stream(2, 240, 200).flatMap((o) => d.observe(o));
    assert.ok(normal.filter((f) => f.score >= 0.3).length <= 3, JSON.stringify(normal.slice(0, 3)));

    const spike = d.observe({ ts: T0 + 500 * STEP, layer: 'app', metrics: { ...stream(3, 500, 1)[0].metrics, rssKiB: 2_500_000 } });
    const stat = spike.find((f) => f.source === 'stats' && f.metric === 'rssKiB')!;
    assert.ok(stat.score > 0.9);
    assert.equal(typeof stat.baseline, 'number');
    assert.equal(typeof stat.threshold, 'number');
    assert.ok(spike.some((f) => f.source === 'model' && f.metric === 'rssKiB'));

    const broken = d.observe({ ts: T0 + 501 * STEP, layer: 'app', metrics: { ...stream(4, 501, 1)[0].metrics, requestRate: 140, cpuPct: 26, rssKiB: 224_000 } });
    assert.deepEqual(
      broken.filter((f) => f.source === 'stats'),
      [],
    );
    const model = broken.filter((f) => f.source === 'model');
    assert.equal(model[0]?.metric, 'rssKiB', JSON.stringify(model));
    assert.match(model[0].detail, /rssKiB contributes \d+%/);
    assert.ok(model.every((f) => f.score > 0 && f.score <= model[0].score));
  });

  it('scores the first row after a short training window: a hog right after it is flagged, not learned', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app' });
    const window = stream(5, 0, 20);
    await d.train(window);
    const next = stream(6, 20, 1)[0];
    const hog = d.observe({ ...next, metrics: { ...next.metrics, cpuPct: 100 } });
    const cpu = hog.find((f) => f.source === 'stats' && f.metric === 'cpuPct');
    assert.ok(cpu && cpu.score > 0.5, JSON.stringify(hog));
    // It stays flagged while it runs instead of becoming the detectors' normal.
    let last: Finding | undefined = cpu;
    for (const o of stream(7, 21, 20)) last = d.observe({ ...o, metrics: { ...o.metrics, cpuPct: 100 } }).find((f) => f.source === 'stats' && f.metric === 'cpuPct');
    assert.ok(last && last.score > 0.5, JSON.stringify(last));
    // The warm-up the window set survives a restart.
    const again = LayerDetector.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    assert.equal(again.toJSON().warmup, 20);
  });

  it('a promoted state adopts what is flagged, except the metrics kept as the evidence of a fault the action did not remove', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app' });
    await d.train(stream(5, 0, 20));
    // A hog (cpu) and a change that came with the action itself (fds): both flagged.
    const shifted = (o: LayerObservation): LayerObservation => ({ ...o, metrics: { ...o.metrics, cpuPct: 100, fds: 400 } });
    const first = d.observe(shifted(stream(6, 20, 1)[0]));
    const flagged = (fs: Finding[], metric: string): boolean => fs.some((f) => f.source === 'stats' && f.metric === metric && f.score > 0.5);
    assert.ok(flagged(first, 'cpuPct') && flagged(first, 'fds'), JSON.stringify(first));
    assert.deepEqual(d.accept(0, new Set(['cpuPct'])), ['fds']);
    let last: Finding[] = [];
    for (const o of stream(7, 21, 10)) last = d.observe(shifted(o));
    assert.ok(flagged(last, 'cpuPct'), 'the kept metric is still flagged: the hog is not learned');
    assert.ok(!flagged(last, 'fds'), 'the accepted level is the new normal');
  });

  it('forecasts a leak toward the host memory', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app', facts: { memTotalKiB: 400_000 }, autoencoder: false });
    await d.train(stream(5, 0, 120));
    // The leak starts after the training window; rss also follows traffic (σ ≈ 11 MiB).
    const findings = stream(6, 120, 120, { leakPerSec: 150 }).flatMap((o) => d.observe(o));
    const fc = findings.filter((f) => f.source === 'forecast');
    assert.ok(fc.length > 0);
    const last = fc.at(-1)!;
    assert.equal(last.metric, 'rssKiB');
    assert.equal(last.forecast!.limit, 400_000);
    assert.ok(Math.abs(last.forecast!.slopePerSec - 150) < 30, `slope ${last.forecast!.slopePerSec}`);
    assert.match(last.detail, /reaches 400000 in \d+–\d+ min \(90 %\)/);
  });

  it('learns a benign recurring shift once it is marked expected', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app' });
    await d.train(stream(7, 0, 240));
    const first = stream(8, 300, 30, { cron: true });
    const before = first.flatMap((o) => d.observe(o));
    assert.ok(before.some((f) => f.metric === 'cpuPct' && f.source === 'stats' && f.score > 0.5));
    assert.ok(before.some((f) => f.source === 'model'));

    await d.markExpected('all', first);

    const again = stream(9, 600, 30, { cron: true }).flatMap((o) => d.observe(o));
    assert.deepEqual(
      again.filter((f) => f.score >= 0.3),
      [],
    );
    assert.ok(worst(again) < 0.3);
    // Still alert outside both accepted states.
    const worse = d.observe({ ts: T0 + 700 * STEP, layer: 'app', metrics: { ...stream(10, 700, 1)[0].metrics, cpuPct: 200 } });
    assert.ok(worse.some((f) => f.metric === 'cpuPct' && f.source === 'stats' && f.score > 0.5));
    // And the baseline state is still normal.
    const normal = stream(11, 800, 30).flatMap((o) => d.observe(o));
    assert.ok(worst(normal.filter((f) => f.source === 'stats')) < 0.3);
  });

  it('reports a baseline metric that stops arriving as no data', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app', autoencoder: false });
    await d.train(stream(12, 0, 60));
    const obs = stream(13, 60, 4).map((o) => ({ ...o, metrics: { ...o.metrics, healthLatencyMs: null } }));
    const out = obs.map((o) => d.observe(o).filter((f) => f.source === 'nodata'));
    assert.deepEqual(
      out.map((f) => f.length),
      [0, 0, 1, 1],
    );
    assert.equal(out[3][0].metric, 'healthLatencyMs');
    assert.equal(out[3][0].value, null);
  });

  it('round-trips its statistics through JSON and its model through files', async () => {
    const d = new LayerDetector({ host: 'web-1', layer: 'app' });
    await d.train(stream(14, 0, 200));
    await d.markExpected('cpuPct', stream(15, 200, 20, { cron: true }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-ld-'));
    try {
      assert.equal(await d.saveModel(dir), true);
      const copy = LayerDetector.fromJSON(JSON.parse(JSON.stringify(d.toJSON())) as ReturnType<LayerDetector['toJSON']>);
      await copy.loadModel(dir);
      const probe = stream(16, 400, 40);
      probe.push({ ts: T0 + 440 * STEP, layer: 'app', metrics: { ...probe[0].metrics, rssKiB: 224_000, requestRate: 145 } });
      for (const o of probe) assert.deepEqual(copy.observe(o), d.observe(o));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      d.dispose();
    }
  });

  it('observeMany across hosts equals observe one by one', async () => {
    const hosts = ['a', 'b', 'c'].map((h) => hostDetectors(h));
    const trainApp = stream(17, 0, 120);
    await Promise.all(hosts.map((h) => h.app.train(trainApp)));
    assert.deepEqual(Object.keys(hosts[0]).sort(), ['app', 'hardware', 'os']);
    const twins = ['a', 'b', 'c'].map((h) => hostDetectors(h));
    await Promise.all(twins.map((h) => h.app.train(trainApp)));
    for (const [k, o] of stream(18, 120, 10).entries()) {
      const obs = k === 5 ? { ...o, metrics: { ...o.metrics, rssKiB: 224_000, requestRate: 145 } } : o;
      const batched = observeMany(hosts.map((h) => ({ detector: h.app, obs })));
      const single = twins.map((h) => h.app.observe(obs));
      batched.forEach((b, i) => {
        assert.deepEqual(
          b.map((f) => [f.source, f.metric]),
          single[i].map((f) => [f.source, f.metric]),
        );
        b.forEach((f, j) => assert.ok(Math.abs(f.score - single[i][j].score) < 1e-3));
      });
    }
  });
});
