import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAction, type ActDeps } from '../../server/src/act/act';
import { actionConfigHash } from '../../server/src/act/approval';
import type { HostShell } from '../../server/src/act/types';
import type { EnvironmentConfig } from '../../server/src/config/types';

function env(remediate: string[][], line = 0): EnvironmentConfig {
  const at = { start: { line, character: 0 }, end: { line, character: 9 } };
  return {
    name: 'prod',
    range: at,
    hosts: [{ spec: 'web-1', range: at }],
    intervalMs: 5000,
    layers: { hardware: { perf: false, mounts: [], limits: {} }, os: { packages: false, sysctl: [], services: [] }, app: { files: [{ local: 'a.conf', remote: '/etc/a.conf', secret: false, range: at }], limits: {} } },
    risk: { minor: 0.3, moderate: 0.6, severe: 0.85 },
    actions: { mode: 'confirm', remediate: { commands: remediate } },
  } as EnvironmentConfig;
}

describe('approvals bound to the config they were given on', () => {
  it('the hash follows what decides the commands, not where it was written', () => {
    const a = actionConfigHash(env([['systemctl', 'restart', 'app']]));
    assert.equal(actionConfigHash(env([['systemctl', 'restart', 'app']], 12)), a, 'a moved line is the same config');
    assert.notEqual(actionConfigHash(env([['systemctl', 'restart', 'app'], ['rm', '-rf', '/srv/cache']])), a, 'another command is another config');
    const other = env([['systemctl', 'restart', 'app']]);
    other.layers.app.files[0] = { ...other.layers.app.files[0], remote: '/etc/b.conf' };
    assert.notEqual(actionConfigHash(other), a, 'another managed file is another config');
  });

  it('an approved action on a config changed since is refused before any command reaches the host', async () => {
    const calls: string[][] = [];
    const shell: HostShell = {
      exec: (_h, argv) => {
        calls.push(argv);
        throw new Error('no command may run');
      },
      stream: () => {
        throw new Error('no lock may be taken');
      },
    };
    const approvedOn = actionConfigHash(env([['systemctl', 'restart', 'app']]));
    const deps: ActDeps = {
      shell,
      env: env([['systemctl', 'restart', 'app'], ['rm', '-rf', '/srv/cache']]),
      host: 'web-1',
      actor: 'me@box',
      capture: () => Promise.reject(new Error('unused')),
      compare: () => undefined,
      snapshot: () => undefined,
    };
    const r = await runAction('remediate', deps, { approved: { configHash: approvedOn } });
    assert.equal(r.status, 'refused');
    assert.match(r.message, /plumbline\.yaml changed for prod since the approval/);
    assert.deepEqual(calls, []);
    assert.deepEqual(r.steps.filter((s) => s.ran), []);
    assert.notEqual(r.configHash, approvedOn);
  });
});
