import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { FINGERPRINT_SCHEMA, type Fingerprint } from '../../server/src/fingerprint/types';
import { applyMigrations, latestVersion, MIGRATIONS, SchemaTooNew } from '../../server/src/store/migrations';
import { isSqliteExperimentalWarning } from '../../server/src/store/sqlite';
import { Store } from '../../server/src/store/store';

/** A secrets key for snapshots (kept outside the store in use: keys.ts). */
const KEY = Buffer.alloc(32, 9);

function sampleFingerprint(host: string, capturedAt = '2025-01-01T00:00:00Z'): Fingerprint {
  return {
    schema: FINGERPRINT_SCHEMA,
    host,
    capturedAt,
    agentVersion: '1.0.0',
    hardware: {
      cpu: { model: 'cpu', cores: 2 },
      memory: { totalKiB: 1024 },
      disks: [],
      nics: [],
      perf: { windowMs: 0, cpuPct: 0, rssKiB: 0, processes: 0, load1: 0, memAvailableKiB: 0, ioLatencyMs: null, diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 },
    },
    os: { hostname: host, kernel: 'k', distribution: { id: 'debian', version: '12', pretty: '' }, packages: null, sysctl: {}, services: {}, ports: [], mounts: [] },
    app: { release: null, files: [], process: null, health: null },
  };
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-store-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function freshFile(name: string): string {
  return path.join(dir, name, 'plumbline.db');
}

function withStore<T>(file: string, fn: (s: Store) => T): T {
  const s = Store.open(file);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

function raw<T>(file: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const by = { by: 'alice@laptop', reason: 'release 41 verified' };

describe('Store: opening and migrations', () => {
  test('migrations apply once, and reopening changes nothing', () => {
    const file = freshFile('migrate');
    withStore(file, () => undefined);
    const first = raw(file, (db) => db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all());
    assert.deepEqual(
      first.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
    withStore(file, () => undefined);
    const second = raw(file, (db) => db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all());
    assert.deepEqual(second, first);
    assert.deepEqual(
      raw(file, (db) => applyMigrations(db, file)),
      [],
    );
  });

  test('the file is private, in WAL mode, synchronous FULL, with foreign keys and a busy timeout', () => {
    const file = freshFile('settings');
    withStore(file, (s) => {
      s.saveFingerprint('prod', sampleFingerprint('web-1'));
      assert.deepEqual(s.settings(), { journalMode: 'wal', synchronous: 2, foreignKeys: true, busyTimeoutMs: 5000 });
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(`${file}-wal`).mode & 0o777, 0o600);
    });
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(raw(file, (db) => (db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode), 'wal');
  });

  test('a store written by a newer Plumbline is refused with a clear error, and left untouched', () => {
    const file = freshFile('newer');
    withStore(file, () => undefined);
    const newer = latestVersion() + 7;
    raw(file, (db) => db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', '2030-01-01')").run(newer));
    assert.throws(
      () => Store.open(file),
      (e: unknown) => {
        assert.ok(e instanceof SchemaTooNew);
        assert.match(e.message, new RegExp(`schema version ${newer}, but this Plumbline only knows versions up to ${latestVersion()}`));
        assert.match(e.message, /upgrade Plumbline/);
        return true;
      },
    );
    assert.equal(raw(file, (db) => (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v), newer);
  });

  test('the audit log is append-only', () => {
    const file = freshFile('audit');
    withStore(file, () => undefined);
    raw(file, (db) => {
      db.prepare("INSERT INTO audit_log (ts, prev_hash, hash, json) VALUES ('t', NULL, 'h1', '{}')").run();
      assert.throws(() => db.exec("UPDATE audit_log SET json = '{\"x\":1}'"), /append-only/);
      assert.throws(() => db.exec('DELETE FROM audit_log'), /append-only/);
    });
  });
});

describe('Store: fingerprints and baselines', () => {
  test('baseline versions count up per host and exactly one is active', () => {
    withStore(':memory:', (s) => {
      const a1 = s.saveFingerprint('prod', sampleFingerprint('web-1', 't1'));
      const a2 = s.saveFingerprint('prod', sampleFingerprint('web-1', 't2'));
      const b1 = s.saveFingerprint('prod', sampleFingerprint('web-2', 't1'));
      assert.equal(s.promoteBaseline('prod', 'web-1', a1, by).version, 1);
      assert.equal(s.promoteBaseline('prod', 'web-2', b1, by).version, 1);
      const second = s.promoteBaseline('prod', 'web-1', a2, { by: 'bob', reason: 'release 42' });
      assert.equal(second.version, 2);
      assert.equal(second.active, true);
      assert.equal(second.fingerprint.capturedAt, 't2');

      const active = s.activeBaseline('prod', 'web-1');
      assert.deepEqual(
        active && { version: active.version, by: active.promotedBy, reason: active.reason, id: active.fingerprintId },
        { version: 2, by: 'bob', reason: 'release 42', id: a2 },
      );
      assert.deepEqual(
        s.baselineHistory('prod', 'web-1').map((b) => [b.version, b.active]),
        [
          [1, false],
          [2, true],
        ],
      );
      // promoting an old fingerprint again is a new version, not a rewrite of history
      assert.equal(s.promoteBaseline('prod', 'web-1', a1, by).version, 3);
      assert.equal(s.baselineHistory('prod', 'web-1').filter((b) => b.active).length, 1);
      assert.equal(s.activeBaseline('prod', 'web-2')?.version, 1);
      assert.equal(s.activeBaseline('prod', 'web-3'), undefined);
      assert.deepEqual(s.hosts('prod'), ['web-1', 'web-2']);
      assert.deepEqual(s.hosts('staging'), []);
      assert.deepEqual(s.environments(), ['prod']);
    });
  });

  test('the schema itself refuses a second active baseline', () => {
    const file = freshFile('one-active');
    withStore(file, (s) => {
      const id = s.saveFingerprint('prod', sampleFingerprint('web-1'));
      s.promoteBaseline('prod', 'web-1', id, by);
      s.promoteBaseline('prod', 'web-1', id, by);
    });
    raw(file, (db) => assert.throws(() => db.exec('UPDATE baselines SET active = 1'), /UNIQUE/));
  });

  test("promoting another host's fingerprint or an unknown one is refused", () => {
    withStore(':memory:', (s) => {
      const id = s.saveFingerprint('prod', sampleFingerprint('web-1'));
      assert.throws(() => s.promoteBaseline('prod', 'web-2', id, by), /belongs to prod\/web-1/);
      assert.throws(() => s.promoteBaseline('staging', 'web-1', id, by), /belongs to prod\/web-1/);
      assert.throws(() => s.promoteBaseline('prod', 'web-1', 999, by), /no fingerprint 999/);
      assert.equal(s.activeBaseline('prod', 'web-1'), undefined);
    });
  });

  test('transaction batches promotions: all commit, or none', () => {
    withStore(':memory:', (s) => {
      const ids = ['web-1', 'web-2', 'web-3'].map((h) => [h, s.saveFingerprint('prod', sampleFingerprint(h))] as const);
      assert.throws(() =>
        s.transaction(() => {
          for (const [h, id] of ids) s.promoteBaseline('prod', h, id, by);
          throw new Error('host 3 failed verification');
        }),
      );
      assert.deepEqual(ids.map(([h]) => s.activeBaseline('prod', h)), [undefined, undefined, undefined]);

      const records = s.transaction(() => ids.map(([h, id]) => s.promoteBaseline('prod', h, id, by)));
      assert.deepEqual(records.map((r) => r.version), [1, 1, 1]);

      // an inner failure rolls back only its savepoint
      s.transaction(() => {
        s.saveFingerprint('prod', sampleFingerprint('web-4'));
        assert.throws(() => s.transaction(() => s.promoteBaseline('prod', 'web-1', 12345, by)));
      });
      assert.deepEqual(s.hosts('prod'), ['web-1', 'web-2', 'web-3', 'web-4']);

      assert.throws(() => s.transaction(() => Promise.resolve(1)), /must be synchronous/);
      assert.equal(s.transaction(() => 7), 7, 'the store is usable after a refused transaction');
    });
  });

  test('secret file content is stripped before it is stored', () => {
    const file = freshFile('secrets');
    withStore(file, (s) => {
      const fp = sampleFingerprint('web-1');
      fp.app.files = [
        { remote: '/srv/app.env', exists: true, sha256: 'f'.repeat(64), size: 20, mode: '600', owner: 'app', secret: true, content: 'DB_PASSWORD=hunter2' },
        { remote: '/etc/app.conf', exists: true, sha256: 'e'.repeat(64), size: 5, mode: '644', owner: 'root', secret: false, content: 'a = 1' },
      ];
      const id = s.saveFingerprint('prod', fp);
      assert.equal(fp.app.files[0].content, 'DB_PASSWORD=hunter2', "the caller's object is not mutated");
      const stored = s.fingerprint(id)!;
      assert.equal('content' in stored.app.files[0], false);
      assert.equal(stored.app.files[0].sha256, 'f'.repeat(64));
      assert.equal(stored.app.files[1].content, 'a = 1');
      assert.equal(s.latestFingerprint('prod', 'web-1')?.id, id);
      const wal = fs.readFileSync(`${file}-wal`).toString('latin1');
      assert.ok(wal.includes('a = 1') && !wal.includes('hunter2'), 'secret reached the write-ahead log');
    });
    const bytes = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1'));
    assert.ok(!bytes.join('').includes('hunter2'), 'secret reached the database file');
  });
});

describe('Store: snapshots', () => {
  test('keeps release and files; secret content only in its own column, only when passed, only when asked for', () => {
    withStore(':memory:', (s) => {
      assert.equal(s.latestSnapshot('prod', 'web-1'), undefined);
      const files = [
        { remote: '/etc/app.conf', exists: true, sha256: 'e'.repeat(64), size: 5, mode: '644', owner: 'root', secret: false, content: 'a = 1' },
        { remote: '/srv/app.env', exists: true, sha256: 'f'.repeat(64), size: 20, mode: '600', owner: 'app', secret: true, content: 'leaked by mistake' },
      ];
      s.saveSnapshot('prod', 'web-1', { takenBy: 'ci', reason: 'before release 41', release: { path: '/srv/app/current', target: '/srv/app/releases/40' }, files });
      const saved = s.saveSnapshot('prod', 'web-1', {
        takenBy: 'ci',
        reason: 'before release 42',
        release: { path: '/srv/app/current', target: '/srv/app/releases/41' },
        files,
        secretContents: { '/srv/app.env': 'DB_PASSWORD=hunter2' },
      }, { secretKey: KEY });
      const latest = s.latestSnapshot('prod', 'web-1')!;
      assert.equal(latest.id, saved.id);
      assert.equal(latest.reason, 'before release 42');
      assert.deepEqual(latest.release, { path: '/srv/app/current', target: '/srv/app/releases/41' });
      assert.equal(latest.files[0].content, 'a = 1');
      assert.equal('content' in latest.files[1], false);
      assert.equal(latest.secretContents, undefined);
      assert.deepEqual(s.latestSnapshot('prod', 'web-1', { withSecrets: true, secretKey: KEY })?.secretContents, { '/srv/app.env': 'DB_PASSWORD=hunter2' });
      // Sealed at rest: the row holds no clear text, and neither no key nor another key opens it.
      const db = (s as unknown as { db: { prepare(sql: string): { get(...a: unknown[]): unknown } } }).db;
      const row = db.prepare('SELECT secret_json FROM snapshots WHERE id = ?').get(saved.id) as { secret_json: string };
      assert.doesNotMatch(row.secret_json, /hunter2/);
      assert.throws(() => s.latestSnapshot('prod', 'web-1', { withSecrets: true, keyFile: '/keys/x.secrets.key' }), /sealed with \/keys\/x\.secrets\.key, which is missing/);
      assert.throws(() => s.latestSnapshot('prod', 'web-1', { withSecrets: true, secretKey: Buffer.alloc(32, 7) }), /do not open/);
      assert.throws(() => s.saveSnapshot('prod', 'web-1', { takenBy: 'ci', reason: 'x', release: null, files, secretContents: { '/srv/app.env': 'x' } }), /no secrets key/);
      assert.throws(
        () => s.saveSnapshot('prod', 'web-1', { takenBy: 'ci', reason: 'x', release: null, files, secretContents: { '/etc/app.conf': 'x' } }, { secretKey: KEY }),
        /not a secret file/,
      );
      assert.equal(s.latestSnapshot('prod', 'web-1')?.id, saved.id);
    });
  });
});

describe('Store: durability', () => {
  // A child process commits a baseline, then is SIGKILLed inside a second, large transaction
  // whose pages have already spilled into the WAL. Nothing committed may be lost, nothing
  // uncommitted may appear, and the file must pass SQLite's integrity check.
  test('a process killed mid-transaction loses nothing committed and leaves nothing uncommitted', { timeout: 60_000 }, async () => {
    const file = freshFile('killed');
    const script = path.join(dir, 'killed-child.js');
    fs.writeFileSync(
      script,
      `
      const fs = require('node:fs');
      const { Store } = require(${JSON.stringify(path.resolve(__dirname, '../../server/src/store/store.js'))});
      const [file, json] = process.argv.slice(2);
      const fp = JSON.parse(json);
      const store = Store.open(file);
      const id = store.saveFingerprint('prod', fp);
      store.promoteBaseline('prod', fp.host, id, { by: 'child', reason: 'committed' });
      store.transaction(() => {
        const id2 = store.saveFingerprint('prod', { ...fp, capturedAt: 'uncommitted' });
        store.promoteBaseline('prod', fp.host, id2, { by: 'child', reason: 'uncommitted' });
        // more than SQLite's page cache holds, so uncommitted frames reach the WAL file
        for (let i = 0; i < 2000; i++) store.saveFingerprint('prod', { ...fp, agentVersion: 'x'.repeat(4000) + i });
        process.stdout.write('in-transaction ' + fs.statSync(file + '-wal').size + '\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // hold the transaction open until killed
      });
      `,
    );
    const child = spawn(process.execPath, [script, file, JSON.stringify(sampleFingerprint('web-1'))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const walBytes = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /in-transaction (\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before reaching the transaction: ${out}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(walBytes > 4 * 1024 * 1024, `expected uncommitted frames in the WAL, it had ${walBytes} bytes`);

    withStore(file, (s) => {
      const active = s.activeBaseline('prod', 'web-1');
      assert.equal(active?.version, 1);
      assert.equal(active?.reason, 'committed');
      assert.deepEqual(s.baselineHistory('prod', 'web-1').map((b) => b.reason), ['committed']);
      assert.equal(s.latestFingerprint('prod', 'web-1')?.fingerprint.capturedAt, sampleFingerprint('web-1').capturedAt);
    });
    raw(file, (db) => {
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM fingerprints').get() as { n: number }).n, 1);
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      assert.equal((db.prepare('PRAGMA foreign_key_check').all()).length, 0);
    });
  });
});

test("only node:sqlite's ExperimentalWarning is recognised for suppression", () => {
  assert.equal(isSqliteExperimentalWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning'), true);
  assert.equal(isSqliteExperimentalWarning('SQLite is an experimental feature', { type: 'ExperimentalWarning' }), true);
  assert.equal(isSqliteExperimentalWarning('SQLite is an experimental feature', 'DeprecationWarning'), false);
  assert.equal(isSqliteExperimentalWarning('WASI is an experimental feature', 'ExperimentalWarning'), false);
  assert.equal(isSqliteExperimentalWarning(new Error('SQLite is an experimental feature'), undefined), false);
});
