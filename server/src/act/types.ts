import type { Result } from '../common/result';
import type { DiffItem } from '../fingerprint/diff';
import type { SshError } from '../ssh/errors';
import type { ExecOptions, ExecResult, StreamHandle } from '../ssh/pool';

export type ActionKind = 'remediate' | 'switch' | 'rollback';
export const ACTION_KINDS: readonly ActionKind[] = ['remediate', 'switch', 'rollback'];

/** What actions need from the SSH layer (SshPool has it); tests inject a local shell. */
export interface HostShell {
  exec(host: string, argv: string[], opts?: ExecOptions): Promise<Result<ExecResult, SshError>>;
  stream(host: string, argv: string[], onStdoutLine: (line: string) => void, opts?: ExecOptions): Promise<Result<StreamHandle, SshError>>;
}

/** One command of an action, exactly as sent (each argv element quoted by the SSH layer). */
export interface StepRecord {
  title: string;
  /** `read` steps change nothing and run in a dry run too; `change` steps are only listed there. */
  effect: 'read' | 'change';
  argv: string[];
  /** The shell command line the host runs: argv quoted, nothing else. */
  command: string;
  /** What was fed on stdin (never the content itself). */
  stdinNote?: string;
  /** False in a dry run for `change` steps. */
  ran: boolean;
  code?: number | null;
  /** Truncated, secrets redacted; omitted for steps whose output is file content. */
  stdout?: string;
  stderr?: string;
  durationMs?: number;
  error?: string;
  /** Read steps are tried again when the host did not answer; present when it took more than one. */
  attempts?: number;
}

export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  ok: boolean;
  checks: VerificationCheck[];
  /** Drift against the active baseline on the items this action was meant to fix. */
  drift: DiffItem[];
  /** Other drift against the baseline: reported, not this action's to fix. */
  otherDrift: DiffItem[];
  attempts: number;
  durationMs: number;
}

export type ActionStatus = 'done' | 'planned' | 'refused' | 'failed' | 'verify-failed';

/** Everything an action did or would do on one host, with why and how it ended. */
export interface ActionReport {
  env: string;
  host: string;
  action: ActionKind;
  dryRun: boolean;
  status: ActionStatus;
  /** One sentence for people. */
  message: string;
  reasons: string[];
  steps: StepRecord[];
  verification?: Verification;
  /** Lock wait, action, verification, total. */
  timings: { lockWaitMs: number; actionMs: number; verifyMs: number; totalMs: number };
  /** Id of the audit entry written for this report. */
  auditId?: number;
  /** A fleet worker's lease token the host checked before the action (one holder per action). */
  fence?: { token: number; scope: string; holder: string };
  /** When the action took the lock and when it let go (epoch ms). */
  window?: { from: number; to: number };
  /**
   * The config the commands were built from (`actionConfigHash`): a person approving a dry run
   * approves it on this config, and the action then runs only on the same one.
   */
  configHash?: string;
}

/** Ends an action early; the orchestrator turns it into a `refused` or `failed` report. */
export class ActionStop extends Error {
  constructor(
    readonly status: 'refused' | 'failed',
    message: string,
    /** True when the host never answered (SSH trouble, no exit status): nothing is known of its state. */
    readonly transport = false,
  ) {
    super(message);
    this.name = 'ActionStop';
  }
}
