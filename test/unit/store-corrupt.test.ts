import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { checkStore } from '../../server/src/store/check';
import { Store, StoreCorrupt } from '../../server/src/store/store';
import { runCli } from '../support/cli';

function tempDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-corrupt-')), 'plumbline.db');
}

describe('a corrupt store', () => {
  test('opening one gives a clear message naming the file, what is wrong and how to recover', () => {
    const file = tempDb();
    fs.writeFileSync(file, 'this is not a database, it is a text file someone put here\n'.repeat(200));
    assert.throws(
      () => Store.open(file),
      (e: unknown) =>
        e instanceof StoreCorrupt && e.message.includes(file) && /not a database|malformed/.test(e.message) && /plumbline store check/.test(e.message) && /backup|move it aside/.test(e.message),
    );
  });

  test('the CLI prints that message, not "internal error" and a stack', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-corrupt-cli-'));
    fs.writeFileSync(path.join(dir, 'plumbline.yaml'), 'environments:\n  e:\n    hosts: [h1]\n');
    fs.mkdirSync(path.join(dir, '.plumbline'));
    fs.writeFileSync(path.join(dir, '.plumbline', 'plumbline.db'), 'garbage'.repeat(1000));
    const r = await runCli(['audit', 'e', '--config', path.join(dir, 'plumbline.yaml')]);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /internal error|\n {4}at /);
    assert.match(r.stderr, /plumbline\.db/);
  });

  test('store check: integrity, foreign keys, readable rows, the audit chain; a damaged page is named', () => {
    const file = tempDb();
    process.env.PLUMBLINE_KEY_DIR = path.join(path.dirname(file), 'keys');
    try {
      const store = Store.open(file);
      for (let i = 0; i < 300; i++) store.saveSamples('e', 'h', [{ type: 'sample', schema: 1, seq: i + 1, ts: i * 1000, intervalMs: 1000, windowMs: 0, host: {}, app: {}, config: { files: {}, release: null } } as never]);
      store.close();
      const good = checkStore(file);
      assert.ok(good.ok, JSON.stringify(good.checks));
      // Damage a page in the middle of the file (as a bad disk would).
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096 * 3);
      fs.closeSync(fd);
      const bad = checkStore(file);
      assert.ok(!bad.ok);
      assert.ok(bad.checks.some((c) => !c.ok && /integrity|open/.test(c.name)), JSON.stringify(bad.checks));
      assert.match(bad.advice, /backup|move it aside/);
    } finally {
      delete process.env.PLUMBLINE_KEY_DIR;
    }
  });
});
