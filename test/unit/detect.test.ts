import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDetector, type DetectorConfig, type DetectorOutput } from '../../server/src/detect';

/** Deterministic noise in [−1, 1] (a linear congruential generator), so the tests never flake. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

function daily(n: number, seed = 1): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + r());
}

function run(values: readonly number[], config: Partial<DetectorConfig> = {}): DetectorOutput[] {
  const d = createDetector(config);
  return values.map((v, i) => d.update(1_700_000_000_000 + i * 300_000, v));
}

const maxOf = (xs: DetectorOutput[], from: number, to: number): number => Math.max(...xs.slice(from, to).map((o) => o.score));

describe('detector', () => {
  it('has no look-ahead: the first k scores do not depend on later rows', () => {
    const values = daily(3000);
    values[2000] += 40;
    const full = run(values);
    for (const k of [1, 150, 1999, 2000, 2500]) {
      const cut = run(values.slice(0, k));
      assert.deepEqual(cut.map((o) => o.score), full.slice(0, k).map((o) => o.score), `cut after ${k}`);
    }
  });

  it('flags a spike, with a reason naming the sub-detector, value, baseline and threshold', () => {
    const values = daily(3000);
    values[2000] += 40;
    const out = run(values);
    assert.ok(out[2000].score > 0.5, `spike score ${out[2000].score}`);
    assert.ok(out[2000].score > maxOf(out, 600, 2000), 'the spike is the highest score so far');
    const reason = out[2000].reasons.find((r) => r.detector === 'value');
    assert.ok(reason, JSON.stringify(out[2000].reasons));
    assert.equal(reason.value, values[2000]);
    assert.ok(reason.value > reason.threshold && reason.threshold > reason.baseline);
  });

  it('damps rows inside familiar patterns, not a spike that brings a new pattern, and says so in a reason', () => {
    const values = daily(3000);
    values[2000] += 40;
    const damped = run(values);
    const plain = run(values, { contextKnownFactor: 1, contextGateFactor: 1 });
    assert.equal(damped[2000].score, plain[2000].score);
    const lower = damped.slice(600, 2000).filter((o, i) => o.score < plain[600 + i].score).length;
    assert.ok(lower > 1000, `${lower} of 1400 rows damped`);
    const noted = damped.find((o) => o.reasons.some((r) => r.detector === 'context' && r.detail.includes('damped')));
    assert.ok(noted, 'a reason names the damping');
  });

  it('flags a level shift within a few rows', () => {
    const values = daily(3000).map((v, i) => (i >= 2000 ? v + 25 : v));
    const out = run(values);
    assert.ok(maxOf(out, 2000, 2010) > 0.5, `max after the shift ${maxOf(out, 2000, 2010)}`);
    assert.ok(maxOf(out, 2000, 2010) > maxOf(out, 600, 2000));
  });

  it('flags a day whose peak stays low, a value that is ordinary for the stream as a whole', () => {
    const r = noise(3);
    const square = (i: number): number => (i % 288 < 144 ? 20 : i >= 2592 && i < 2880 ? 50 : 80) + r();
    const values = Array.from({ length: 3400 }, (_, i) => square(i));
    const out = run(values);
    const peak = maxOf(out, 2592, 2880);
    assert.ok(peak > 0.5 && peak > maxOf(out, 600, 2592), `low day ${peak}, before ${maxOf(out, 600, 2592)}`);
    const why = out.slice(2592, 2880).find((o) => o.score === peak)!.reasons.map((x) => x.detector);
    assert.ok(why.some((d) => d === 'predict' || d === 'shape' || d === 'likelihood' || d === 'context'), why.join());
    // The likelihood, the pattern forecast, the pattern memory and the quiet weight keep state across rows: still no look-ahead.
    for (const k of [2600, 2700, 3000]) assert.deepEqual(run(values.slice(0, k)).map((o) => o.score), out.slice(0, k).map((o) => o.score), `cut after ${k}`);
  });

  it('stays low on a constant and on a clean periodic series', () => {
    const flat = run(Array.from({ length: 2000 }, () => 7));
    assert.equal(maxOf(flat, 0, 2000), 0);
    const periodic = run(Array.from({ length: 4000 }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 288)));
    assert.ok(maxOf(periodic, 600, 4000) < 0.5, `periodic max ${maxOf(periodic, 600, 4000)}`);
  });

  it('reports a missing value as no data instead of scoring it', () => {
    const d = createDetector({ metric: 'cpu' });
    const out = d.update(0, Number.NaN);
    assert.equal(out.score, 0);
    assert.equal(out.reasons[0].detector, 'no-data');
    assert.equal(out.reasons[0].metric, 'cpu');
  });

  it('keeps every score in [0, 1]', () => {
    const r = noise(7);
    const values = Array.from({ length: 3000 }, (_, i) => (i % 500 === 0 ? 1e6 : r() * 10));
    for (const o of run(values)) assert.ok(o.score >= 0 && o.score <= 1, String(o.score));
  });
});
