import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { canonicalJson } from '../../server/src/audit/canonical';
import { entryHash, verifyChain } from '../../server/src/audit/chain';
import { AuditLog } from '../../server/src/audit/log';
import { redactOutput } from '../../server/src/audit/redact';
import { sqliteModule } from '../../server/src/store/sqlite';
import { Store } from '../../server/src/store/store';
import { auditEdge } from '../../server/src/store/auditEdge';

function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-audit-'));
  return path.join(dir, 'plumbline.db');
}

function entry(n: number, host = 'web-1') {
  return { env: 'lab', host, kind: 'action' as const, action: 'remediate', outcome: 'done' as const, actor: 'tester@box', summary: `entry ${n}`, details: { steps: [{ argv: ['id', '-u'], n }] } };
}

describe('audit: canonical JSON and hashes', () => {
  test('key order does not change the canonical text', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  });

  test('hash = sha256(prev_hash + canonical JSON)', () => {
    const e = { ...entry(1), ts: '2026-01-01T00:00:00.000Z' };
    assert.equal(entryHash('abc', e), createHash('sha256').update(`abc${canonicalJson(e)}`).digest('hex'));
    assert.equal(entryHash(null, e), createHash('sha256').update(canonicalJson(e)).digest('hex'));
  });
});

describe('audit: the log in the store', () => {
  test('appends a chain that verifies, per environment and across them', () => {
    const store = Store.open(':memory:');
    const log = new AuditLog(auditEdge(store));
    const a = log.record(entry(1));
    const b = log.record({ ...entry(2), env: 'prod' });
    const c = log.record(entry(3));
    const rows = store.auditRecords();
    assert.equal(rows[0].prevHash, null);
    assert.equal(rows[1].prevHash, a.hash);
    assert.equal(rows[2].prevHash, b.hash);
    assert.deepEqual(log.verify(), { ok: true, entries: 3, head: c.hash });
    assert.deepEqual(log.entries({ env: 'lab' }).map((e) => e.summary), ['entry 1', 'entry 3']);
    store.close();
  });

  test('an entry edited directly in SQLite is named by the chain check', () => {
    const file = tempDb();
    const store = Store.open(file);
    const log = new AuditLog(auditEdge(store));
    for (let i = 1; i <= 5; i++) log.record(entry(i));
    assert.equal(log.verify().ok, true);
    store.close();

    // Someone with the file drops the append-only trigger and rewrites entry 3's outcome.
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    assert.throws(() => db.exec(`UPDATE audit_log SET json = replace(json, '"done"', '"failed"') WHERE id = 3`), /append-only/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.exec(`UPDATE audit_log SET json = replace(json, '"outcome":"done"', '"outcome":"failed"') WHERE id = 3`);
    db.close();

    const reopened = Store.open(file);
    const check = new AuditLog(auditEdge(reopened)).verify();
    assert.equal(check.ok, false);
    assert.ok(!check.ok && check.badId === 3 && check.problem === 'edited', JSON.stringify(check));
    reopened.close();
  });

  test('a deleted entry breaks the link of the one after it', () => {
    const file = tempDb();
    const store = Store.open(file);
    const log = new AuditLog(auditEdge(store));
    for (let i = 1; i <= 4; i++) log.record(entry(i));
    store.close();
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.exec('DELETE FROM audit_log WHERE id = 2');
    db.close();
    const reopened = Store.open(file);
    const check = new AuditLog(auditEdge(reopened)).verify();
    assert.ok(!check.ok && check.badId === 3 && check.problem === 'relinked', JSON.stringify(check));
    reopened.close();
  });

  test('pure verifyChain: unreadable JSON and a changed ts column', () => {
    const e = { ...entry(1), ts: 't1' };
    const h = entryHash(null, e);
    assert.equal(verifyChain([{ id: 1, ts: 't1', prevHash: null, hash: h, json: canonicalJson(e) }]).ok, true);
    const bad = verifyChain([{ id: 1, ts: 't1', prevHash: null, hash: h, json: '{oops' }]);
    assert.ok(!bad.ok && bad.problem === 'unreadable');
    const moved = verifyChain([{ id: 1, ts: 't2', prevHash: null, hash: h, json: canonicalJson(e) }]);
    assert.ok(!moved.ok && moved.problem === 'timestamp');
  });
});

describe('audit: output redaction', () => {
  test('secret values and their lines never survive; long output is cut', () => {
    const secret = 'APP_ENV=lab\nAPI_TOKEN=lab-token-0123456789\n';
    const out = redactOutput('saw API_TOKEN=lab-token-0123456789 and lab-token-0123456789 here', [secret]);
    assert.ok(!out.includes('lab-token-0123456789'), out);
    assert.match(out, /\[redacted\]/);
    const long = redactOutput('x'.repeat(5000), [], 100);
    assert.ok(long.length < 150 && long.includes('4900 more characters'));
  });
});

describe('audit: keyed chain, head kept elsewhere, unfinished actions', () => {
  const KEY = Buffer.alloc(32, 7);
  const open = (file: string, head?: { value?: string }) => {
    const store = Store.open(file);
    const keeper = head ?? {};
    const log = new AuditLog(auditEdge(store), { key: KEY, head: { read: () => keeper.value, write: (h) => (keeper.value = h) } });
    return { store, log, keeper };
  };

  test('an entry edited and the rest re-hashed (by someone without the key) is detected', () => {
    const file = tempDb();
    const { store, log } = open(file);
    for (let i = 1; i <= 5; i++) log.record(entry(i));
    assert.equal(log.verify().ok, true);
    store.close();
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    db.exec('DROP TRIGGER audit_log_no_update');
    const rows = db.prepare('SELECT id, prev_hash, json FROM audit_log ORDER BY id').all() as Array<{ id: number; prev_hash: string | null; json: string }>;
    let prev: string | null = rows[1].prev_hash;
    for (const r of rows.slice(2)) {
      const json = r.id === 3 ? r.json.replace('"outcome":"done"', '"outcome":"failed"') : r.json;
      const hash = entryHash(prev, JSON.parse(json) as Parameters<typeof entryHash>[1]);
      db.prepare('UPDATE audit_log SET json = ?, prev_hash = ?, hash = ? WHERE id = ?').run(json, prev, hash, r.id);
      prev = hash;
    }
    db.close();
    const again = open(file);
    const check = again.log.verify();
    assert.ok(!check.ok && check.badId === 3, JSON.stringify(check));
    again.store.close();
  });

  test('truncating the newest entries is detected against the head kept outside the store', () => {
    const file = tempDb();
    const { store, log, keeper } = open(file);
    for (let i = 1; i <= 5; i++) log.record(entry(i));
    const head = log.verify();
    assert.ok(head.ok && head.head === keeper.value, 'the head is written outside the store on each append');
    store.close();
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.exec('DELETE FROM audit_log WHERE id >= 4');
    db.close();
    const again = open(file, keeper);
    const check = again.log.verify();
    assert.ok(!check.ok && check.problem === 'truncated', JSON.stringify(check));
    assert.match(check.ok ? '' : check.message, /head .* is not in the chain/);
    again.store.close();
  });

  test('"started" before acting, "finished" after; an action that never finished is listed until it is closed', () => {
    const { store, log } = open(tempDb());
    const started = log.record({ ...entry(1), outcome: 'started', summary: 'remediate started' });
    assert.deepEqual(log.unfinished().map((e) => e.id), [started.id]);
    log.record({ ...entry(2), details: { startedId: started.id } });
    assert.deepEqual(log.unfinished(), []);
    const other = log.record({ ...entry(3), host: 'web-2', outcome: 'started' });
    log.record({ ...entry(4), host: 'web-2', outcome: 'interrupted', details: { startedId: other.id } });
    assert.deepEqual(log.unfinished(), []);
    store.close();
  });
});
