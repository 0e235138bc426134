/**
 * One audit entry: a decision, an action (done, planned in a dry run, or refused) or a snapshot,
 * with its reasons, the exact commands, their output (truncated, secrets never), timing and
 * the verification result. Entries are append-only and hash-chained (see chain.ts).
 */
export type AuditKind = 'decision' | 'action' | 'snapshot';

export type AuditOutcome =
  /** The action ran and verification passed (or the snapshot was stored). */
  | 'done'
  /** Dry run or shadow mode: the commands that would have run, nothing changed. */
  | 'planned'
  /** Not started: lock held, target unhealthy, no snapshot, mode off, not confirmed ... */
  | 'refused'
  /** A command failed part-way. */
  | 'failed'
  /** Every command ran, but the host did not verify back to its baseline. */
  | 'verify-failed'
  /** A policy decision was recorded (no command of its own). */
  | 'decided'
  /** Written before an action's first command: a crash leaves it without its finishing entry. */
  | 'started'
  /** Closes a `started` entry whose action never finished (the process died): found at start-up. */
  | 'interrupted';

export interface AuditEntryInput {
  env: string;
  host?: string;
  kind: AuditKind;
  /** remediate | switch | rollback | snapshot, or the policy's action. */
  action?: string;
  outcome: AuditOutcome;
  /** Who or what acted: `user@machine`, `policy`. */
  actor: string;
  /** One line a person reads in the table. */
  summary: string;
  /** Reasons, steps, verification, timing: anything JSON, already free of secrets. */
  details?: Record<string, unknown>;
}

/** What is hashed and stored: the input plus the store's timestamp. */
export interface AuditEntry extends AuditEntryInput {
  ts: string;
  /** `hmac-sha256`: the hash is keyed with the key kept outside the store. Absent on entries written before keys. */
  mac?: 'hmac-sha256';
}

/** A stored row: the entry as canonical JSON, chained to the row before it. */
export interface AuditRecord {
  id: number;
  ts: string;
  prevHash: string | null;
  hash: string;
  json: string;
}
