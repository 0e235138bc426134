import type { SqlValue } from '../db';

/** What the store's thread asks the PostgreSQL worker thread (postgres/worker.ts). */
export interface PgRequest {
  sql: string;
  params: SqlValue[];
  /** The statement opens or ends the top-level transaction: the worker tracks it across reconnects. */
  tx: 'begin' | 'end' | null;
}

export type PgFailure =
  /** PostgreSQL said no (constraint, syntax, a trigger): the connection is fine. */
  | { kind: 'sql'; code?: string; message: string }
  /** No connection could be made within the retry budget. */
  | { kind: 'unavailable'; message: string }
  /** The connection dropped inside a transaction: nothing of it committed; roll back and retry. */
  | { kind: 'lost'; message: string };

export type PgResponse = { ok: true; rows: Record<string, unknown>[]; rowCount: number } | { ok: false; error: PgFailure };

/** Passed to the worker at start. */
export interface PgWorkerData {
  url: string;
  /** Int32Array over it: [0] flips to 1 when a response is posted. */
  signal: SharedArrayBuffer;
  /** Total time one request may spend reconnecting before it answers "unavailable". */
  retryMs: number;
  /** Once unavailable, later requests try this long only, so a dead database does not stall every call. */
  quickRetryMs: number;
  statementTimeoutMs: number;
  applicationName: string;
}
