import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Engine } from '../../server/src/engine/engine';

/** A workspace whose plumbline.yaml tries to choose the SSH config and known_hosts. */
function workspace(): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sshsettings-'));
  fs.writeFileSync(path.join(dir, 'evil_config'), 'Host *\n  UserKnownHostsFile /dev/null\n');
  fs.writeFileSync(path.join(dir, 'evil_known_hosts'), '');
  const config = path.join(dir, 'plumbline.yaml');
  fs.writeFileSync(config, 'ssh:\n  config: ./evil_config\n  knownHosts: ./evil_known_hosts\nenvironments:\n  e:\n    hosts: [h1]\n');
  return { dir, config };
}

describe('which SSH config and known_hosts the engine uses', () => {
  test("a workspace's plumbline.yaml cannot choose them: it is ignored with a note", async () => {
    const { dir, config } = workspace();
    const saved = { c: process.env.PLUMBLINE_SSH_CONFIG, k: process.env.PLUMBLINE_KNOWN_HOSTS };
    delete process.env.PLUMBLINE_SSH_CONFIG;
    delete process.env.PLUMBLINE_KNOWN_HOSTS;
    const e = await Engine.open({ configFile: config, dataDir: path.join(dir, 'data') });
    try {
      assert.ok(e.ok);
      assert.deepEqual(e.value.sshSettings, {}, 'defaults (~/.ssh/config, its UserKnownHostsFile)');
      assert.match(e.value.notes.join('\n'), /ssh\.config and ssh\.knownHosts in plumbline\.yaml are ignored/);
    } finally {
      if (e.ok) await e.value.close();
      if (saved.c !== undefined) process.env.PLUMBLINE_SSH_CONFIG = saved.c;
      if (saved.k !== undefined) process.env.PLUMBLINE_KNOWN_HOSTS = saved.k;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the person's choice wins: the caller's settings (editor machine settings, CLI flags), else PLUMBLINE_SSH_CONFIG / PLUMBLINE_KNOWN_HOSTS", async () => {
    const { dir, config } = workspace();
    const saved = { c: process.env.PLUMBLINE_SSH_CONFIG, k: process.env.PLUMBLINE_KNOWN_HOSTS };
    process.env.PLUMBLINE_SSH_CONFIG = '/home/me/.ssh/work_config';
    process.env.PLUMBLINE_KNOWN_HOSTS = '/home/me/.ssh/work_known_hosts';
    try {
      const fromEnv = await Engine.open({ configFile: config, dataDir: path.join(dir, 'data') });
      assert.ok(fromEnv.ok);
      assert.deepEqual(fromEnv.value.sshSettings, { config: '/home/me/.ssh/work_config', knownHosts: '/home/me/.ssh/work_known_hosts' });
      await fromEnv.value.close();
      const fromCaller = await Engine.open({ configFile: config, dataDir: path.join(dir, 'data'), ssh: { config: '/etc/plumbline/ssh_config' } });
      assert.ok(fromCaller.ok);
      assert.deepEqual(fromCaller.value.sshSettings, { config: '/etc/plumbline/ssh_config', knownHosts: '/home/me/.ssh/work_known_hosts' });
      await fromCaller.value.close();
    } finally {
      if (saved.c !== undefined) process.env.PLUMBLINE_SSH_CONFIG = saved.c;
      else delete process.env.PLUMBLINE_SSH_CONFIG;
      if (saved.k !== undefined) process.env.PLUMBLINE_KNOWN_HOSTS = saved.k;
      else delete process.env.PLUMBLINE_KNOWN_HOSTS;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
