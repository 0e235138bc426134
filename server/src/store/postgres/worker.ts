/**
 * The worker thread behind the PostgreSQL store: one node-postgres connection, asynchronous as
 * node-postgres is, answering the store's synchronous calls one at a time (postgres/pgDatabase.ts
 * waits on a shared flag). It reconnects with backoff after a lost connection, and tells a lost
 * connection inside a transaction apart from one between statements: the first is refused until
 * the store rolls back (nothing of that transaction committed), the second is retried.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Client, types } from 'pg';
import type { PgFailure, PgRequest, PgResponse, PgWorkerData } from './protocol';

// BIGINT (ids, epoch milliseconds, counts) as numbers, as node:sqlite returns them; all fit in 2^53.
types.setTypeParser(types.builtins.INT8, (v) => Number(v));

const data = workerData as PgWorkerData & { port: MessagePort };
const flag = new Int32Array(data.signal);

let client: Client | null = null;
let broken = false;
let inTx = false;
/** The connection died inside the open transaction; only ROLLBACK is accepted until it is closed. */
let txLost = false;
let unavailableSince = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connect(deadline: number): Promise<void> {
  if (client && !broken) return;
  if (client) void client.end().catch(() => undefined);
  client = null;
  let delay = 100;
  for (;;) {
    const c = new Client({
      connectionString: data.url,
      connectionTimeoutMillis: Math.max(500, Math.min(5000, deadline - Date.now())),
      statement_timeout: data.statementTimeoutMs,
      application_name: data.applicationName,
    });
    c.on('error', () => {
      broken = true;
    });
    try {
      await c.connect();
      client = c;
      broken = false;
      return;
    } catch (e) {
      void c.end().catch(() => undefined);
      if (Date.now() + delay >= deadline) throw e;
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/** Errors from PostgreSQL itself carry a SQLSTATE; anything else is the connection. */
function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return broken || typeof code !== 'string' || /^(08(?!P01)|57P0[123])/.test(code) || /^E[A-Z]+$/.test(code);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function handle(req: PgRequest): Promise<PgResponse> {
  if (txLost) {
    if (req.tx === 'end' && /^\s*ROLLBACK\b/i.test(req.sql)) {
      txLost = false;
      inTx = false;
      return { ok: true, rows: [], rowCount: 0 };
    }
    return fail({ kind: 'lost', message: 'the connection to PostgreSQL was lost inside this transaction; nothing of it was committed' });
  }
  if (inTx && (broken || !client)) {
    txLost = true;
    return handle(req);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await connect(Date.now() + (unavailableSince ? data.quickRetryMs : data.retryMs));
    } catch (e) {
      unavailableSince ||= Date.now();
      return fail({ kind: 'unavailable', message: message(e) });
    }
    try {
      const res = await client!.query({ text: req.sql, values: req.params as unknown[] });
      unavailableSince = 0;
      if (req.tx === 'begin') inTx = true;
      if (req.tx === 'end') inTx = false;
      const last = Array.isArray(res) ? res[res.length - 1] : res;
      return { ok: true, rows: (last?.rows ?? []) as Record<string, unknown>[], rowCount: last?.rowCount ?? 0 };
    } catch (e) {
      if (!isConnectionError(e)) {
        const code = (e as { code?: string }).code;
        return fail({ kind: 'sql', code, message: message(e) });
      }
      broken = true;
      if (inTx || req.tx !== null) {
        // A lost COMMIT may or may not have landed; the store's writes are idempotent or chained, and the caller retries.
        if (inTx) txLost = req.tx !== 'end';
        inTx = false;
        return fail({ kind: 'lost', message: `the connection to PostgreSQL was lost (${message(e)}); the transaction did not commit` });
      }
      // Outside a transaction every statement the store sends is a read or idempotent: once more on a new connection.
      if (attempt >= 1) {
        unavailableSince ||= Date.now();
        return fail({ kind: 'unavailable', message: message(e) });
      }
    }
  }
}

function fail(error: PgFailure): PgResponse {
  return { ok: false, error };
}

data.port.on('message', (req: PgRequest | 'close') => {
  void (async () => {
    let res: PgResponse;
    if (req === 'close') {
      await client?.end().catch(() => undefined);
      res = { ok: true, rows: [], rowCount: 0 };
    } else {
      try {
        res = await handle(req);
      } catch (e) {
        res = fail({ kind: 'unavailable', message: message(e) });
      }
    }
    data.port.postMessage(res);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  })();
});

parentPort?.on('close', () => void client?.end().catch(() => undefined));
