/** A counting semaphore with a FIFO queue: at most `max` holders at once, the rest wait in order. */
export class Limiter {
  private holders = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new Error(`Limiter: max must be at least 1, got ${max}`);
  }

  get active(): number {
    return this.holders;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with a release function once a slot is free, or with undefined when `signal` aborts
   * first. The release function is idempotent.
   */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.holders < this.max) {
      this.holders++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.holders++;
        resolve(this.releaser());
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holders--;
      this.queue.shift()?.();
    };
  }
}
