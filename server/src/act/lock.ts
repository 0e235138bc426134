import { err, ok, type Result } from '../common/result';
import { describeSshError } from '../ssh/errors';
import type { ExecResult, StreamHandle } from '../ssh/pool';
import { LOCK_SCRIPT, scriptArgv } from './scripts';
import type { HostShell } from './types';

/** Where the lock lives on every host (root-owned; taken with sudo -n when the user is not root). */
export const LOCK_FILE = '/var/lib/plumbline/lock';
/** Longest a holder keeps the lock: past this the host drops it, even if the holder is cut off. */
export const DEFAULT_LEASE_S = 600;

export interface LockOptions {
  /** Who holds it: shown to anyone refused. One line. */
  owner: string;
  /** Seconds to wait for a busy lock; 0 refuses at once. */
  waitS: number;
  leaseS?: number;
  /** Prefix with sudo -n (the SSH user is not root). */
  sudo: boolean;
  file?: string;
  /** Called once when the lock is busy and we start waiting, with its holder. */
  onWait?: (holder: string) => void;
  /** A shared fleet's fencing token (its lease on this host); a lower one than the host has seen is refused. */
  fence?: Fence;
}

/** A worker's lease token on a host, and the fleet (store and environment) whose leases it counts. */
export interface Fence {
  token: number;
  /** Letters, digits, '-' and '_' only (it names a file on the host). */
  scope: string;
}

export type LockError =
  | { kind: 'LockHeld'; holder: string; waitedMs: number }
  /** The host has seen a newer lease's token: this actor's lease moved on. */
  | { kind: 'Fenced'; token: number; seen: number }
  | { kind: 'LockUnavailable'; message: string };

/**
 * A lock held on the host itself, so two actors (two processes, two machines) never act on one
 * host at once. It is an flock held by a long-lived exec channel: released when we close the
 * channel, when this process dies (sshd closes the session), or when the lease ends.
 */
export class HostLock {
  private lostReason: string | undefined;

  private constructor(
    private readonly handle: StreamHandle,
    readonly owner: string,
    readonly waitedMs: number,
    readonly holderWhileWaiting: string | undefined,
  ) {
    void handle.done.then((r) => {
      this.lostReason ??= `the lock channel ended (${r.error ? describeSshError(r.error) : exitText(r)})`;
    });
  }

  /** Why the lock is no longer held, or undefined while it is. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  static async acquire(shell: HostShell, host: string, opts: LockOptions): Promise<Result<HostLock, LockError>> {
    if (opts.owner.includes('\n')) throw new RangeError('HostLock: the owner must be one line');
    const argv = lockArgv(opts);
    const started = Date.now();
    let busyHolder: string | undefined;
    type First = { locked: true } | { locked: false; held?: string; fenced?: number; message?: string };
    let settle!: (v: First) => void;
    const first = new Promise<First>((resolve) => (settle = resolve));
    const lines: string[] = [];
    const s = await shell.stream(host, argv, (line) => {
      if (line === '.') return;
      lines.push(line);
      if (line === 'LOCKED') settle({ locked: true });
      else if (line.startsWith('BUSY')) {
        busyHolder = line.slice(5);
        opts.onWait?.(busyHolder);
      } else if (line.startsWith('HELD')) settle({ locked: false, held: line.slice(5) });
      else if (line.startsWith('FENCED')) settle({ locked: false, fenced: Number(line.slice(7)) });
    });
    if (!s.ok) return err({ kind: 'LockUnavailable', message: describeSshError(s.error) });
    void s.value.done.then((r: ExecResult) => settle({ locked: false, message: explainEnd(r, lines) }));
    const outcome = await first;
    const waitedMs = Date.now() - started;
    if (outcome.locked) return ok(new HostLock(s.value, opts.owner, waitedMs, busyHolder));
    s.value.close();
    if (outcome.held !== undefined) return err({ kind: 'LockHeld', holder: outcome.held || '(unknown holder)', waitedMs });
    if (outcome.fenced !== undefined && opts.fence) return err({ kind: 'Fenced', token: opts.fence.token, seen: outcome.fenced });
    return err({ kind: 'LockUnavailable', message: outcome.message ?? 'the lock command ended early' });
  }

  /** Lets go (closes the channel: the host's flock holder exits) and waits until it has. */
  async release(timeoutMs = 5000): Promise<void> {
    this.lostReason ??= 'released';
    this.handle.close();
    await Promise.race([this.handle.done, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

/** The exact command that takes the lock; shown in dry runs. */
export function lockArgv(opts: Pick<LockOptions, 'owner' | 'waitS' | 'leaseS' | 'sudo' | 'file' | 'fence'>): string[] {
  if (opts.fence && (!Number.isSafeInteger(opts.fence.token) || opts.fence.token < 1 || !/^[A-Za-z0-9_-]{1,64}$/.test(opts.fence.scope))) {
    throw new RangeError(`HostLock: a fence needs a positive whole token and a plain scope, got ${JSON.stringify(opts.fence)}`);
  }
  const argv = scriptArgv('plumbline-lock', LOCK_SCRIPT, [
    opts.file ?? LOCK_FILE,
    opts.owner,
    String(Math.max(0, Math.floor(opts.waitS))),
    String(Math.max(1, Math.floor(opts.leaseS ?? DEFAULT_LEASE_S))),
    ...(opts.fence ? [String(opts.fence.token), opts.fence.scope] : []),
  ]);
  return opts.sudo ? ['sudo', '-n', '--', ...argv] : argv;
}

function explainEnd(r: ExecResult, lines: string[]): string {
  const said = lines.find((l) => l.startsWith('NOFLOCK'));
  if (said) return said.slice(8);
  if (r.error) return describeSshError(r.error);
  const why = r.stderr.trim().split('\n').slice(-1)[0];
  return `the lock command ${exitText(r)}${why ? `: ${why}` : ''}`;
}

/** How a command ended, in words: an exit code, a signal, or neither (the host never said). */
export function exitText(r: Pick<ExecResult, 'code' | 'signal'>): string {
  if (r.code !== null) return `exited ${r.code}`;
  if (r.signal) return `was killed by signal ${r.signal}`;
  return 'ended without an exit status (the channel closed first)';
}
