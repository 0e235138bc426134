import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breachScore, DEFAULT_FORECAST_OPTIONS, fitTrend, Forecaster, reachOf, timeToBreach } from '../../server/src/detect/layer/forecast';
import type { LayerObservation } from '../../server/src/detect/layer/types';
import { gauss, rng } from '../support/random';


const T0 = 1_700_000_000_000;
const STEP = 5000;

describe('forecast', () => {
  it('fits a line and ignores a wild outlier', () => {
    const ts = Array.from({ length: 40 }, (_, i) => T0 + i * STEP);
    const ys = ts.map((_, i) => 10 + 0.5 * i);
    ys[20] = 1e6;
    const fit = fitTrend(ts, ys)!;
    assert.ok(Math.abs(fit.slopePerMs * STEP - 0.5) < 1e-9);
    assert.ok(Math.abs(fit.current - (10 + 0.5 * 39)) < 1e-6);
    assert.equal(fit.n, 39);
  });

  it('computes time to breach only toward the limit', () => {
    assert.equal(timeToBreach(50, 0.01, 100, 'up'), 5000);
    assert.equal(timeToBreach(50, -0.01, 100, 'up'), null);
    assert.equal(timeToBreach(120, -0.01, 100, 'up'), 0);
    assert.equal(timeToBreach(50, -0.01, 10, 'down'), 4000);
  });

  it('scores 0.3 at the horizon, 1 within two minutes, 0 beyond', () => {
    const o = DEFAULT_FORECAST_OPTIONS;
    assert.equal(breachScore(o.horizonMs, o), 0.3);
    assert.equal(breachScore(o.horizonMs + 1, o), 0);
    assert.equal(breachScore(60_000, o), 1);
    assert.equal(breachScore(null, o), 0);
    const mid = breachScore(16 * 60_000, o);
    assert.ok(mid > 0.3 && mid < 1);
  });

  it('gives the time to breach of a noisy linear leak within 10%', () => {
    const r = rng(7);
    const memTotalKiB = 1_000_000;
    const f = new Forecaster('app', {}, { memTotalKiB });
    // rss leaks 200 KiB/s from 600 MiB-ish with noise: the limit is (1e6 − 600e3)/200 s away at t = 0.
    const slope = 200 / 1000;
    let last: ReturnType<Forecaster['findings']> = [];
    let lastTs = 0;
    for (let i = 0; i < 120; i++) {
      const ts = T0 + i * STEP;
      const rss = 600_000 + slope * (ts - T0) + 3000 * gauss(r);
      last = f.findings({ ts, layer: 'app', metrics: { rssKiB: rss } });
      lastTs = ts;
    }
    assert.equal(last.length, 1);
    const x = last[0];
    assert.equal(x.source, 'forecast');
    assert.equal(x.metric, 'rssKiB');
    assert.equal(x.forecast!.limit, memTotalKiB);
    const truth = (memTotalKiB - (600_000 + slope * (lastTs - T0))) / slope;
    const got = x.forecast!.timeToBreachMs!;
    assert.ok(Math.abs(got - truth) / truth < 0.1, `ttb ${got} vs ${truth}`);
    assert.ok(Math.abs(x.forecast!.slopePerSec - 200) / 200 < 0.1);
    assert.ok(x.score > 0.3 && x.score <= 1);
    assert.match(x.detail, /reaches 1e\+6|reaches 1000000|reaches/);
  });

  it('gives no forecast from a flat noisy series', () => {
    const r = rng(8);
    const f = new Forecaster('hardware');
    let count = 0;
    for (let i = 0; i < 600; i++) {
      count += f.findings({ ts: T0 + i * STEP, layer: 'hardware', metrics: { diskUsedPct: 60 + 2 * gauss(r), memUsedPct: 50 + 5 * gauss(r) } }).length;
    }
    assert.equal(count, 0);
  });

  it('gives no forecast for a decreasing metric with an upward limit', () => {
    const f = new Forecaster('app', { healthLatencyMs: { direction: 'up', value: 500 } });
    let count = 0;
    for (let i = 0; i < 120; i++) count += f.findings({ ts: T0 + i * STEP, layer: 'app', metrics: { healthLatencyMs: 400 - i } }).length;
    assert.equal(count, 0);
  });

  it('does not take a level shift for a trend', () => {
    const r = rng(9);
    const f = new Forecaster('hardware');
    let count = 0;
    for (let i = 0; i < 120; i++) {
      count += f.findings({ ts: T0 + i * STEP, layer: 'hardware', metrics: { diskUsedPct: (i < 60 ? 60 : 80) + 0.3 * gauss(r) } }).length;
    }
    assert.equal(count, 0);
  });

  it('takes limits from another metric and reports a breach already there', () => {
    const f = new Forecaster('app');
    let last: ReturnType<Forecaster['findings']> = [];
    const obs = (i: number): LayerObservation => ({ ts: T0 + i * STEP, layer: 'app', metrics: { fds: 1030 + (i % 3), fdsLimit: 1024 } });
    for (let i = 0; i < 20; i++) last = f.findings(obs(i));
    assert.equal(last.length, 1);
    assert.equal(last[0].forecast!.timeToBreachMs, 0);
    assert.equal(last[0].score, 1);
  });

  it('stays quiet on an accepted trend until it steepens', () => {
    const f = new Forecaster('hardware');
    let i = 0;
    const feed = (slopePerStep: number, n: number): number => {
      let c = 0;
      for (let k = 0; k < n; k++, i++) c += f.findings({ ts: T0 + i * STEP, layer: 'hardware', metrics: { diskUsedPct: 80 + slopePerStep * i + 0.01 * Math.sin(i) } }).length;
      return c;
    };
    const steeper = (n: number): number => {
      let c = 0;
      const base = 80 + 0.1 * i;
      for (let k = 0; k < n; k++, i++) c += f.findings({ ts: T0 + i * STEP, layer: 'hardware', metrics: { diskUsedPct: base + 0.5 * k } }).length;
      return c;
    };
    assert.ok(feed(0.1, 60) > 0);
    f.accept('diskUsedPct');
    assert.equal(feed(0.1, 20), 0);
    assert.ok(steeper(40) > 0);
  });

  it('gives no forecast from a healthy app warming up: a start-up curve that levels off is not a leak', () => {
    const r = rng(21);
    const MiB = 1024;
    const f = new Forecaster('app', { rssKiB: { direction: 'up', value: 512 * MiB } });
    let count = 0;
    for (let i = 0; i < 240; i++) {
      // 1 s samples: rss climbs by 60 MiB with a 40 s time constant, then wanders by a few MiB.
      const rss = 100 * MiB + 60 * MiB * (1 - Math.exp(-i / 40)) + 3 * MiB * gauss(r);
      count += f.findings({ ts: T0 + i * 1000, layer: 'app', metrics: { rssKiB: rss } }).length;
    }
    assert.equal(count, 0);
  });

  it('takes correlated noise for a trend far less often than plain least squares does', () => {
    // AR(1) noise at 1 s (ρ = 0.9) drifts for tens of seconds: plain OLS (|t| ≥ 5, R² ≥ 0.3) sees
    // trends in it; the autocorrelation-widened interval and the out-of-sample check mostly do not.
    let ours = 0;
    let plain = 0;
    for (const seed of [22, 23, 24, 25]) {
      const r = rng(seed);
      const f = new Forecaster('hardware');
      const ts: number[] = [];
      const vs: number[] = [];
      let ar = 0;
      for (let i = 0; i < 1200; i++) {
        ar = 0.9 * ar + gauss(r);
        const v = 60 + 0.5 * ar;
        ours += f.findings({ ts: T0 + i * 1000, layer: 'hardware', metrics: { memUsedPct: v } }).length;
        ts.push(T0 + i * 1000);
        vs.push(v);
        if (ts.length > DEFAULT_FORECAST_OPTIONS.windowPoints) {
          ts.shift();
          vs.shift();
        }
        const fit = ts.length >= DEFAULT_FORECAST_OPTIONS.minPoints ? fitTrend(ts, vs) : null;
        if (fit && fit.t >= 5 && fit.r2 >= 0.3) plain++;
      }
    }
    assert.ok(plain > 0, 'the noise does fool plain least squares');
    assert.ok(ours <= 0.5 * plain, `forecasts: ${ours}, plain least squares: ${plain}`);
  });

  it('forecasts a slow leak well before the limit, with a 90 % interval that holds the truth', () => {
    const r = rng(23);
    const MiB = 1024;
    const f = new Forecaster('app', { rssKiB: { direction: 'up', value: 512 * MiB } });
    // 0.5 MiB/s from 100 MiB: the limit is 824 s away when the leak starts.
    let first: { at: number; finding: ReturnType<Forecaster['findings']>[number] } | undefined;
    for (let i = 0; i < 300 && !first; i++) {
      const ts = T0 + i * 1000;
      const out = f.findings({ ts, layer: 'app', metrics: { rssKiB: 100 * MiB + 0.5 * MiB * i + 2 * MiB * gauss(r) } });
      if (out.length > 0) first = { at: i, finding: out[0] };
    }
    assert.ok(first, 'a forecast');
    const lead = 824 - first.at;
    assert.ok(lead >= 9 * 60, `lead ${lead} s`);
    const [lo, hi] = first.finding.forecast!.rangeMs!;
    assert.ok(lo <= lead * 1000 && lead * 1000 <= hi, `interval ${lo}–${hi} ms, truth ${lead * 1000} ms`);
    assert.match(first.finding.detail, /reaches 524300 in \d+–\d+ min \(90 %\)/);
  });

  it('an app\'s start-up growth over its first minutes is not extrapolated half an hour ahead', () => {
    const MiB = 1024;
    // Resident memory settling after a start (JIT, caches, heap growth): a curve levelling off
    // over minutes, seen at 1 s with noise, from several seeds; the limit is 512 MiB.
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = rng(seed);
      const f = new Forecaster('app', { rssKiB: { direction: 'up', value: 512 * MiB } });
      const forecasts: string[] = [];
      for (let i = 0; i < 90; i++) {
        const rss = 60 * MiB + 80 * MiB * (1 - Math.exp(-i / 240)) + 0.7 * MiB * gauss(r);
        for (const x of f.findings({ ts: T0 + i * 1000, layer: 'app', metrics: { rssKiB: rss } })) forecasts.push(`${i} s: ${x.detail}`);
      }
      assert.deepEqual(forecasts, [], `seed ${seed}`);
    }
  });

  it('a leak of 1 MB/s toward 512 MiB, seen at 1 s, is still forecast minutes before the limit', () => {
    const r = rng(11);
    const MiB = 1024;
    const f = new Forecaster('app', { rssKiB: { direction: 'up', value: 512 * MiB } });
    let first: number | undefined;
    for (let i = 0; i < 460 && first === undefined; i++) {
      const out = f.findings({ ts: T0 + i * 1000, layer: 'app', metrics: { rssKiB: 60 * MiB + 0.95 * MiB * i + 1 * MiB * gauss(r) } });
      if (out.length > 0) first = i;
    }
    assert.ok(first !== undefined, 'a forecast');
    const lead = (512 - 60) / 0.95 - first;
    assert.ok(lead >= 4 * 60, `lead ${Math.round(lead)} s`);
  });

  it('reach: a full window reaches the horizon, half a window half as far', () => {
    const o = DEFAULT_FORECAST_OPTIONS;
    const ts = (n: number, step: number) => Array.from({ length: n }, (_, i) => T0 + i * step);
    assert.equal(reachOf(ts(120, 1000), 119_000, o), o.horizonMs);
    assert.equal(reachOf(ts(60, 1000), 59_000, o), (o.horizonMs * 59) / 119);
    // At 10 s, 120 points would span 20 min: the 15 min window is the full one.
    assert.equal(reachOf(ts(91, 10_000), 900_000, o), o.horizonMs);
  });
});
