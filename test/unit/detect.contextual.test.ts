import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tupleHash } from '../../server/src/detect/contextMemory';
import { Contextual } from '../../server/src/detect/contextual';
import { RangedContextual } from '../../server/src/detect/rangedContextual';

const pattern = (i: number): number => [0, 2, 5, 7, 5, 2][i % 6];

describe('contextual sub-detector', () => {
  it('hashes fact tuples as CPython 2 does (the reference breaks ties with these hashes)', () => {
    assert.equal(tupleHash([]), 3527539n);
    assert.equal(tupleHash([1]), 3430019387558n);
  });

  it('learns a repeating pattern and flags a value that breaks it', () => {
    const cad = new Contextual({ range: { min: 0, max: 7 }, restRows: 20 });
    const out = Array.from({ length: 600 }, (_, i) => cad.update(pattern(i)));
    assert.ok(Math.max(...out.slice(300).map((o) => o.score)) === 0, 'the learned pattern scores 0');
    const odd = cad.update(pattern(600) === 7 ? 0 : 7);
    assert.ok(odd.unpredicted && odd.score > 0.5, JSON.stringify(odd));
  });

  it('stays online when the range widens: the first k scores do not depend on later rows', () => {
    const values = Array.from({ length: 900 }, (_, i) => pattern(i) + (i === 700 ? 40 : 0));
    const run = (xs: number[]): number[] => {
      const cad = new RangedContextual({ bits: 3, restThreshold: 0.75, restRows: 20, maxLeftLength: 7, maxActive: 15, maxContexts: 10000, replayRows: 500, rangeMargin: 1 });
      return xs.map((x) => cad.update(x).score);
    };
    const full = run(values);
    for (const k of [1, 300, 700, 701]) assert.deepEqual(run(values.slice(0, k)), full.slice(0, k), `cut after ${k}`);
    assert.ok(full[700] > 0.5, `the jump scores ${full[700]}`);
  });
});
