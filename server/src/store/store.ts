import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { canonicalJson } from '../audit/canonical';
import type { AuditEntry, AuditEntryInput, AuditRecord } from '../audit/types';
import type { Fingerprint, ManagedFileState } from '../fingerprint/types';
import { mergeRollups, MINUTE_MS, rollUp, type SampleRollup } from '../monitor/rollup';
import type { Sample } from '../monitor/sample';
import { dialectOf, type Db } from './db';
import { FleetStore } from './fleet';
import { describeLocation, type StoreLocation } from './location';
import { applyMigrations } from './migrations';
import { isSealed, open, seal } from './secretBox';
import { PgDatabase, type PgDatabaseOptions, type StoreHealth } from './postgres/pgDatabase';
import { sqliteModule } from './sqlite';

export { SchemaMismatch, SchemaTooNew } from './migrations';

/** How to get a damaged store back, said the same way everywhere. */
export function recoveryAdvice(file: string): string {
  return (
    `run \`plumbline store check --data ${path.dirname(file)}\` to see what is damaged; to start over, stop Plumbline, ` +
    `move it aside (mv ${file} ${file}.damaged, with its -wal and -shm files) and restore your backup of it, or let Plumbline ` +
    'create a new one (baselines, snapshots and the audit log in the old file are then only in the moved copy)'
  );
}

/** The store file is not a SQLite database Plumbline can read: names the file, what is wrong and how to recover. */
export class StoreCorrupt extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`the Plumbline store ${file} is damaged (${problem}); nothing was changed. To recover: ${recoveryAdvice(file)}.`);
    this.name = 'StoreCorrupt';
  }
}

/** A stored JSON column read back; a row that does not parse is a StoreCorrupt naming it, never a bare SyntaxError. */
export function rowJson<T>(file: string, where: string, json: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (e) {
    throw new StoreCorrupt(file, `${where} does not parse as JSON: ${(e as Error).message}`);
  }
}

/** SQLite's words for a file that is not, or no longer, a database. */
export function isCorruption(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /file is not a database|database disk image is malformed|SQLITE_CORRUPT|SQLITE_NOTADB|malformed database schema/i.test(m);
}

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** A fingerprint promoted as golden for one host. */
export interface BaselineRecord {
  env: string;
  host: string;
  /** 1, 2, 3 ... per host, in promotion order. */
  version: number;
  fingerprintId: number;
  /** ISO-8601, the store's clock. */
  promotedAt: string;
  promotedBy: string;
  reason: string;
  /** True for the one baseline per host that diffs compare against. */
  active: boolean;
  fingerprint: Fingerprint;
}

/** What tier 3 needs to put a host back as it was before a deployment. */
export interface SnapshotInput {
  takenBy: string;
  reason: string;
  release: { path: string; target: string | null } | null;
  /** Managed files as captured; `content` on secret entries is dropped (pass it in `secretContents`). */
  files: ManagedFileState[];
  /**
   * Remote path → content of secret files, kept only when the caller passes it (in its own
   * column, so nothing that reads `files` can leak it). Every key must be a secret file in `files`.
   */
  secretContents?: Record<string, string>;
}

export interface SnapshotRecord {
  id: number;
  env: string;
  host: string;
  takenAt: string;
  takenBy: string;
  reason: string;
  release: { path: string; target: string | null } | null;
  files: ManagedFileState[];
  /** Present only when asked for with `{ withSecrets: true }` and the snapshot kept any. */
  secretContents?: Record<string, string>;
}

/** A person's label for one interval the risk model saw. */
export interface RiskFeedback {
  env: string;
  host: string;
  ts: number;
  /** 0: no action was right; 1–3: that tier was. */
  label: 0 | 1 | 2 | 3;
  source: 'mark-expected' | 'approved' | 'refused';
  features: number[];
}

/** A time window of one host's samples; `toTs` is exclusive. */
export interface SampleQuery {
  fromTs?: number;
  toTs?: number;
  /** Default 10000. */
  limit?: number;
}

export interface CompactOptions {
  /** Raw samples younger than this stay raw; default 24 h. */
  rawRetentionMs?: number;
  /** Raw rows rolled up per call at most, so one call stays short; default 200000. */
  maxRows?: number;
}

