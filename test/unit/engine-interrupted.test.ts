import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Engine } from '../../server/src/engine/engine';

describe('an action a crash interrupted', () => {
  test('is reported once at start-up with what is known of the host, and closed with an "interrupted" entry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-interrupted-'));
    process.env.PLUMBLINE_KEY_DIR = path.join(dir, 'keys');
    const config = path.join(dir, 'plumbline.yaml');
    fs.writeFileSync(config, "environments:\n  e:\n    hosts: ['root@127.0.0.1:1']\n");
    fs.writeFileSync(path.join(dir, 'ssh_config'), '');
    const open = () => Engine.open({ configFile: config, dataDir: path.join(dir, 'data'), ssh: { config: path.join(dir, 'ssh_config') } });
    try {
      const first = await open();
      assert.ok(first.ok);
      // What Engine.act writes before its first command; the process "dies" right after.
      const started = first.value.auditLog().record({ env: 'e', host: 'root@127.0.0.1:1', kind: 'action', action: 'rollback', outcome: 'started', actor: 'me@box', summary: 'rollback started' });
      await first.value.close();

      const second = await open();
      assert.ok(second.ok);
      const notes = await second.value.closeInterrupted('e');
      assert.equal(notes.length, 1);
      assert.match(notes[0], /rollback on root@127\.0\.0\.1:1 started .* \(audit entry \d+\) never finished; the host now: unknown/);
      assert.match(notes[0], /plumbline diff e/);
      const entries = second.value.auditLog().entries({ env: 'e' });
      const closing = entries.find((x) => x.outcome === 'interrupted');
      assert.equal((closing?.details as { startedId?: number }).startedId, started.id);
      assert.deepEqual(await second.value.closeInterrupted('e'), [], 'reported once');
      assert.equal(second.value.auditLog().verify().ok, true);
      await second.value.close();
    } finally {
      delete process.env.PLUMBLINE_KEY_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
