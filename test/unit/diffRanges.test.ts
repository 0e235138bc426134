import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignLines, changedBaselineRanges, mapRanges, splitLines } from '../../server/src/fingerprint/diffRanges';

test('splitLines: final newline and CRLF', () => {
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('a'), ['a']);
  assert.deepEqual(splitLines('a\r\nb\r\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\n\n'), ['a', '']);
});

test('changedBaselineRanges: empty baseline, replacement, mixed hunks', () => {
  assert.deepEqual(changedBaselineRanges([], ['x']), [{ start: 1, end: 1 }]);
  assert.deepEqual(changedBaselineRanges(['a'], []), [{ start: 1, end: 1 }]);
  assert.deepEqual(changedBaselineRanges(['a', 'b', 'c'], ['a', 'x', 'y', 'z', 'c']), [{ start: 2, end: 2 }]);
  assert.deepEqual(changedBaselineRanges(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd']), []);
});

test('alignLines: kept, replaced and deleted lines', () => {
  // baseline a b c d e; workspace: X a c D e (b deleted, d replaced by D, X inserted)
  assert.deepEqual(alignLines(['a', 'b', 'c', 'd', 'e'], ['X', 'a', 'c', 'D', 'e']), [undefined, 2, undefined, 3, 4, 5]);
});

test('mapRanges: a range whose lines were all deleted collapses onto the nearest survivor', () => {
  const base = ['1', '2', '3', '4', '5', '6'];
  assert.deepEqual(mapRanges([{ start: 3, end: 4 }], base, ['1', '2', '5', '6']), [{ start: 2, end: 3 }]);
  assert.deepEqual(mapRanges([{ start: 1, end: 2 }], base, []), [{ start: 1, end: 1 }]);
});