/** Raw samples kept by default before they are rolled up into 1-minute rows. */
export const DEFAULT_RAW_RETENTION_MS = 24 * 3600_000;

export interface StoreOptions {
  /** The store's clock, for stored_at / promoted_at / taken_at. */
  now?: () => Date;
  /** PostgreSQL only: reconnect budget and timeouts. */
  postgres?: PgDatabaseOptions;
}

/** pg_advisory_xact_lock key that makes appends to the audit chain take turns across processes ("plau"). */
const AUDIT_LOCK = 0x706c6175;

interface BaselineRow {
  env: string;
  host: string;
  version: number;
  fingerprint_id: number;
  promoted_at: string;
  promoted_by: string;
  reason: string;
  active: number;
  json: string;
}

interface SnapshotRow {
  id: number;
  env: string;
  host: string;
  taken_at: string;
  taken_by: string;
  reason: string;
  release_path: string | null;
  release_target: string | null;
  json: string;
  secret_json: string | null;
}

const BASELINE_SELECT = `
  SELECT b.env, b.host, b.version, b.fingerprint_id, b.promoted_at, b.promoted_by, b.reason, b.active, f.json
  FROM baselines b JOIN fingerprints f ON f.id = b.fingerprint_id`;

/**
 * Plumbline's state: by default in one SQLite file (node:sqlite, no native addon); for a shared
 * fleet in PostgreSQL (Store.connect), with the same schema, statements and behaviour.
 *
 * Durability: WAL with synchronous=FULL. Every commit is fsynced before it returns, so a crash of
 * the process *or of the machine* loses nothing that was reported committed. Writes here are
 * few (captures, promotions, audit entries, one sample per host per interval), so the fsync per
 * commit is cheap next to what losing an audit entry for an action already taken on a host costs.
 * NORMAL would only be safe against a process crash, not a power cut.
 *
 * The file is created 0600 (its WAL and shared-memory files inherit that mode): it can hold
 * snapshots of secret files.
 */
export class Store {
  private depth = 0;
  private fleetStore: FleetStore | undefined;

  private constructor(
    private readonly db: Db,
    /** The SQLite file, or the PostgreSQL URL without its password. */
    readonly file: string,
    private readonly now: () => Date,
  ) {}

  /** Opens the store where `location` says: a SQLite file or a PostgreSQL URL. */
  static at(location: StoreLocation, opts: StoreOptions = {}): Store {
    return location.kind === 'sqlite' ? Store.open(location.file, opts) : Store.connect(location.url, opts);
  }

  /** Connects to PostgreSQL (the URL may hold a password; it is never stored or shown) and migrates. */
  static connect(url: string, opts: StoreOptions = {}): Store {
    const db = new PgDatabase(url, opts.postgres);
    const name = describeLocation({ kind: 'postgres', url });
    try {
      applyMigrations(db, name);
    } catch (e) {
      db.close();
      throw e;
    }
    return new Store(db, name, opts.now ?? (() => new Date()));
  }

  get engine(): 'sqlite' | 'postgres' {
    return dialectOf(this.db);
  }

  /** Leases, workers and approvals of a shared fleet (plumbline serve). */
  fleet(): FleetStore {
    return (this.fleetStore ??= new FleetStore(this.db, this.engine));
  }

  /** Whether the store answered its last call (a local SQLite file always does). */
  health(): StoreHealth {
    return this.db instanceof PgDatabase ? this.db.health : { ok: true };
  }

