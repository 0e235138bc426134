import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollingWindow } from '../../server/src/detect/metric/window';
import { medianMadScorer } from '../../server/src/nab/medianMad';
import { rng } from '../../server/src/nab/synthetic';

describe('rolling window', () => {
  it('keeps the last values sorted through every insert and eviction, ties and repeats included', () => {
    const r = rng(7);
    for (const capacity of [1, 2, 5, 64]) {
      const w = new RollingWindow(capacity);
      const all: number[] = [];
      for (let i = 0; i < 2000; i++) {
        // Few distinct values, so ties are common, as on quantised metrics.
        const x = r() < 0.3 ? Math.floor(r() * 4) : r() * 10 - 5;
        w.push(x);
        all.push(x);
        const last = all.slice(-capacity);
        assert.deepEqual(w.values(), last);
        const sorted = [...last].sort((a, b) => a - b);
        assert.equal(w.quantile(0), sorted[0]);
        assert.equal(w.quantile(1), sorted[sorted.length - 1]);
        assert.equal(w.rank(sorted[0]), 0);
      }
    }
  });

  it('in single precision keeps each value rounded once, so evictions find what was pushed; garbage beyond a float stays finite', () => {
    const r = rng(11);
    const w = new RollingWindow(32, true);
    const all: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // Values with more digits than a float holds, so rounding is exercised on every push.
      const x = (r() - 0.5) * 10 ** Math.floor(r() * 12 - 4);
      w.push(x);
      all.push(Math.fround(x));
      const last = all.slice(-32);
      assert.deepEqual(w.values(), last);
      const sorted = [...last].sort((a, b) => a - b);
      assert.equal(w.quantile(0), sorted[0]);
      assert.equal(w.quantile(1), sorted[sorted.length - 1]);
    }
    assert.equal(w.bytes, 32 * 4 * 2);
    w.push(1e300);
    w.push(-1e300);
    assert.ok(Number.isFinite(w.quantile(1)) && w.quantile(1) > 3e38);
    assert.ok(Number.isFinite(w.quantile(0)) && w.quantile(0) < -3e38);
  });

  it('gives the MAD and the mean absolute deviation of its values', () => {
    const w = RollingWindow.from(10, [1, 2, 3, 4, 100]);
    assert.equal(w.median(), 3);
    assert.equal(w.mad(3), 1);
    assert.equal(w.meanAbsDev(3), (2 + 1 + 0 + 1 + 97) / 5);
  });
});

describe('median/MAD peer', () => {
  it('scores a step on a flat series finitely (zero MAD falls back to the resolution), and a wild value above a mild one', () => {
    const peer = medianMadScorer(50);
    const scores: number[] = [];
    // One step of 1 early on: the resolution the fallback uses.
    for (let i = 0; i < 100; i++) scores.push(peer.update(i, i === 3 ? 11 : 10).score);
    scores.push(peer.update(100, 12).score, peer.update(101, 40).score);
    assert.ok(scores.every((s) => s >= 0 && s < 1), 'bounded, never the saturated 1 of an infinite z');
    assert.ok(scores[101] > scores[100] && scores[100] > 0.5);
  });
});
