import type { Db, Dialect } from './db';

/** A worker's lease on one host: who watches it, and the fencing token its actions carry. */
export interface Lease {
  env: string;
  host: string;
  worker: string;
  token: number;
  acquiredAt: number;
  expiresAt: number;
  /** The store's clock when read, so callers need not trust their own. */
  now: number;
}

export interface WorkerRow {
  id: string;
  env: string;
  startedAt: number;
  heartbeatAt: number;
  info: Record<string, unknown>;
}

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalRecord {
  id: number;
  env: string;
  host: string;
  worker: string;
  token: number;
  requestedAt: string;
  /** What the worker asks to do (decision, dry-run plan), as the editor's approval dialog shows it. */
  request: Record<string, unknown>;
  state: ApprovalState;
  answeredBy: string | null;
  answeredAt: string | null;
}

interface LeaseRow {
  env: string;
  host: string;
  worker: string;
  token: number;
  acquired_at: number;
  expires_at: number;
  now: number;
}

/**
 * Leases, workers and approvals of a shared fleet (`plumbline serve`). Every time is the store's
 * clock (PostgreSQL's, shared by all workers), never a worker's, so clock skew between machines
 * cannot make two workers think they hold one host. A lease is taken with one atomic upsert that
 * succeeds only for its holder or when it has run out; its token rises each time the host changes
 * hands, and the action path refuses to act with a token lower than one the host has seen.
 */
export class FleetStore {
  /** The store's clock in epoch milliseconds, as SQL. */
  private readonly now: string;

  constructor(
    private readonly db: Db,
    dialect: Dialect,
  ) {
    this.now = dialect === 'postgres' ? '(extract(epoch from clock_timestamp()) * 1000)::bigint' : "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
  }

  /** The worker is alive (registers it on first call). */
  heartbeat(worker: string, env: string, info: Record<string, unknown>): void {
    this.db
      .prepare(
        `INSERT INTO workers (id, env, started_at, heartbeat_at, info) VALUES (?, ?, ${this.now}, ${this.now}, ?)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, info = excluded.info`,
      )
      .run(worker, env, JSON.stringify(info));
  }

  /** Workers of the environment heard from within `withinMs`, oldest first. */
  liveWorkers(env: string, withinMs: number): WorkerRow[] {
    const rows = this.db
      .prepare(`SELECT id, env, started_at, heartbeat_at, info FROM workers WHERE env = ? AND heartbeat_at > ${this.now} - ? ORDER BY started_at, id`)
      .all(env, withinMs) as Array<{ id: string; env: string; started_at: number; heartbeat_at: number; info: string }>;
    return rows.map((r) => ({ id: r.id, env: r.env, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, info: JSON.parse(r.info) as Record<string, unknown> }));
  }

  /** Every worker ever registered for the environment (status shows the dead ones too). */
  workers(env: string): Array<WorkerRow & { ageMs: number }> {
    const rows = this.db
      .prepare(`SELECT id, env, started_at, heartbeat_at, info, ${this.now} AS now FROM workers WHERE env = ? ORDER BY started_at, id`)
      .all(env) as Array<{ id: string; env: string; started_at: number; heartbeat_at: number; info: string; now: number }>;
    return rows.map((r) => ({ id: r.id, env: r.env, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, info: JSON.parse(r.info) as Record<string, unknown>, ageMs: r.now - r.heartbeat_at }));
  }

