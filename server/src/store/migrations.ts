import type { DatabaseSync } from 'node:sqlite';

/**
 * The store's schema, as an append-only list. A released migration is never edited: change the
 * schema by adding the next version. Each migration runs in its own transaction together with
 * its row in `schema_migrations`, so a crash leaves the database at one version or the next.
 *
 * Conventions: tables are STRICT; times that people read are ISO-8601 UTC text; high-volume
 * time series (samples, risk) use integer milliseconds since the epoch for compact range scans.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'fingerprints and baselines',
    sql: `
      CREATE TABLE environments (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE hosts (
        env TEXT NOT NULL REFERENCES environments (name),
        spec TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (env, spec)
      ) STRICT;

      CREATE TABLE fingerprints (
        id INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        schema INTEGER NOT NULL,
        json TEXT NOT NULL,
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
      CREATE INDEX fingerprints_by_host ON fingerprints (env, host, id);

      -- version counts 1, 2, 3 ... per host; exactly one row per host is active.
      CREATE TABLE baselines (
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        fingerprint_id INTEGER NOT NULL REFERENCES fingerprints (id),
        promoted_at TEXT NOT NULL,
        promoted_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
        PRIMARY KEY (env, host, version),
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
      CREATE UNIQUE INDEX baselines_one_active ON baselines (env, host) WHERE active = 1;

      -- Pre-deployment state for tier-3 rollback. json holds the files (hash, mode, owner, and
      -- content of non-secret text files); secret_json holds secret files' content only when the
      -- caller chose to keep it. The database file itself is private (0600).
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        taken_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        release_path TEXT,
        release_target TEXT,
        json TEXT NOT NULL,
        secret_json TEXT,
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
      CREATE INDEX snapshots_by_host ON snapshots (env, host, id);
    `,
  },
  {
    version: 2,
    name: 'samples, risk and audit log',
    sql: `
      CREATE TABLE samples (
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (env, host, seq),
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
      CREATE INDEX samples_by_time ON samples (env, host, ts);

      CREATE TABLE risk (
        id INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        layer TEXT NOT NULL CHECK (layer IN ('hardware', 'os', 'app')),
        ts INTEGER NOT NULL,
        value REAL NOT NULL CHECK (value >= 0 AND value <= 1),
        json TEXT NOT NULL,
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
      CREATE INDEX risk_by_time ON risk (env, host, layer, ts);

      -- Append-only and hash-chained: each row's hash covers prev_hash and json.
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        prev_hash TEXT,
        hash TEXT NOT NULL UNIQUE,
        json TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
  {
    version: 3,
    name: 'sample rollups',
    sql: `
      -- One row per host and minute once raw samples pass the retention window: json holds
      -- min/mean/max (and n) per flattened numeric field (server/src/monitor/rollup.ts).
      CREATE TABLE samples_1m (
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        minute INTEGER NOT NULL,
        n INTEGER NOT NULL CHECK (n >= 1),
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (env, host, minute),
        FOREIGN KEY (env, host) REFERENCES hosts (env, spec)
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'risk feedback',
    sql: `
      -- Labels a person gave to what the risk model saw: "mark expected" (no action), an action
      -- approved (its tier) or refused (no action). features holds the model's input vector as
      -- JSON; the model is updated from these rows (server/src/risk/model/update.ts).
      CREATE TABLE risk_feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        env TEXT NOT NULL,
        host TEXT NOT NULL,
        ts INTEGER NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 3),
        source TEXT NOT NULL,
        features TEXT NOT NULL,
        stored_at TEXT NOT NULL
      ) STRICT;
    `,
  },
];

/** The database was written by a newer Plumbline; opening it with this one could corrupt it. */
export class SchemaTooNew extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the Plumbline store ${file} has schema version ${found}, but this Plumbline only knows versions up to ${known}; ` +
        'upgrade Plumbline, or point it at another data folder (--data)',
    );
    this.name = 'SchemaTooNew';
  }
}

/** The database's migration history disagrees with the code's (a migration was edited after release). */
export class SchemaMismatch extends Error {
  constructor(
    readonly file: string,
    readonly version: number,
    found: string,
    expected: string,
  ) {
    super(`the Plumbline store ${file} recorded migration ${version} as "${found}", but this Plumbline calls it "${expected}"`);
    this.name = 'SchemaMismatch';
  }
}

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Brings the database up to the latest version and returns the versions applied now (empty when
 * it was already current). Refuses a database newer than the code before touching anything.
 */
export function applyMigrations(db: DatabaseSync, file: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkOrder(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const known = latestVersion(migrations);
  const before = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{
    version: number;
    name: string;
  }>;
  const found = before.length > 0 ? before[before.length - 1].version : 0;
  if (found > known) throw new SchemaTooNew(file, found, known);
  for (const row of before) {
    const m = migrations.find((x) => x.version === row.version);
    if (m && m.name !== row.name) throw new SchemaMismatch(file, row.version, row.name, m.name);
  }

  const applied: number[] = [];
  for (const m of migrations) {
    if (before.some((row) => row.version === m.version)) continue;
    // IMMEDIATE takes the write lock up front; the re-check inside it makes two processes
    // opening the same new database at once apply each migration exactly once.
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (!done) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        );
        applied.push(m.version);
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
  return applied;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration "${m.name}" has version ${m.version}; versions must count 1, 2, 3 ... in order`);
  });
}
