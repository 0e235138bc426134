import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Db, Dialect, SqlValue, Statement } from '../db';
import { redactStoreUrl } from '../location';
import type { PgFailure, PgRequest, PgResponse, PgWorkerData } from './protocol';

/** PostgreSQL is unreachable (after retrying), or the connection dropped mid-transaction. */
export class StoreUnavailable extends Error {
  constructor(
    readonly url: string,
    readonly failure: PgFailure,
  ) {
    super(`the Plumbline store ${url} is unavailable: ${failure.message}`);
    this.name = 'StoreUnavailable';
  }
}

/** PostgreSQL refused a statement; `code` is its SQLSTATE. */
export class PgStatementError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'PgStatementError';
  }
}

export interface PgDatabaseOptions {
  /** Per call, time spent reconnecting before "unavailable"; default 10 s. */
  retryMs?: number;
  /** After that, each call retries this long; default 1 s. */
  quickRetryMs?: number;
  /** Server-side statement timeout; default 30 s. */
  statementTimeoutMs?: number;
  applicationName?: string;
}

export type StoreHealth = { ok: true } | { ok: false; since: number; error: string };

/**
 * Where the worker's code is: beside the bundle (dist/pgWorker.js, seen from dist/ or from the
 * CLI's chunks in dist/cli/) or beside this file (tsc's out/).
 */
function workerFile(): string {
  const candidates = [path.join(__dirname, 'pgWorker.js'), path.join(__dirname, '..', 'pgWorker.js'), path.join(__dirname, 'worker.js')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`the PostgreSQL worker is missing (looked for ${candidates.join(', ')}); rebuild Plumbline`);
  return found;
}

/**
 * A synchronous connection to PostgreSQL with node:sqlite's shape (exec, prepare → run/get/all),
 * so the store's code is one for both engines. node-postgres is asynchronous, so it runs in a
 * worker thread; each call posts the statement and blocks on Atomics.wait until the answer is
 * there, bounded by the retry budget plus the statement timeout. A call never waits forever: past
 * the bound the worker is replaced and the call fails with StoreUnavailable.
 *
 * The trade-off, measured in test/bench/fleet.bench.ts: each statement costs a round trip that
 * blocks this thread (~0.1–1 ms on loopback); in exchange the ~30 places that use the store stay
 * synchronous, and transactions keep their all-or-nothing shape with no await inside them.
 */
export class PgDatabase implements Db {
  readonly dialect: Dialect = 'postgres';
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly signal = new SharedArrayBuffer(4);
  private readonly flag = new Int32Array(this.signal);
  private open = true;
  private txDepth = 0;
  private healthNow: StoreHealth = { ok: true };
  /** Tables with an `id` column: an INSERT into them returns it, as SQLite's lastInsertRowid does. */
  private readonly idTables = new Map<string, boolean>();
  private readonly retryMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly url: string,
    private readonly opts: PgDatabaseOptions = {},
  ) {
    this.retryMs = opts.retryMs ?? 10_000;
    this.waitMs = this.retryMs + (opts.statementTimeoutMs ?? 30_000) + 5_000;
    this.call({ sql: 'SELECT 1', params: [], tx: null });
  }

  /** The URL without its password, for messages. */
  get displayUrl(): string {
    return redactStoreUrl(this.url);
  }

  get isOpen(): boolean {
    return this.open;
  }

  get isTransaction(): boolean {
    return this.txDepth > 0;
  }

  /** Whether the last call reached PostgreSQL; since when it has not. */
  get health(): StoreHealth {
    return this.healthNow;
  }

  exec(sql: string): void {
    const pg = translate(sql);
    const tx = /^\s*BEGIN\b/i.test(pg) ? 'begin' : /^\s*(COMMIT|END|ROLLBACK)\s*;?\s*$/i.test(pg) ? 'end' : null;
    try {
      this.call({ sql: pg, params: [], tx });
    } finally {
      if (tx === 'begin') this.txDepth = 1;
      if (tx === 'end') this.txDepth = 0;
    }
  }

  prepare(sql: string): Statement {
    const text = numberParams(translate(sql));
    const insertInto = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(text)?.[1];
    const returning = /\bRETURNING\b/i.test(text);
    return {
      run: (...params: SqlValue[]) => {
        const withId = insertInto !== undefined && !returning && this.hasId(insertInto);
        const r = this.call({ sql: withId ? `${text} RETURNING id` : text, params, tx: null });
        const id = withId && r.rows.length > 0 ? Number(r.rows[r.rows.length - 1].id) : 0;
        return { changes: r.rowCount, lastInsertRowid: id };
      },
      get: (...params: SqlValue[]) => this.call({ sql: text, params, tx: null }).rows[0],
      all: (...params: SqlValue[]) => this.call({ sql: text, params, tx: null }).rows,
    };
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    if (this.worker) {
      try {
        this.post('close', 5000);
      } catch {
        // closing anyway
      }
      void this.worker.terminate();
    }
    this.worker = undefined;
  }

  private hasId(table: string): boolean {
    const key = table.toLowerCase();
    let has = this.idTables.get(key);
    if (has === undefined) {
      has =
        this.call({
          sql: "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id'",
          params: [key],
          tx: null,
        }).rows.length > 0;
      this.idTables.set(key, has);
    }
    return has;
  }

  private call(req: PgRequest): { rows: Record<string, unknown>[]; rowCount: number } {
    if (!this.open) throw new Error('the store is closed');
    const res = this.post(req, this.waitMs);
    if (res.ok) {
      this.healthNow = { ok: true };
      return res;
    }
    const e = res.error;
    if (e.kind === 'sql') throw new PgStatementError(e.message, e.code);
    if (!this.healthNow.ok) this.healthNow = { ...this.healthNow, error: e.message };
    else this.healthNow = { ok: false, since: Date.now(), error: e.message };
    throw new StoreUnavailable(this.displayUrl, e);
  }

  private post(req: PgRequest | 'close', waitMs: number): PgResponse {
    const port = this.ensureWorker();
    Atomics.store(this.flag, 0, 0);
    port.postMessage(req);
    const waited = Atomics.wait(this.flag, 0, 0, waitMs);
    const msg = receiveMessageOnPort(port);
    if (waited === 'timed-out' || !msg) {
      // The worker is stuck (a statement past every timeout): replace it; its transaction dies with its connection.
      void this.worker?.terminate();
      this.worker = undefined;
      this.txDepth = 0;
      return { ok: false, error: { kind: 'unavailable', message: `no answer from PostgreSQL within ${waitMs} ms` } };
    }
    return msg.message as PgResponse;
  }

  private ensureWorker(): MessagePort {
    if (this.worker && this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    const data: PgWorkerData & { port: MessagePort } = {
      url: this.url,
      signal: this.signal,
      retryMs: this.retryMs,
      quickRetryMs: this.opts.quickRetryMs ?? 1000,
      statementTimeoutMs: this.opts.statementTimeoutMs ?? 30_000,
      applicationName: this.opts.applicationName ?? `plumbline pid ${process.pid}`,
      port: port2,
    };
    this.worker = new Worker(workerFile(), { workerData: data, transferList: [port2] });
    this.worker.unref();
    this.port = port1;
    return port1;
  }
}

/** The few statements whose SQLite spelling PostgreSQL does not take. */
function translate(sql: string): string {
  return sql.replace(/^\s*BEGIN\s+IMMEDIATE\b/i, 'BEGIN');
}

/** `?` → `$1, $2 …`, leaving quoted text alone. */
export function numberParams(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}
