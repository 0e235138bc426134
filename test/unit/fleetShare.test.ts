import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fairShare, pickHosts } from '../../server/src/fleet/share';

describe('fleet shares', () => {
  it('splits hosts so the quotas add up to the hosts, the remainder to the longest-running workers', () => {
    const live = ['w1', 'w2', 'w3'];
    assert.deepEqual(live.map((w) => fairShare(10, live, w)), [4, 3, 3]);
    for (let hosts = 0; hosts <= 25; hosts++) {
      for (let n = 1; n <= 6; n++) {
        const ws = Array.from({ length: n }, (_, i) => `w${i}`);
        const q = ws.map((w) => fairShare(hosts, ws, w));
        assert.equal(q.reduce((a, b) => a + b, 0), hosts, `${hosts} hosts, ${n} workers: ${q.join('/')}`);
        assert.ok(Math.max(...q) - Math.min(...q) <= 1, `${hosts} hosts, ${n} workers: ${q.join('/')}`);
      }
    }
  });

  it('a worker the store does not list yet counts last; one left takes every host', () => {
    assert.equal(fairShare(10, ['w1', 'w2'], 'w3'), 3);
    assert.equal(fairShare(10, ['w1'], 'w1'), 10);
    assert.equal(fairShare(10, [], 'w1'), 10);
  });

  it('workers reaching for free hosts mostly reach for different ones', () => {
    const free = Array.from({ length: 10 }, (_, i) => `web-${i + 1}`);
    const a = pickHosts(free, 'w1', 4);
    const b = pickHosts(free, 'w2', 4);
    assert.equal(a.length, 4);
    assert.deepEqual(pickHosts(free, 'w1', 4), a, 'the same worker always picks the same order');
    assert.ok(a.filter((h) => b.includes(h)).length < 4);
    assert.deepEqual(pickHosts(free, 'w1', 0), []);
  });
});
