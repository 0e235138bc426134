import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { robustStats, zToScore } from '../../server/src/detect/layer/robust';
import { metricProfile } from '../../server/src/detect/layer/metricProfile';


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
});
