import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnomalyLikelihood, tailLog10 } from '../../server/src/detect/likelihood';
import { QuietWeight } from '../../server/src/detect/quietWeight';
import { ShapeNovelty } from '../../server/src/detect/shapeNovelty';
import { SortedWindow } from '../../server/src/detect/sortedWindow';

/** Deterministic noise in [0, 1) (a linear congruential generator), so the tests never flake. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The likelihood's z computed from scratch: short-term mean against the mean and σ of the `long` raw scores before the latest. */
function bruteZ(raws: readonly number[], long: number, short: number, minSigma: number): number {
  const k = raws.length - 1;
  const past = raws.slice(Math.max(0, k - long), k);
  if (past.length < short) return 0;
  const mean = past.reduce((s, v) => s + v, 0) / past.length;
  const sigma = Math.max(Math.sqrt(past.reduce((s, v) => s + (v - mean) ** 2, 0) / past.length), minSigma);
  const recent = raws.slice(Math.max(0, k + 1 - short));
  return Math.max(0, (recent.reduce((s, v) => s + v, 0) / recent.length - mean) / sigma);
}

describe('anomaly likelihood', () => {
  it('matches the equations computed from scratch over sliding windows', () => {
    const r = uniform(3);
    const lik = new AnomalyLikelihood(50, 5, 0.01);
    const raws: number[] = [];
    for (let i = 0; i < 400; i++) {
      raws.push(i % 97 > 90 ? 3 + r() : r());
      const s = lik.push(raws[i]);
      assert.ok(Math.abs(s.z - bruteZ(raws, 50, 5, 0.01)) < 1e-9, `row ${i}: ${s.z} vs ${bruteZ(raws, 50, 5, 0.01)}`);
    }
  });

  it('rises with a run of high raw scores and is one-sided', () => {
    const lik = new AnomalyLikelihood(100, 10, 0.01);
    for (let i = 0; i < 100; i++) lik.push(i % 2);
    // μ = 0.5, σ = 0.5, and the 10-row mean is 0.5: one row of 1 raises it by 0.05 (z 0.1 or 0.2, as
    // the row it replaces was 1 or 0); ten rows raise it to 1 (z close to 1, as μ and σ have moved).
    const zs = Array.from({ length: 10 }, () => lik.push(1).z);
    assert.ok(zs[0] < 0.25 && zs[9] > 0.85, `z grows with the run: ${zs.join(', ')}`);
    const low = new AnomalyLikelihood(100, 10, 0.01);
    for (let i = 0; i < 100; i++) low.push(i % 2);
    for (let i = 0; i < 10; i++) assert.equal(low.push(0).z, 0, 'a run of low raw scores is not an anomaly');
  });

  it('uses the smallest σ on a constant stream and stays silent while warming up', () => {
    const lik = new AnomalyLikelihood(100, 10, 0.05);
    assert.equal(lik.push(1).z, 0);
    for (let i = 0; i < 50; i++) lik.push(1);
    const s = lik.push(2);
    assert.equal(s.scale, 0.05);
    assert.ok(Math.abs(s.z - 0.1 / 0.05) < 1e-9, String(s.z));
  });

  it('gives the normal tail in −log10 units, finite far into the tail', () => {
    assert.ok(Math.abs(tailLog10(0) - Math.log10(2)) < 1e-6);
    assert.ok(Math.abs(tailLog10(1.6448536) - -Math.log10(0.05)) < 1e-5);
    assert.ok(Math.abs(tailLog10(4.2648908) - 5) < 1e-4, String(tailLog10(4.2648908)));
    assert.ok(Math.abs(tailLog10(-1.6448536) - -Math.log10(0.95)) < 1e-6);
    const far = tailLog10(40);
    assert.ok(Number.isFinite(far) && far > 340 && far < 360, String(far));
  });
});

describe('shape and predict', () => {
  it('forecasts a repeating pattern exactly and is surprised when it breaks', () => {
    const period = [0, 1, 4, 9, 3, 7, 2, 8, 5, 6];
    const sn = new ShapeNovelty(5, 40);
    const long = new SortedWindow(100);
    let out = { predict: { z: NaN } };
    for (let i = 0; i < 60; i++) {
      const x = period[i % period.length];
      out = sn.update(x, long, 1e-9);
      long.push(x);
      if (i >= 30) assert.equal(out.predict.z, 0, `row ${i} is predicted`);
    }
    const broken = sn.update(period[0] + 20, long, 1e-9);
    assert.ok(broken.predict.z > 5 && broken.shape.z > 1, JSON.stringify(broken));
  });
});

describe('quiet weight', () => {
  it('doubles a record after a long calm, leaves non-records alone, and restarts after an alert', () => {
    const q = new QuietWeight(100);
    for (let i = 0; i < 49; i++) {
      assert.equal(q.weight(0.9), 1);
      q.emitted(0.4);
    }
    assert.equal(q.weight(1.2), 1.5, 'a record after 50 calm rows');
    q.emitted(0.6);
    assert.equal(q.weight(1.1), 1.01, 'a record one row after an alert');
    q.emitted(0.3);
    for (let i = 0; i < 500; i++) q.weight(0);
    assert.equal(q.weight(1), 2, 'capped at double');
    assert.equal(new QuietWeight(0).weight(5), 1, 'off');
  });
});
