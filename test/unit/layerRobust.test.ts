import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RobustBaseline, robustStats, zToScore } from '../../server/src/detect/layer/robust';
import { metricProfile } from '../../server/src/detect/layer/metricProfile';
import type { LayerObservation } from '../../server/src/detect/layer/types';
import { gauss, rng } from '../support/random';


function baselineApp(r: () => number, n = 200): Map<string, number[]> {
  const cols = new Map<string, number[]>([
    ['rssKiB', []],
    ['healthLatencyMs', []],
    ['threads', []],
    ['cpuPct', []],
    ['healthOk', []],
  ]);
  for (let i = 0; i < n; i++) {
    cols.get('rssKiB')!.push(200_000 + 3000 * gauss(r));
    cols.get('healthLatencyMs')!.push(40 + 4 * gauss(r));
    cols.get('threads')!.push(24);
    cols.get('cpuPct')!.push(20 + 2 * gauss(r));
    cols.get('healthOk')!.push(1);
  }
  return cols;
}

const obs = (metrics: Record<string, number | null>): LayerObservation => ({ ts: 1_700_000_000_000, layer: 'app', metrics });

describe('robust statistics', () => {
  it('computes median, MAD, quantiles and a floor', () => {
    const s = robustStats([1, 2, 3, 4, 100], metricProfile('x'))!;
    assert.equal(s.median, 3);
    assert.equal(s.mad, 1);
    assert.ok(s.p99 >= 4 && s.p01 <= 2);
    assert.equal(robustStats([], metricProfile('x')), null);
  });

  it('maps z to a score that is 0 up to zStart and rises towards 1', () => {
    const o = { zStart: 3, zSpread: 4 };
    assert.equal(zToScore(2.9, o), 0);
    assert.ok(Math.abs(zToScore(7, o) - (1 - Math.exp(-1))) < 1e-12);
    assert.ok(zToScore(100, o) > 0.99);
  });

  it('keeps normal noise at ~0', () => {
    const r = rng(1);
    const b = new RobustBaseline('app');
    b.fit(baselineApp(r));
    let scored = 0;
    let max = 0;
    for (let i = 0; i < 500; i++) {
      const f = b.findings(obs({ rssKiB: 200_000 + 3000 * gauss(r), healthLatencyMs: 40 + 4 * gauss(r), threads: 24, cpuPct: 20 + 2 * gauss(r), healthOk: 1 }));
      scored += f.length;
      for (const x of f) max = Math.max(max, x.score);
    }
    assert.ok(scored <= 3, `findings on normal data: ${scored}`);
    assert.ok(max < 0.3, `max score on normal data ${max}`);
  });

  it('scores a 10× spike high, with the metric, value, baseline and threshold as the reason', () => {
    // rss's product floor is wide (15 % of the median); this checks the threshold arithmetic at 5 %.
    const b = new RobustBaseline('app', { profiles: { rssKiB: { relFloor: 0.05 } } });
    b.fit(baselineApp(rng(2)));
    const f = b.findings(obs({ rssKiB: 2_000_000, healthLatencyMs: 41, threads: 24, cpuPct: 20, healthOk: 1 }));
    assert.equal(f.length, 1);
    const [x] = f;
    assert.equal(x.metric, 'rssKiB');
    assert.equal(x.source, 'stats');
    assert.equal(x.value, 2_000_000);
    assert.ok(Math.abs((x.baseline as number) - 200_000) < 2000);
    assert.ok(typeof x.threshold === 'number' && x.threshold > 200_000 && x.threshold < 245_000, `threshold ${x.threshold}`);
    assert.ok(x.score > 0.95, `score ${x.score}`);
    assert.match(x.detail, /rssKiB .* robust z above the baseline median/);
  });

  it('keeps a constant metric low on a tiny change, high on a real one', () => {
    const b = new RobustBaseline('app');
    b.fit(baselineApp(rng(3)));
    assert.equal(b.score('threads', 25)!.score, 0);
    assert.ok(b.score('threads', 25)!.z < 2);
    assert.ok(b.score('threads', 100)!.score > 0.9);
    // healthOk never moved: a drop to 0 is as bad as it gets.
    assert.ok(b.score('healthOk', 0)!.score > 0.9);
  });

  it('respects direction: lower latency or rss is fine, lower health is not, cpu is two-sided', () => {
    const b = new RobustBaseline('app');
    b.fit(baselineApp(rng(4)));
    assert.equal(b.score('healthLatencyMs', 1)!.score, 0);
    assert.ok(b.score('healthLatencyMs', 300)!.score > 0.9);
    assert.equal(b.score('rssKiB', 20_000)!.score, 0);
    assert.equal(b.score('healthOk', 2)!.score, 0);
    assert.ok(b.score('cpuPct', 0)!.score > 0.1, 'two-sided: a drop counts too');
    assert.ok(b.score('cpuPct', 60)!.score > 0.5);
    const custom = new RobustBaseline('app', { profiles: { cpuPct: { direction: 'up' } } });
    custom.fit(baselineApp(rng(4)));
    assert.equal(custom.score('cpuPct', 0)!.score, 0);
  });

  it('scores against the nearest accepted state after feedback', () => {
    const b = new RobustBaseline('app');
    b.fit(baselineApp(rng(5)));
    assert.ok(b.score('cpuPct', 55)!.score > 0.6);
    b.accept(
      'cpuPct',
      Array.from({ length: 30 }, (_, i) => 45 + (i % 5) - 2),
    );
    assert.equal(b.score('cpuPct', 45.5)!.score, 0);
    assert.equal(b.score('cpuPct', 20)!.score, 0);
    assert.ok(b.score('cpuPct', 150)!.score > 0.9);
    const round = RobustBaseline.fromJSON(JSON.parse(JSON.stringify(b.toJSON())) as ReturnType<RobustBaseline['toJSON']>);
    assert.deepEqual(round.score('cpuPct', 150), b.score('cpuPct', 150));
  });
});