  /** Opens (creating if needed) and migrates the store. `:memory:` gives a throwaway store for tests. */
  static open(file: string, opts: StoreOptions = {}): Store {
    if (file !== ':memory:') createPrivateFile(file);
    const { DatabaseSync } = sqliteModule();
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    } catch (e) {
      if (isCorruption(e)) throw new StoreCorrupt(file, (e as Error).message);
      throw e;
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec('PRAGMA foreign_keys = ON');
      if (file !== ':memory:') {
        const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
        if (mode !== 'wal') throw new Error(`${file}: SQLite refused WAL mode (got "${mode}"); is the folder on a network file system?`);
      }
      db.exec('PRAGMA synchronous = FULL');
      applyMigrations(db, file);
    } catch (e) {
      db.close();
      if (isCorruption(e)) throw new StoreCorrupt(file, (e as Error).message);
      throw e;
    }
    return new Store(db, file, opts.now ?? (() => new Date()));
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Runs `fn` in one transaction: all of its writes commit together or none do. Nested calls
   * become savepoints, so the store's own methods compose inside a caller's transaction.
   * `fn` must be synchronous (node:sqlite is); a returned promise is refused and rolled back.
   */
  transaction<T>(fn: () => T): T {
    const savepoint = `sp${this.depth}`;
    this.db.exec(this.depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    this.depth++;
    try {
      const result = fn();
      if (isPromiseLike(result)) throw new TypeError('Store.transaction: the function must be synchronous');
      this.depth--;
      this.db.exec(this.depth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.depth--;
      // SQLite rolls back by itself on some errors (disk full, I/O); then there is nothing to undo.
      if (this.db.isTransaction) {
        this.db.exec(this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      }
      throw e;
    }
  }

  /** The connection's settings as SQLite reports them, for tests and diagnostics. */
  settings(): { journalMode: string; synchronous: number; foreignKeys: boolean; busyTimeoutMs: number } {
    const pragma = (name: string): unknown => Object.values(this.db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
    return {
      journalMode: String(pragma('journal_mode')),
      synchronous: Number(pragma('synchronous')),
      foreignKeys: pragma('foreign_keys') === 1,
      busyTimeoutMs: Number(pragma('busy_timeout')),
    };
  }

  /** This store's random id (names its keys kept outside it). */
  identity(): string {
    return (this.db.prepare('SELECT id FROM store_identity WHERE one = 1').get() as { id: string }).id;
  }

  environments(): string[] {
    return (this.db.prepare('SELECT name FROM environments ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  }

  /** Hosts of the environment that have ever been stored, by spec. */
  hosts(env: string): string[] {
    const rows = this.db.prepare('SELECT spec FROM hosts WHERE env = ? ORDER BY spec').all(env) as Array<{ spec: string }>;
    return rows.map((r) => r.spec);
  }

  /** Stores a captured fingerprint and returns its id. Content of secret files is never stored. */
  saveFingerprint(env: string, fp: Fingerprint): number {
    if (!fp.host) throw new Error('saveFingerprint: the fingerprint has no host');
    return this.transaction(() => {
      const stored = this.stamp();
      this.ensureHost(env, fp.host, stored);
      const r = this.db
        .prepare('INSERT INTO fingerprints (env, host, captured_at, stored_at, schema, json) VALUES (?, ?, ?, ?, ?, ?)')
        .run(env, fp.host, fp.capturedAt, stored, fp.schema, JSON.stringify(withoutSecretContent(fp)));
      return Number(r.lastInsertRowid);
    });
  }

  fingerprint(id: number): Fingerprint | undefined {
    const row = this.db.prepare('SELECT json FROM fingerprints WHERE id = ?').get(id) as { json: string } | undefined;
    return row && rowJson<Fingerprint>(this.file, 'a fingerprint row', row.json);
  }

  /** The most recently stored fingerprint of the host, with its id. */
  latestFingerprint(env: string, host: string): { id: number; fingerprint: Fingerprint } | undefined {
    const row = this.db
      .prepare('SELECT id, json FROM fingerprints WHERE env = ? AND host = ? ORDER BY id DESC LIMIT 1')
      .get(env, host) as { id: number; json: string } | undefined;
    return row && { id: row.id, fingerprint: rowJson<Fingerprint>(this.file, `fingerprint ${row.id}`, row.json) };
  }

  /**
   * Makes a stored fingerprint the host's golden baseline: the next version, active, and the
   * previous active one retired. The fingerprint must belong to the same env and host.
   */
  promoteBaseline(env: string, host: string, fingerprintId: number, meta: { by: string; reason: string }): BaselineRecord {
    return this.transaction(() => {
      const owner = this.db.prepare('SELECT env, host FROM fingerprints WHERE id = ?').get(fingerprintId) as
        | { env: string; host: string }
        | undefined;
      if (!owner) throw new Error(`promoteBaseline: no fingerprint ${fingerprintId}`);
      if (owner.env !== env || owner.host !== host) {
        throw new Error(`promoteBaseline: fingerprint ${fingerprintId} belongs to ${owner.env}/${owner.host}, not ${env}/${host}`);
      }
      const { next } = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS next FROM baselines WHERE env = ? AND host = ?')
        .get(env, host) as { next: number };
      this.db.prepare('UPDATE baselines SET active = 0 WHERE env = ? AND host = ? AND active = 1').run(env, host);
      this.db
        .prepare(
          `INSERT INTO baselines (env, host, version, fingerprint_id, promoted_at, promoted_by, reason, active)
           VALUES (?, ?, ?, ?, ?, ?, ?, 1)`,
        )
        .run(env, host, next, fingerprintId, this.stamp(), meta.by, meta.reason);
      return this.baselineVersion(env, host, next)!;
    });
  }

  activeBaseline(env: string, host: string): BaselineRecord | undefined {
    const row = this.db.prepare(`${BASELINE_SELECT} WHERE b.env = ? AND b.host = ? AND b.active = 1`).get(env, host) as
      | BaselineRow
      | undefined;
    return row && toBaseline(row, this.file);
  }

  baselineVersion(env: string, host: string, version: number): BaselineRecord | undefined {
    const row = this.db.prepare(`${BASELINE_SELECT} WHERE b.env = ? AND b.host = ? AND b.version = ?`).get(env, host, version) as
      | BaselineRow
      | undefined;
    return row && toBaseline(row, this.file);
  }

  /** Every baseline of the host, oldest first. */
  baselineHistory(env: string, host: string): BaselineRecord[] {
    const rows = this.db.prepare(`${BASELINE_SELECT} WHERE b.env = ? AND b.host = ? ORDER BY b.version`).all(env, host) as unknown as BaselineRow[];
    return rows.map((r) => toBaseline(r, this.file));
  }

  /**
   * Records the host's pre-deployment state. Secret contents are sealed with `secretKey` (kept
   * outside the store, `keys.ts`): the store never holds them in clear.
   */
  saveSnapshot(env: string, host: string, input: SnapshotInput, opts: { secretKey?: Buffer } = {}): SnapshotRecord {
    const secretPaths = new Set(input.files.filter((f) => f.secret).map((f) => f.remote));
    for (const remote of Object.keys(input.secretContents ?? {})) {
      if (!secretPaths.has(remote)) throw new Error(`saveSnapshot: secretContents has ${remote}, which is not a secret file of the snapshot`);
    }
    const files = input.files.map(stripSecretContent);
    const hasSecrets = input.secretContents !== undefined && Object.keys(input.secretContents).length > 0;
    if (hasSecrets && !opts.secretKey) throw new Error('saveSnapshot: secret contents are only kept sealed, and no secrets key was given');
    const secrets = hasSecrets ? seal(opts.secretKey!, JSON.stringify(input.secretContents), secretAad(env, host)) : null;
    return this.transaction(() => {
      const taken = this.stamp();
      this.ensureHost(env, host, taken);
      const r = this.db
        .prepare(
          `INSERT INTO snapshots (env, host, taken_at, taken_by, reason, release_path, release_target, json, secret_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(env, host, taken, input.takenBy, input.reason, input.release?.path ?? null, input.release?.target ?? null, JSON.stringify(files), secrets);
      return { id: Number(r.lastInsertRowid), env, host, takenAt: taken, takenBy: input.takenBy, reason: input.reason, release: input.release, files };
    });
  }

  /**
   * The host's newest snapshot. Secret contents are returned only when asked for, opened with
   * `secretKey`; without the key that sealed them this throws, saying so (nothing is restored
   * half-way).
   */
  latestSnapshot(env: string, host: string, opts: { withSecrets?: boolean; secretKey?: Buffer; keyFile?: string } = {}): SnapshotRecord | undefined {
    const row = this.db.prepare('SELECT * FROM snapshots WHERE env = ? AND host = ? ORDER BY id DESC LIMIT 1').get(env, host) as
      | SnapshotRow
      | undefined;
    if (!row) return undefined;
    const record: SnapshotRecord = {
      id: row.id,
      env: row.env,
      host: row.host,
      takenAt: row.taken_at,
      takenBy: row.taken_by,
      reason: row.reason,
      release: row.release_path === null ? null : { path: row.release_path, target: row.release_target },
      files: rowJson<ManagedFileState[]>(this.file, `snapshot ${row.id}`, row.json),
    };
    if (opts.withSecrets && row.secret_json !== null) {
      let text = row.secret_json;
      // Snapshots from before sealing hold the contents as JSON; they are read as they are.
      if (isSealed(text)) {
        const where = opts.keyFile ?? 'the secrets key outside the store';
        if (!opts.secretKey) throw new Error(`snapshot ${row.id} of ${host}: its secret file contents are sealed with ${where}, which is missing; restore that key file, or take a new snapshot`);
        const opened = open(opts.secretKey, text, secretAad(env, host));
        if (opened instanceof Error) throw new Error(`snapshot ${row.id} of ${host}: its secret file contents do not open with ${where}: ${opened.message}`);
        text = opened;
      }
      record.secretContents = rowJson<Record<string, string>>(this.file, `snapshot ${row.id} (secrets)`, text);
    }
    return record;
  }

  /**
   * Appends one audit entry, chained to the newest one: `link(prev_hash, entry)` gives its hash
   * (the audit log's keyed MAC). BEGIN IMMEDIATE makes two processes appending at once take
   * turns, so the chain never forks.
   */
  appendAudit(input: AuditEntryInput & { mac?: AuditEntry['mac'] }, link: (prevHash: string | null, entry: AuditEntry) => string): AuditRecord {
    return this.transaction(() => {
      if (this.engine === 'postgres') this.db.exec(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
      const last = this.db.prepare('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { hash: string } | undefined;
      const prevHash = last?.hash ?? null;
      const entry: AuditEntry = { ...input, ts: this.stamp() };
      const json = canonicalJson(entry);
      const hash = link(prevHash, entry);
      const r = this.db.prepare('INSERT INTO audit_log (ts, prev_hash, hash, json) VALUES (?, ?, ?, ?)').run(entry.ts, prevHash, hash, json);
      return { id: Number(r.lastInsertRowid), ts: entry.ts, prevHash, hash, json };
    });
  }

  /** Every audit row, oldest first, exactly as stored (for printing and for verifyChain). */
  auditRecords(): AuditRecord[] {
    const rows = this.db.prepare('SELECT id, ts, prev_hash, hash, json FROM audit_log ORDER BY id').all() as Array<{
      id: number;
      ts: string;
      prev_hash: string | null;
      hash: string;
      json: string;
    }>;
    return rows.map((r) => ({ id: r.id, ts: r.ts, prevHash: r.prev_hash, hash: r.hash, json: r.json }));
  }

  /**
   * Stores samples of one host in one transaction and returns how many were new. A seq that is
   * already stored is skipped, so a replay after a reconnect does no harm.
   */
  saveSamples(env: string, host: string, samples: Sample[]): number {
    if (samples.length === 0) return 0;
    return this.transaction(() => {
      this.ensureHost(env, host, this.stamp());
      const insert = this.db.prepare('INSERT INTO samples (env, host, seq, ts, json) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
      let added = 0;
      for (const s of samples) added += Number(insert.run(env, host, s.seq, s.ts, JSON.stringify(s)).changes);
      return added;
    });
  }

  /** The highest seq stored for the host, raw or rolled up; 0 when none. */
  lastSeq(env: string, host: string): number {
    const row = this.db
      .prepare(
        `SELECT MAX(v) AS v FROM (
           SELECT MAX(seq) AS v FROM samples WHERE env = ? AND host = ?
           UNION ALL SELECT MAX(last_seq) FROM samples_1m WHERE env = ? AND host = ?) AS seqs`,
      )
      .get(env, host, env, host) as { v: number | null };
    return row.v ?? 0;
  }

  /** Stores labels a person gave to intervals the risk model saw; returns how many. */
  saveRiskFeedback(entries: readonly RiskFeedback[]): number {
    if (entries.length === 0) return 0;
    return this.transaction(() => {
      const insert = this.db.prepare('INSERT INTO risk_feedback (env, host, ts, label, source, features, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const at = this.stamp();
      for (const e of entries) insert.run(e.env, e.host, e.ts, e.label, e.source, JSON.stringify(e.features), at);
      return entries.length;
    });
  }

  /** Every feedback label, oldest first. */
  riskFeedback(): RiskFeedback[] {
    const rows = this.db.prepare('SELECT env, host, ts, label, source, features FROM risk_feedback ORDER BY id').all() as Array<{
      env: string;
      host: string;
      ts: number;
      label: number;
      source: string;
      features: string;
    }>;
    return rows.map((r) => ({ ...r, ts: Number(r.ts), label: Number(r.label) as RiskFeedback['label'], source: r.source as RiskFeedback['source'], features: rowJson<number[]>(this.file, `a risk feedback label of ${r.env}/${r.host}`, r.features) }));
  }

  /** Raw samples of the host in [fromTs, toTs), oldest first. */
  samples(env: string, host: string, q: SampleQuery = {}): Sample[] {
    const rows = this.db
      .prepare('SELECT json FROM samples WHERE env = ? AND host = ? AND ts >= ? AND ts < ? ORDER BY ts, seq LIMIT ?')
      .all(env, host, q.fromTs ?? 0, q.toTs ?? Number.MAX_SAFE_INTEGER, q.limit ?? 10_000) as Array<{ json: string }>;
    return rows.map((r) => rowJson<Sample>(this.file, `a sample row of ${env}/${host}`, r.json));
  }

  /** Stored seqs of the host in order (raw samples only), for gap checks. */
  sampleSeqs(env: string, host: string, q: SampleQuery = {}): number[] {
    const rows = this.db
      .prepare('SELECT seq FROM samples WHERE env = ? AND host = ? AND ts >= ? AND ts < ? ORDER BY seq LIMIT ?')
      .all(env, host, q.fromTs ?? 0, q.toTs ?? Number.MAX_SAFE_INTEGER, q.limit ?? 1_000_000) as Array<{ seq: number }>;
    return rows.map((r) => r.seq);
  }

  /** 1-minute rollups of the host whose minute is in [fromTs, toTs), oldest first. */
  rollups(env: string, host: string, q: SampleQuery = {}): SampleRollup[] {
    const rows = this.db
      .prepare('SELECT minute, n, first_seq, last_seq, json FROM samples_1m WHERE env = ? AND host = ? AND minute >= ? AND minute < ? ORDER BY minute LIMIT ?')
      .all(env, host, q.fromTs ?? 0, q.toTs ?? Number.MAX_SAFE_INTEGER, q.limit ?? 10_000) as Array<{ minute: number; n: number; first_seq: number; last_seq: number; json: string }>;
    return rows.map((r) => toRollup(r, this.file));
  }

  /**
   * Rolls raw samples older than the retention window (by host clock, cut at a minute boundary
   * so no minute is split) into `samples_1m` and deletes them, host by host, one transaction each.
   * A minute that already has a rollup (late samples) is merged into it.
   */
  compact(now: number, opts: CompactOptions = {}): { rawDeleted: number; rollupRows: number } {
    const cutoff = Math.floor((now - (opts.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS)) / MINUTE_MS) * MINUTE_MS;
    let budget = opts.maxRows ?? 200_000;
    let rawDeleted = 0;
    let rollupRows = 0;
    const hosts = this.db.prepare('SELECT DISTINCT env, host FROM samples WHERE ts < ?').all(cutoff) as Array<{ env: string; host: string }>;
    for (const { env, host } of hosts) {
      while (budget > 0) {
        const chunk = Math.min(budget, 20_000);
        // Whole minutes only: the chunk ends before the minute of its last row unless that is all there is.
        const rows = this.db
          .prepare('SELECT seq, ts, json FROM samples WHERE env = ? AND host = ? AND ts < ? ORDER BY ts, seq LIMIT ?')
          .all(env, host, cutoff, chunk) as Array<{ seq: number; ts: number; json: string }>;
        if (rows.length === 0) break;
        let end = cutoff;
        let taken = rows;
        if (rows.length === chunk) {
          const lastMinute = Math.floor(rows[rows.length - 1].ts / MINUTE_MS) * MINUTE_MS;
          if (lastMinute > Math.floor(rows[0].ts / MINUTE_MS) * MINUTE_MS) {
            end = lastMinute;
            taken = rows.filter((r) => r.ts < end);
          } else {
            // One minute holds more than a chunk: take all of it.
            end = lastMinute + MINUTE_MS;
            taken = this.db
              .prepare('SELECT seq, ts, json FROM samples WHERE env = ? AND host = ? AND ts < ? ORDER BY ts, seq')
              .all(env, host, end) as Array<{ seq: number; ts: number; json: string }>;
          }
        }
        const samples = taken.map((r) => rowJson<Sample>(this.file, `sample ${r.seq} of ${env}/${host}`, r.json));
        this.transaction(() => {
          const get = this.db.prepare('SELECT minute, n, first_seq, last_seq, json FROM samples_1m WHERE env = ? AND host = ? AND minute = ?');
          const put = this.db.prepare(
            `INSERT INTO samples_1m (env, host, minute, n, first_seq, last_seq, json) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (env, host, minute) DO UPDATE SET n = excluded.n, first_seq = excluded.first_seq, last_seq = excluded.last_seq, json = excluded.json`,
          );
          for (const r of rollUp(samples)) {
            const old = get.get(env, host, r.minute) as { minute: number; n: number; first_seq: number; last_seq: number; json: string } | undefined;
            const m = old ? mergeRollups(toRollup(old, this.file), r) : r;
            put.run(env, host, m.minute, m.n, m.firstSeq, m.lastSeq, JSON.stringify(m.fields));
            rollupRows++;
          }
          const del = this.db.prepare('DELETE FROM samples WHERE env = ? AND host = ? AND ts < ?').run(env, host, end);
          rawDeleted += Number(del.changes);
        });
        budget -= rows.length;
        if (rows.length < chunk) break;
      }
    }
    return { rawDeleted, rollupRows };
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private ensureHost(env: string, host: string, at: string): void {
    this.db.prepare('INSERT INTO environments (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(env, at);
    this.db.prepare('INSERT INTO hosts (env, spec, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(env, host, at);
  }
}

function toRollup(row: { minute: number; n: number; first_seq: number; last_seq: number; json: string }, file: string): SampleRollup {
  return { minute: row.minute, n: row.n, firstSeq: row.first_seq, lastSeq: row.last_seq, fields: rowJson<SampleRollup['fields']>(file, `rollup of minute ${row.minute}`, row.json) };
}

function toBaseline(row: BaselineRow, file: string): BaselineRecord {
  return {
    env: row.env,
    host: row.host,
    version: row.version,
    fingerprintId: row.fingerprint_id,
    promotedAt: row.promoted_at,
    promotedBy: row.promoted_by,
    reason: row.reason,
    active: row.active === 1,
    fingerprint: rowJson<Fingerprint>(file, `the fingerprint of baseline v${row.version} of ${row.env}/${row.host}`, row.json),
  };
}

/** A copy of the fingerprint without any secret file content, whatever the agent sent. */
export function withoutSecretContent(fp: Fingerprint): Fingerprint {
  if (!fp.app.files.some((f) => f.secret && f.content !== undefined)) return fp;
  return { ...fp, app: { ...fp.app, files: fp.app.files.map(stripSecretContent) } };
}

/** What a snapshot's sealed secrets are bound to: moved to another host's row they do not open. */
function secretAad(env: string, host: string): string {
  return `plumbline snapshot secrets\n${env}\n${host}`;
}

function stripSecretContent(f: ManagedFileState): ManagedFileState {
  if (!f.secret || f.content === undefined) return f;
  const copy = { ...f };
  delete copy.content;
  return copy;
}

function isPromiseLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Creates the database file 0600 (and its folder 0700) before SQLite opens it. */
function createPrivateFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    fs.fchmodSync(fd, 0o600); // exactly 0600 whatever the umask
  } finally {
    fs.closeSync(fd);
  }
}
