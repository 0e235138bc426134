import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../server/src/config/duration';

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes, hours and chains of them', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration(' 30s '), 30_000);
  });

  it('returns undefined for anything else', () => {
    for (const bad of ['', 'fast', '5', 's', '5 s', '-5s', '5d', '1.s', '5sec', '5s5']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });
});

describe('formatDuration', () => {
  it('prints the shortest readable form', () => {
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(5000), '5s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h');
  });
});
