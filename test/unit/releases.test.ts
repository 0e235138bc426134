import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReleaseTrack } from '../../server/src/watch/releases';

const T0 = 1_700_000_000_000;

describe('release track: whose change, and what came with it', () => {
  it('a managed file written just before the link flips belongs to that deploy; one long before does not', () => {
    const t = new ReleaseTrack('/srv/app/current', 'releases/r2', 12_000);
    assert.equal(t.observe('releases/r2', T0, false), null);
    t.noteFileChange('/etc/old.conf', T0 + 1_000);
    t.noteFileChange('/srv/app/shared/app.env', T0 + 50_000);
    const c = t.observe('releases/r3', T0 + 55_000, false);
    assert.deepEqual(c && [c.from, c.to, c.at, c.seen, c.files], ['releases/r2', 'releases/r3', T0 + 55_000, 'watch', ['/srv/app/shared/app.env']]);
    t.noteFileChange('/etc/after.conf', T0 + 60_000);
    assert.deepEqual(t.change?.files, ['/srv/app/shared/app.env', '/etc/after.conf']);
  });

  it('a move Plumbline makes (a rollback) is no deploy, during the action or after it adopted the baseline', () => {
    const t = new ReleaseTrack('/srv/app/current', 'releases/r3', 12_000);
    t.observe('releases/r3', T0, false);
    assert.equal(t.observe('releases/r2', T0 + 1_000, true), null, 'seen while the action runs');
    assert.equal(t.change, null);
    const u = new ReleaseTrack('/srv/app/current', 'releases/r3', 12_000);
    u.observe('releases/r3', T0, false);
    u.rebase('releases/r2');
    assert.equal(u.observe('releases/r2', T0 + 9_000, false), null, 'seen only after the action adopted its baseline');
    assert.equal(u.change, null);
    assert.notEqual(u.observe('releases/r4', T0 + 20_000, false), null, 'a later deploy is one again');
  });

  it('a release already moved when watching starts is a change seen at the first sample, not an event', () => {
    const t = new ReleaseTrack('/srv/app/current', 'releases/r2', 12_000);
    assert.equal(t.observe('releases/r3', T0, false), null);
    assert.deepEqual(t.change && [t.change.from, t.change.to, t.change.at], ['releases/r2', 'releases/r3', T0]);
  });
});
