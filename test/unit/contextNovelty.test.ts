import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContextNovelty } from '../../server/src/detect/contextNovelty';
import { PatternContext } from '../../server/src/detect/patternContext';
import { SortedWindow } from '../../server/src/detect/sortedWindow';

/** Deterministic noise in [−1, 1] (a linear congruential generator), so the tests never flake. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Feeds values to a fresh memory (segment 1, word 4, 4 levels) and its value window; returns z and isNew per row. */
function feed(values: readonly number[], decay = 0.999): { z: number[]; isNew: boolean[] } {
  const memory = new ContextNovelty(1, 4, 4, decay);
  const long = new SortedWindow(500);
  const z: number[] = [];
  const isNew: boolean[] = [];
  for (const x of values) {
    long.push(x);
    z.push(memory.update(x, long).z);
    isNew.push(memory.isNew);
  }
  return { z, isNew };
}

/** A saw-tooth of period 8 over four levels: after one period every word of it is known. */
const saw = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 8);

describe('ContextNovelty', () => {
  it('learns a repeating pattern: no new words once it has been seen, each of its 8 words at most ln 8 nats', () => {
    const { z, isNew } = feed(saw(600));
    assert.ok(isNew.slice(0, 100).some(Boolean));
    assert.deepEqual(isNew.slice(100), new Array(500).fill(false));
    for (const v of z.slice(300)) assert.ok(v > 1 && v <= Math.log(8) + 1e-9, String(v));
  });

  it('finds a pattern it has not seen, and finds it more surprising the longer the stream has stayed familiar', () => {
    const early = saw(300);
    early[204] = 0;
    const late = saw(1500);
    late[1404] = 0;
    const a = feed(early);
    const b = feed(late);
    assert.equal(a.isNew[204], true);
    assert.equal(b.isNew[1404], true);
    assert.ok(a.z[204] > 0 && b.z[1404] > a.z[204], `${a.z[204]} then ${b.z[1404]}`);
  });

  it('is not surprised by a new word in a stream that keeps producing new words', () => {
    const r = noise(3);
    const noisy = Array.from({ length: 1500 }, () => r() * 4);
    const quiet = saw(1500);
    quiet[1404] = 0;
    const zNoisy = feed(noisy);
    const newRows = zNoisy.isNew.map((n, i) => (n && i > 1000 ? zNoisy.z[i] : 0));
    assert.ok(zNoisy.isNew.slice(1000).some(Boolean), 'noise keeps producing new words');
    assert.ok(Math.max(...newRows) < feed(quiet).z[1404], `noisy ${Math.max(...newRows)}`);
  });

  it('stays silent until it has a full word', () => {
    const { z, isNew } = feed([5, 1, 9]);
    assert.deepEqual(z, [0, 0, 0]);
    assert.deepEqual(isNew, [false, false, false]);
  });
});

describe('PatternContext', () => {
  function run(values: readonly number[]): { ratio: number; familiarFor: number }[] {
    const ctx = new PatternContext([1, 2], 4, 4, 0.999, 5000, 20, 0.9);
    const long = new SortedWindow(500);
    return values.map((x) => {
      long.push(x);
      const v = ctx.update(x, long);
      return { ratio: v.ratio, familiarFor: v.familiarFor };
    });
  }

  it('counts the rows since the last new pattern, and gives a ratio above 1 to a new pattern in a familiar stream', () => {
    const values = saw(1000);
    values[900] = 0;
    const out = run(values);
    assert.ok(out[899].familiarFor > 500, String(out[899].familiarFor));
    assert.equal(out[900].familiarFor, 0);
    assert.ok(out[900].ratio > 1, `ratio ${out[900].ratio}`);
    assert.ok(Math.max(...out.slice(100, 900).map((o) => o.ratio)) < 1);
  });

  it('has no look-ahead: the first k outputs do not depend on later rows', () => {
    const r = noise(5);
    const values = Array.from({ length: 800 }, (_, i) => (i % 50) + r());
    values[600] += 30;
    const full = run(values);
    for (const k of [1, 10, 599, 600, 700]) assert.deepEqual(run(values.slice(0, k)), full.slice(0, k), `cut after ${k}`);
  });
});
