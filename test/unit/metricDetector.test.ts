import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricDetector, METRIC_CONSTANTS, type MetricDetectorOptions, type MetricOutput } from '../../server/src/detect';
import { rng } from '../../server/src/nab/synthetic';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

function noise(seed: number): () => number {
  const r = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function run(rows: ReadonlyArray<readonly [number, number]>, options: MetricDetectorOptions = {}, d = new MetricDetector(options)): MetricOutput[] {
  return rows.map(([t, x]) => d.update(t, x));
}

function every(n: number, stepMs: number, f: (i: number, t: number) => number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => [T0 + i * stepMs, f(i, T0 + i * stepMs)] as [number, number]);
}

const flagged = (outs: readonly MetricOutput[]): number => outs.filter((o) => o.state === 'anomalous').length;
const news = (outs: readonly MetricOutput[]): number => outs.filter((o) => o.score >= 0.5).length;

describe('metric detector', () => {
  it('says learning until the warm-up ends, then scores', () => {
    const g = noise(1);
    const outs = run(every(100, MIN, () => 50 + g()));
    assert.ok(outs.slice(0, METRIC_CONSTANTS.warmup).every((o) => o.state === 'learning' && o.score === 0));
    assert.ok(outs.slice(METRIC_CONSTANTS.warmup).every((o) => o.state === 'normal' || o.state === 'anomalous'));
  });

  it('has no look-ahead: a prefix scores the same whatever follows', () => {
    const g = noise(2);
    const rows = every(1500, MIN, (i) => 50 + 5 * g() + (i === 900 ? 60 : 0) + (i > 1200 ? 20 : 0));
    const full = run(rows);
    const cut = run(rows.slice(0, 1000));
    assert.deepEqual(cut, full.slice(0, 1000));
  });

  it('flags a spike with a sentence naming the value, what was expected and its σ', () => {
    const g = noise(3);
    const outs = run(every(600, MIN, (i) => 50 + 2 * g() + (i === 500 ? 40 : 0)), { metric: 'latencyMs' });
    const o = outs[500];
    assert.ok(o.score > 0.9, `score ${o.score}`);
    assert.equal(o.state, 'anomalous');
    assert.match(o.detail, /^latencyMs 9\d(\.\d+)? is [\d.]+ robust σ above the expected (4|5)\d/);
    assert.ok(news(outs.slice(100, 500)) <= 1, 'noise alone is not news');
  });

  it('gives a flat metric with one change one finding, then takes the new level as normal', () => {
    const outs = run(every(400, 10_000, (i) => (i < 200 ? 12 : 15)));
    assert.equal(news(outs), 1, 'one row is news: the change');
    assert.ok(outs[200].score > 0.9);
    const adopted = outs.findIndex((o) => o.adopted !== undefined);
    assert.ok(adopted > 200, 'the new level is adopted once it has held');
    assert.match(outs[adopted].detail, /the level moved by 3 and held for \d+ rows over \d+ min: it is the new normal/);
    assert.ok(outs.slice(adopted + 1).every((o) => o.state === 'normal' && o.severity < 0.5));
  });

  it('does not learn a fault while it runs: a one-minute CPU hog stays flagged throughout, and the old level stays normal', () => {
    const g = noise(4);
    const d = new MetricDetector({ metric: 'cpuPct', direction: 'both' });
    const before = run(every(600, 1000, () => 20 + 2 * g()), {}, d);
    assert.ok(flagged(before.slice(100)) <= 3);
    const t1 = T0 + 600 * 1000;
    const hog = run(every(60, 1000, (_, t) => 95 + 2 * g() + 0 * t).map(([t, x]) => [t + t1 - T0, x] as [number, number]), {}, d);
    assert.ok(hog.every((o) => o.state === 'anomalous' && o.severity > 0.9), 'flagged on every row of the hog');
    assert.ok(news(hog) <= 2, 'reported once, not on every row');
    const t2 = t1 + 60_000;
    const after = run(every(100, 1000, () => 20 + 2 * g()).map(([t, x]) => [t + t2 - T0, x] as [number, number]), {}, d);
    assert.equal(after[0].state, 'normal', 'the old level is still normal right after');
    assert.ok(Math.abs(after[0].expected - 20) < 3, `expected ${after[0].expected}`);
  });

  it('adopts a flagged level at once when it is accepted', () => {
    const g = noise(5);
    const d = new MetricDetector();
    run(every(300, 1000, () => 100 + g()), {}, d);
    const shifted = run(every(5, 1000, () => 140 + g()).map(([t, x]) => [t + 300_000, x] as [number, number]), {}, d);
    assert.equal(shifted[4].state, 'anomalous');
    assert.equal(d.accept(), true);
    const next = run(every(20, 1000, () => 140 + g()).map(([t, x]) => [t + 305_000, x] as [number, number]), {}, d);
    assert.ok(next.every((o) => o.state === 'normal'), next.map((o) => o.state).join(','));
  });

  it('respects the bad direction: lower latency is fine, higher is not', () => {
    const g = noise(6);
    const rows = every(400, MIN, (i) => 100 + 3 * g() + (i === 300 ? -60 : i === 350 ? 60 : 0));
    const outs = run(rows, { direction: 'up' });
    assert.equal(outs[300].score, 0);
    assert.ok(outs[350].score > 0.9);
  });

  it('learns a daily season and flags an hour that is ordinary for the day but not for the hour', () => {
    const g = noise(7);
    const daily = (t: number): number => 100 + 80 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000);
    // Eight days at 5 min; on the last day, the night (values near 20) stays at 100 (the day's mean) for two hours.
    const rows = every(8 * 288, 5 * MIN, (i, t) => daily(t) + 3 * g() + (i >= 7 * 288 + 216 && i < 7 * 288 + 240 ? 100 - daily(t) + 20 : 0));
    const outs = run(rows);
    const lastDay = outs.slice(7 * 288);
    assert.ok(flagged(outs.slice(5 * 288, 7 * 288)) <= 2, `clean days flagged ${flagged(outs.slice(5 * 288, 7 * 288))} rows`);
    assert.ok(lastDay[216].score > 0.5 || lastDay[217].score > 0.5, 'the hour that keeps the day level is flagged at its start');
    assert.match(lastDay[217].detail, /daily profile/);
  });

  it('reports a burst once: the same burst a moment later is not news, after what was reported has faded it is', () => {
    const g = noise(11);
    const bursts = new Set([600, 605, 1200]);
    const outs = run(every(1400, MIN, (i) => 50 + g() + (bursts.has(i) ? 12 : 0)));
    assert.ok(outs[600].score > 0.5 && outs[600].state === 'anomalous');
    assert.equal(outs[605].state, 'anomalous', 'still flagged: the live path sees it');
    assert.ok(outs[605].score < 0.5, `repeat 5 rows later is not news: ${outs[605].score}`);
    // 600 rows later what was reported has halved 20 times: the same burst is news again.
    assert.ok(outs[1200].score > 0.5, `a burst long after: ${outs[1200].score}`);
  });

  it('reads a counter as a rate: resets are not anomalies, a burst in the rate is', () => {
    const g = noise(8);
    let c = 0;
    const rows = every(2000, MIN, (i) => {
      if (i > 0 && i % 500 === 0) c = 0;
      c += Math.round(600 * (i >= 1700 && i < 1720 ? 5 : 1) * (1 + 0.05 * g()));
      return c;
    });
    const outs = run(rows);
    assert.match(outs[METRIC_CONSTANTS.warmup - 1].detail, /counter/);
    // Resets are never news; a 3.5 σ row of plain noise comes about once in 2000 rows.
    assert.ok(outs.slice(0, 1700).every((o, i) => i % 500 !== 0 || o.score === 0));
    assert.ok(news(outs.slice(0, 1700)) <= 2, `news before the burst: ${news(outs.slice(0, 1700))}`);
    assert.ok(outs[1700].score > 0.9);
    assert.match(outs[1700].detail, /rate \d+(\.\d+)?\/s/);
  });

  it('keeps quiet across gaps and irregular sampling', () => {
    const g = noise(9);
    const r = rng(10);
    let t = T0;
    const rows: Array<[number, number]> = [];
    for (let i = 0; i < 3000; i++) {
      t += i % 700 === 699 ? 6 * 3_600_000 : Math.max(1000, -30_000 * Math.log(1 - r()));
      rows.push([t, 200 + 5 * g()]);
    }
    const outs = run(rows);
    assert.ok(news(outs) <= 3, `news on clean data with gaps: ${news(outs)}`);
  });

  it('reports a missing value as no data and an out-of-order row as not scored', () => {
    const d = new MetricDetector();
    assert.equal(d.update(T0, NaN).state, 'nodata');
    d.update(T0 + 1000, 1);
    const o = d.update(T0, 1);
    assert.equal(o.state, 'nodata');
    assert.match(o.detail, /out of order/);
  });

  it('resumes from its state exactly where it left off', () => {
    const g = noise(11);
    const rows = every(3000, 5 * MIN, (i, t) => 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000) + g() + (i === 2500 ? 30 : 0));
    const whole = run(rows);
    const a = new MetricDetector();
    run(rows.slice(0, 2000), {}, a);
    const b = MetricDetector.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    assert.deepEqual(run(rows.slice(2000), {}, b), whole.slice(2000));
  });

  it('keeps every score and severity in [0, 1]', () => {
    const g = noise(12);
    const outs = run(every(2000, MIN, (i) => (i % 97 === 0 ? 1e6 : i % 13) + g()));
    assert.ok(outs.every((o) => o.score >= 0 && o.score <= 1 && o.severity >= 0 && o.severity <= 1));
  });
});
