/**
 * The store's behaviour, run against both engines: SQLite (a file) and PostgreSQL (a cluster of
 * the test's own, Debian's binaries). Same schema through the same migrations, same answers.
 * PostgreSQL's own concerns (losing the connection, two processes appending to one audit chain)
 * come after.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { entryHash, verifyChain } from '../../server/src/audit/chain';
import { FINGERPRINT_SCHEMA, type Fingerprint } from '../../server/src/fingerprint/types';
import { BatchWriter } from '../../server/src/monitor/batchWriter';
import type { Sample } from '../../server/src/monitor/sample';
import type { Db } from '../../server/src/store/db';
import { redactStoreUrl, resolveStoreLocation } from '../../server/src/store/location';
import { latestVersion, MIGRATIONS, SchemaTooNew } from '../../server/src/store/migrations';
import { numberParams, PgDatabase, StoreUnavailable } from '../../server/src/store/postgres/pgDatabase';
import { Store } from '../../server/src/store/store';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../support/postgres';

function fingerprint(host: string, capturedAt = '2025-01-01T00:00:00Z'): Fingerprint {
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
    app: {
      release: null,
      files: [
        { local: 'a.env', remote: '/srv/a.env', secret: true, exists: true, sha256: 'a'.repeat(64), content: 'PASSWORD=hunter2' },
        { local: 'n.conf', remote: '/etc/n.conf', secret: false, exists: true, sha256: 'b'.repeat(64), content: 'listen 80;' },
      ],
      process: null,
      health: null,
    } as unknown as Fingerprint['app'],
  };
}

function sample(seq: number, ts: number, cpuPct = 1): Sample {
  return {
    type: 'sample',
    schema: 1,
    seq,
    ts,
    intervalMs: 1000,
    windowMs: 1000,
    host: { cpuPct, rssKiB: 1, memAvailableKiB: 1, memTotalKiB: 2, load1: 0, processes: 1, fds: 1, diskReadBps: 0, diskWriteBps: 0, ioLatencyMs: null, netRxBps: 0, netTxBps: 0, disks: [] },
    app: { process: null, health: null, metrics: null },
    config: { files: {}, release: null },
  };
}

/** An engine under test: a fresh store each call, and raw SQL access to the same database. */
interface Engine {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<{ open(): Store; raw(): Db }>;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-engines-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const sqlite: Engine = {
  name: 'sqlite',
  fresh: async () => {
    const file = path.join(tmp, `s${++n}`, 'plumbline.db');
    return { open: () => Store.open(file), raw: () => new DatabaseSync(file) as unknown as Db };
  },
};

const pgSkip = postgresSkipReason();
let pg: TestPostgres | undefined;
const postgres: Engine = {
  name: 'postgres',
  fresh: async () => {
    const url = await pg!.database(`s${++n}`);
    return { open: () => Store.connect(url), raw: () => new PgDatabase(url) };
  },
};

before(async () => {
  if (!pgSkip) pg = await startTestPostgres();
});
after(async () => {
  await pg?.stop();
});

const by = { by: 'alice@laptop', reason: 'release 41 verified' };

function withBoth<T>(s: Store, fn: (s: Store) => T): T {
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

for (const engine of [sqlite, postgres]) {
  describe(`Store on ${engine.name}`, { skip: engine.name === 'postgres' ? pgSkip : undefined }, () => {
    test('migrations apply once; reopening changes nothing; a newer schema is refused and left alone', async () => {
      const db = await engine.fresh();
      withBoth(db.open(), (s) => assert.equal(s.engine, engine.name));
      const raw = db.raw();
      try {
        const rows = () => raw.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
        const first = rows();
        assert.deepEqual(first.map((r) => r.version), MIGRATIONS.map((m) => m.version));
        withBoth(db.open(), () => undefined);
        assert.deepEqual(rows(), first);
        raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', '2030-01-01')").run(latestVersion() + 3);
        assert.throws(() => db.open(), (e: unknown) => e instanceof SchemaTooNew && /upgrade Plumbline/.test(e.message));
      } finally {
        raw.close();
      }
    });

    test('baselines count up per host, one active; secret content never stored; snapshots keep secrets apart', async () => {
      const db = await engine.fresh();
      withBoth(db.open(), (s) => {
        const id1 = s.saveFingerprint('prod', fingerprint('web-1'));
        const id2 = s.saveFingerprint('prod', fingerprint('web-1', '2025-01-02T00:00:00Z'));
        assert.equal(s.promoteBaseline('prod', 'web-1', id1, by).version, 1);
        const b2 = s.promoteBaseline('prod', 'web-1', id2, by);
        assert.equal(b2.version, 2);
        assert.deepEqual(s.baselineHistory('prod', 'web-1').map((b) => [b.version, b.active]), [[1, false], [2, true]]);
        assert.equal(s.activeBaseline('prod', 'web-1')?.fingerprint.capturedAt, '2025-01-02T00:00:00Z');
        assert.throws(() => s.promoteBaseline('prod', 'web-2', id1, by), /belongs to prod\/web-1/);
        const stored = JSON.stringify(s.fingerprint(id1));
        assert.ok(!stored.includes('hunter2'), 'secret content is stripped');
        assert.ok(stored.includes('listen 80;'));
        assert.deepEqual(s.environments(), ['prod']);
        assert.deepEqual(s.hosts('prod'), ['web-1']);
        const files = fingerprint('web-1').app.files;
        const snap = s.saveSnapshot('prod', 'web-1', { takenBy: 'a', reason: 'r', release: { path: '/srv/app/current', target: 'r1' }, files, secretContents: { '/srv/a.env': 'PASSWORD=hunter2' } }, { secretKey: Buffer.alloc(32, 1) });
        assert.ok(snap.id > 0);
        assert.equal(s.latestSnapshot('prod', 'web-1')?.secretContents, undefined);
        assert.deepEqual(s.latestSnapshot('prod', 'web-1', { withSecrets: true, secretKey: Buffer.alloc(32, 1) })?.secretContents, { '/srv/a.env': 'PASSWORD=hunter2' });
        assert.ok(!JSON.stringify(s.latestSnapshot('prod', 'web-1')).includes('hunter2'));
      });
    });

    test('a transaction commits all or nothing, nested ones as savepoints', async () => {
      const db = await engine.fresh();
      withBoth(db.open(), (s) => {
        const id = s.saveFingerprint('prod', fingerprint('web-1'));
        assert.throws(() =>
          s.transaction(() => {
            s.promoteBaseline('prod', 'web-1', id, by);
            assert.throws(() => s.transaction(() => s.promoteBaseline('prod', 'web-1', 999_999, by)), /no fingerprint/);
            throw new Error('abort');
          }),
        /abort/);
        assert.equal(s.activeBaseline('prod', 'web-1'), undefined);
        s.transaction(() => {
          s.promoteBaseline('prod', 'web-1', id, by);
          assert.throws(() => s.transaction(() => s.promoteBaseline('prod', 'web-1', 999_999, by)));
        });
        assert.equal(s.activeBaseline('prod', 'web-1')?.version, 1, 'the inner failure rolled back only itself');
      });
    });

    test('the audit chain verifies, and the log refuses updates and deletes', async () => {
      const db = await engine.fresh();
      withBoth(db.open(), (s) => {
        for (let i = 0; i < 5; i++) s.appendAudit({ env: 'prod', host: 'web-1', kind: 'decision', outcome: 'decided', actor: 'policy', summary: `#${i}` }, entryHash);
        const records = s.auditRecords();
        assert.equal(records.length, 5);
        assert.equal(verifyChain(records).ok, true);
      });
      const raw = db.raw();
      try {
        assert.throws(() => raw.exec("UPDATE audit_log SET json = '{}'"), /append-only/);
        assert.throws(() => raw.exec('DELETE FROM audit_log'), /append-only/);
      } finally {
        raw.close();
      }
    });

    test('samples: a replayed seq is stored once; lastSeq, windows and rollups agree', async () => {
      const db = await engine.fresh();
      withBoth(db.open(), (s) => {
        const t0 = 1_700_000_040_000; // on a minute boundary: compaction cuts whole minutes
        const batch = Array.from({ length: 180 }, (_, i) => sample(i + 1, t0 + i * 1000, i));
        assert.equal(s.saveSamples('prod', 'web-1', batch), 180);
        assert.equal(s.saveSamples('prod', 'web-1', batch.slice(100)), 0, 'a replay after a reconnect does no harm');
        assert.equal(s.lastSeq('prod', 'web-1'), 180);
        assert.equal(s.lastSeq('prod', 'web-2'), 0);
        assert.deepEqual(s.samples('prod', 'web-1', { fromTs: t0 + 10_000, toTs: t0 + 13_000 }).map((x) => x.seq), [11, 12, 13]);
        const r = s.compact(t0 + 180_000 + 3600_000, { rawRetentionMs: 3600_000 });
        assert.equal(r.rawDeleted, 180);
        assert.equal(s.rollups('prod', 'web-1').reduce((a, x) => a + x.n, 0), 180);
        assert.equal(s.lastSeq('prod', 'web-1'), 180, 'rolled-up samples still count');
      });
    });
  });
}

test('every migration has both forms: the same schema on SQLite and PostgreSQL', () => {
  for (const m of MIGRATIONS) {
    assert.ok(m.sql.trim(), `migration ${m.version} has SQLite SQL`);
    assert.ok(m.pg?.trim(), `migration ${m.version} ("${m.name}") needs its PostgreSQL form (pg)`);
    const tables = (sql: string): string[] => [...sql.matchAll(/CREATE TABLE (\w+)/g)].map((x) => x[1]).sort();
    assert.deepEqual(tables(m.pg), tables(m.sql), `migration ${m.version} creates the same tables on both`);
  }
});

describe('Store on PostgreSQL: a shared database', { skip: pgSkip }, () => {
  test('the URL picks the engine; its password never shows', () => {
    assert.deepEqual(resolveStoreLocation({ explicit: 'postgresql://u:pw@h/db', dataDir: '/d' }), { kind: 'postgres', url: 'postgresql://u:pw@h/db' });
    assert.deepEqual(resolveStoreLocation({ env: { PLUMBLINE_STORE_URL: 'postgres://h/db' }, dataDir: '/d' }), { kind: 'postgres', url: 'postgres://h/db' });
    assert.deepEqual(resolveStoreLocation({ env: {}, dataDir: '/d' }), { kind: 'sqlite', file: '/d/plumbline.db' });
    assert.equal(redactStoreUrl('postgresql://u:s3cret@h:5432/db?sslpassword=x'), 'postgresql://u:***@h:5432/db?sslpassword=***');
    assert.equal(numberParams("SELECT ?, '?', ? FROM t"), "SELECT $1, '?', $2 FROM t");
    const s = Store.connect(new URL(pg!.url).toString());
    try {
      assert.ok(!s.file.includes(decodeURIComponent(new URL(pg!.url).password)), s.file);
    } finally {
      s.close();
    }
  });

  test('two stores appending at once keep one linear audit chain', async () => {
    const url = await pg!.database('chain');
    const a = Store.connect(url);
    const b = Store.connect(url);
    try {
      for (let i = 0; i < 30; i++) (i % 2 ? a : b).appendAudit({ env: 'prod', host: 'web-1', kind: 'decision', outcome: 'decided', actor: i % 2 ? 'a' : 'b', summary: `#${i}` }, entryHash);
      const chain = verifyChain(a.auditRecords());
      assert.ok(chain.ok && chain.entries === 30, JSON.stringify(chain));
    } finally {
      a.close();
      b.close();
    }
  });

  test('a dropped connection is reconnected between statements; inside a transaction nothing of it commits', async () => {
    const url = await pg!.database('dropped');
    const s = Store.connect(url, { postgres: { retryMs: 5000 } });
    const admin = new PgDatabase(pg!.url);
    const kill = (): void => void admin.prepare("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dropped' AND pid <> pg_backend_pid()").all();
    try {
      s.saveSamples('prod', 'web-1', [sample(1, 1000)]);
      kill();
      assert.equal(s.lastSeq('prod', 'web-1'), 1, 'the next read reconnects by itself');
      assert.throws(
        () =>
          s.transaction(() => {
            s.saveSamples('prod', 'web-1', [sample(2, 2000)]);
            kill();
            s.saveSamples('prod', 'web-1', [sample(3, 3000)]);
          }),
        (e: unknown) => e instanceof StoreUnavailable && /did not commit|lost/.test(e.message),
      );
      assert.deepEqual(s.sampleSeqs('prod', 'web-1'), [1], 'the broken transaction left nothing');
      assert.equal(s.saveSamples('prod', 'web-1', [sample(2, 2000), sample(3, 3000)]), 2, 'and the retry stores it all');
      assert.equal(s.health().ok, true);
    } finally {
      s.close();
      admin.close();
    }
  });

  test('an unreachable database is a clear state, and a batch writer loses no sample across it', async () => {
    const url = await pg!.database('outage');
    const s = Store.connect(url, { postgres: { retryMs: 1500, quickRetryMs: 300 } });
    const admin = new PgDatabase(pg!.url);
    const errors: string[] = [];
    const writer = new BatchWriter<Sample>((batch) => void s.saveSamples('prod', 'web-1', batch), { maxBatch: 10, flushMs: 50, onError: (e) => errors.push(String(e)) });
    try {
      writer.push(sample(1, 1000));
      await writer.flush();
      // Outage: end every connection and stop the postmaster from taking new ones.
      admin.prepare("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'outage'").all();
      process.kill(pg!.pid, 'SIGSTOP');
      try {
        for (let i = 2; i <= 20; i++) writer.push(sample(i, i * 1000));
        await writer.flush();
        assert.ok(errors.length > 0, 'the writer saw the store refuse');
        assert.match(errors[0], /StoreUnavailable: the Plumbline store postgresql:\/\/plumbline:\*\*\*@127\.0\.0\.1:\d+\/outage is unavailable/);
        const h = s.health();
        assert.equal(h.ok, false);
        assert.equal(writer.stats().queued, 19, 'nothing was dropped; all of it waits');
      } finally {
        process.kill(pg!.pid, 'SIGCONT');
      }
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 30_000;
        const poll = (): void => {
          if (writer.stats().queued === 0) return resolve();
          if (Date.now() > deadline) return reject(new Error(`still queued: ${writer.stats().queued}`));
          void writer.flush().then(() => setTimeout(poll, 100));
        };
        poll();
      });
      assert.deepEqual(s.sampleSeqs('prod', 'web-1'), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(s.health().ok, true);
    } finally {
      await writer.close().catch(() => undefined);
      s.close();
      admin.close();
    }
  });
});