  /**
   * Takes or renews the lease on a host for `leaseMs`. Succeeds when the host is free, its lease
   * ran out, or `worker` holds it; returns undefined when another worker holds it. The token stays
   * the same on a renewal and rises by one on every other take.
   */
  acquire(env: string, host: string, worker: string, leaseMs: number): Lease | undefined {
    const row = this.db
      .prepare(
        `INSERT INTO leases (env, host, worker, token, acquired_at, expires_at) VALUES (?, ?, ?, 1, ${this.now}, ${this.now} + ?)
         ON CONFLICT (env, host) DO UPDATE SET
           worker = excluded.worker,
           token = CASE WHEN leases.worker = excluded.worker AND leases.expires_at > ${this.now} THEN leases.token ELSE leases.token + 1 END,
           acquired_at = CASE WHEN leases.worker = excluded.worker AND leases.expires_at > ${this.now} THEN leases.acquired_at ELSE excluded.acquired_at END,
           expires_at = excluded.expires_at
         WHERE leases.worker = excluded.worker OR leases.expires_at <= ${this.now}
         RETURNING env, host, worker, token, acquired_at, expires_at, ${this.now} AS now`,
      )
      .get(env, host, worker, leaseMs) as LeaseRow | undefined;
    return row && toLease(row);
  }

  /** Gives the host up at once (only the holder with this token can), so another worker may take it. */
  release(env: string, host: string, worker: string, token: number): boolean {
    const r = this.db.prepare(`UPDATE leases SET expires_at = ${this.now} WHERE env = ? AND host = ? AND worker = ? AND token = ?`).run(env, host, worker, token);
    return Number(r.changes) > 0;
  }

  /** The host's lease as the store has it now (expired ones included), or undefined if never leased. */
  lease(env: string, host: string): Lease | undefined {
    const row = this.db.prepare(`SELECT env, host, worker, token, acquired_at, expires_at, ${this.now} AS now FROM leases WHERE env = ? AND host = ?`).get(env, host) as LeaseRow | undefined;
    return row && toLease(row);
  }

  leases(env: string): Lease[] {
    const rows = this.db.prepare(`SELECT env, host, worker, token, acquired_at, expires_at, ${this.now} AS now FROM leases WHERE env = ? ORDER BY host`).all(env) as LeaseRow[];
    return rows.map(toLease);
  }

  /** A worker asks a person to approve an action on a host it holds; returns the request's id. */
  requestApproval(env: string, host: string, worker: string, token: number, request: Record<string, unknown>): number {
    const row = this.db
      .prepare('INSERT INTO approvals (env, host, worker, token, requested_at, json) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
      .get(env, host, worker, token, new Date().toISOString(), JSON.stringify(request)) as { id: number };
    return Number(row.id);
  }

  approval(id: number): ApprovalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row && toApproval(row);
  }

  /** Pending requests, oldest first (of one environment, or all). */
  pendingApprovals(env?: string): ApprovalRecord[] {
    const rows = (
      env === undefined
        ? this.db.prepare("SELECT * FROM approvals WHERE state = 'pending' ORDER BY id").all()
        : this.db.prepare("SELECT * FROM approvals WHERE env = ? AND state = 'pending' ORDER BY id").all(env)
    ) as ApprovalRow[];
    return rows.map(toApproval);
  }

  /** Answers a pending request; false when it was answered (or expired) already: the first answer wins. */
  answerApproval(id: number, state: Exclude<ApprovalState, 'pending'>, by: string): boolean {
    const r = this.db
      .prepare("UPDATE approvals SET state = ?, answered_by = ?, answered_at = ? WHERE id = ? AND state = 'pending'")
      .run(state, by, new Date().toISOString(), id);
    return Number(r.changes) > 0;
  }
}

interface ApprovalRow {
  id: number;
  env: string;
  host: string;
  worker: string;
  token: number;
  requested_at: string;
  json: string;
  state: ApprovalState;
  answered_by: string | null;
  answered_at: string | null;
}

function toApproval(r: ApprovalRow): ApprovalRecord {
  return {
    id: Number(r.id),
    env: r.env,
    host: r.host,
    worker: r.worker,
    token: Number(r.token),
    requestedAt: r.requested_at,
    request: JSON.parse(r.json) as Record<string, unknown>,
    state: r.state,
    answeredBy: r.answered_by,
    answeredAt: r.answered_at,
  };
}

function toLease(r: LeaseRow): Lease {
  return { env: r.env, host: r.host, worker: r.worker, token: Number(r.token), acquiredAt: Number(r.acquired_at), expiresAt: Number(r.expires_at), now: Number(r.now) };
}
