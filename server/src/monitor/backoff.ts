/**
 * Reconnect delays: exponential with full jitter (AWS Architecture Blog, "Exponential Backoff
 * and Jitter"): attempt n waits a uniform random time in [0, min(cap, base * 2^n)), so many
 * hosts cut off at once do not reconnect in lockstep. `reset()` after a success.
 */
export interface BackoffOptions {
  baseMs?: number; // default 500
  capMs?: number; // default 30000
  /** [0, 1); injectable so the schedule can be tested. */
  random?: () => number;
}

export function backoffCeiling(attempt: number, baseMs: number, capMs: number): number {
  // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
}

export class Backoff {
  private n = 0;
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.capMs = opts.capMs ?? 30_000;
    this.random = opts.random ?? Math.random;
  }

  /** Failures since the last success. */
  get attempt(): number {
    return this.n;
  }

  /** The delay before the next try; counts one more failure. */
  next(): number {
    const ceiling = backoffCeiling(this.n, this.baseMs, this.capMs);
    this.n++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.n = 0;
  }
}
