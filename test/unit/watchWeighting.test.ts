import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../server/src/detect/layer/types';
import { weighByHeadroom } from '../../server/src/watch/headroom';
import { LoadGate } from '../../server/src/watch/loadGate';

const T0 = 1_700_000_000_000;
const f = (layer: Finding['layer'], metric: string, over: Partial<Finding> = {}): Finding => ({
  ts: T0,
  layer,
  source: 'stats',
  metric,
  value: 100,
  baseline: 10,
  threshold: 20,
  score: 0.8,
  detail: `${metric} is high.`,
  ...over,
});
const score = (out: Finding[], layer: string, metric: string): number => out.find((x) => x.layer === layer && x.metric === metric)!.score;

describe('load gate', () => {
  it('damps what follows more traffic on a healthy service, and says why', () => {
    const gate = new LoadGate({ factor: 0.2, holdMs: 60_000 });
    const out = gate.apply([f('app', 'requestRate', { value: 150, baseline: 10 }), f('app', 'cpuPct'), f('hardware', 'netRxBps'), f('app', 'restarts')], T0);
    assert.ok(Math.abs(score(out, 'app', 'cpuPct') - 0.16) < 1e-9);
    assert.ok(Math.abs(score(out, 'hardware', 'netRxBps') - 0.16) < 1e-9);
    assert.ok(Math.abs(score(out, 'app', 'requestRate') - 0.16) < 1e-9);
    assert.equal(score(out, 'app', 'restarts'), 0.8, 'restarts do not follow load');
    assert.match(out.find((x) => x.metric === 'cpuPct')!.detail, /Explained by traffic \(request rate 150\/s against 10\.0\/s\)/);
    // rss comes down slowly after the spike: still explained within the hold, not after it.
    assert.ok(score(gate.apply([f('app', 'rssKiB')], T0 + 30_000), 'app', 'rssKiB') < 0.2);
    assert.equal(score(gate.apply([f('app', 'rssKiB')], T0 + 61_000), 'app', 'rssKiB'), 0.8);
  });

  it('scores everything in full when users are affected, and a busy cpu without more traffic in full', () => {
    const gate = new LoadGate();
    const failing = gate.apply([f('app', 'requestRate', { value: 150, baseline: 10 }), f('app', 'cpuPct'), f('app', 'errorRatio', { value: 0.5, baseline: 0 })], T0);
    assert.equal(score(failing, 'app', 'cpuPct'), 0.8);
    assert.equal(score(failing, 'app', 'requestRate'), 0.8);
    const spin = new LoadGate().apply([f('app', 'cpuPct')], T0);
    assert.equal(score(spin, 'app', 'cpuPct'), 0.8);
    // Less traffic than usual explains nothing, but is itself no fault of a healthy host.
    const quiet = new LoadGate().apply([f('app', 'requestRate', { value: 1, baseline: 10 }), f('app', 'cpuPct')], T0);
    assert.equal(score(quiet, 'app', 'cpuPct'), 0.8);
    assert.ok(score(quiet, 'app', 'requestRate') < 0.2);
  });

  it('config findings pass untouched', () => {
    const out = new LoadGate().apply([f('app', 'requestRate', { value: 150, baseline: 10 }), f('app', 'fds', { source: 'config' })], T0);
    assert.equal(score(out, 'app', 'fds'), 0.8);
  });
});

describe('headroom to a configured limit', () => {
  const limits = { app: { healthLatencyMs: { direction: 'up' as const, value: 500 } } };
  it('weighs an unusual value by the share of the way to its limit, in full from halfway', () => {
    const near = weighByHeadroom([f('app', 'healthLatencyMs', { value: 60, baseline: 5, score: 0.9 })], limits);
    // 55 of 495 ms used: 11 %, weight 0.22.
    assert.ok(Math.abs(near[0].score - 0.9 * (55 / 495 / 0.5)) < 1e-9, String(near[0].score));
    assert.match(near[0].detail, /used 11% of the way from its baseline to its limit \(500\)/);
    const half = weighByHeadroom([f('app', 'healthLatencyMs', { value: 300, baseline: 5, score: 0.9 })], limits);
    assert.equal(half[0].score, 0.9);
    // Never below the minimum weight, and only for stats and model findings on a metric with a limit.
    const tiny = weighByHeadroom([f('app', 'healthLatencyMs', { value: 6, baseline: 5, score: 0.9 })], limits);
    assert.ok(Math.abs(tiny[0].score - 0.9 * 0.2) < 1e-9);
    const forecast = weighByHeadroom([f('app', 'healthLatencyMs', { source: 'forecast', value: 60, baseline: 5 })], limits);
    assert.equal(forecast[0].score, 0.8);
    const other = weighByHeadroom([f('app', 'cpuPct', { value: 90, baseline: 5 })], limits);
    assert.equal(other[0].score, 0.8);
  });
});
