/**
 * Batches items for a slow consumer (the store) with backpressure instead of an unbounded queue:
 * `push` says false once `highWater` items wait, and the producer pauses until `onDrain` fires
 * (the queue is back to half of `highWater`). One batch is written at a time; a failed batch is
 * kept and retried, so a store that cannot write stops the producers rather than losing samples.
 */
export interface BatchWriterOptions {
  /** Items per write; default 500. */
  maxBatch?: number;
  /** A partial batch is written after this long; default 1000 ms. */
  flushMs?: number;
  /** Queue length at which producers are asked to pause; default 2000. */
  highWater?: number;
  /** A write failed; the batch stays queued and is retried after flushMs. */
  onError?: (e: unknown, size: number) => void;
  /** A batch was written. */
  onWritten?: (size: number) => void;
}

export interface BatchWriterStats {
  queued: number;
  peakQueued: number;
  batches: number;
  written: number;
  failures: number;
  /** How often push() asked the producer to pause. */
  pauses: number;
}

export class BatchWriter<T> {
  private queue: T[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private full = false;
  private closed = false;
  private readonly drainListeners = new Set<() => void>();
  private readonly maxBatch: number;
  private readonly flushMs: number;
  private readonly highWater: number;
  private readonly counters = { peakQueued: 0, batches: 0, written: 0, failures: 0, pauses: 0 };

  constructor(
    private readonly sink: (batch: T[]) => void | Promise<void>,
    private readonly opts: BatchWriterOptions = {},
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.flushMs = Math.max(1, opts.flushMs ?? 1000);
    this.highWater = Math.max(this.maxBatch, opts.highWater ?? 2000);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues one item. False means "pause until onDrain"; the item is queued either way. */
  push(item: T): boolean {
    if (this.closed) throw new Error('BatchWriter: push after close');
    this.queue.push(item);
    if (this.queue.length > this.counters.peakQueued) this.counters.peakQueued = this.queue.length;
    if (this.queue.length >= this.maxBatch) this.kick();
    else this.arm();
    if (this.queue.length >= this.highWater) {
      if (!this.full) this.counters.pauses++;
      this.full = true;
      return false;
    }
    return !this.full;
  }

  /** Called each time the queue drains below half of highWater after having been full. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  /** Writes everything queued now (and waits for a write in flight). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.writing) await this.writing;
      else if (this.queue.length > 0) {
        const before = this.counters.failures;
        this.kick();
        if (this.writing) await this.writing;
        if (this.counters.failures > before) return; // the store refuses; do not spin
      } else return;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): BatchWriterStats {
    return { queued: this.queue.length, ...this.counters };
  }

  private arm(): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.flushMs);
    this.timer.unref();
  }

  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0, this.maxBatch);
    this.writing = (async () => {
      // A synchronous sink (node:sqlite) would otherwise finish before `writing` is assigned.
      await Promise.resolve();
      let failed = false;
      try {
        await this.sink(batch);
        this.counters.batches++;
        this.counters.written += batch.length;
        this.opts.onWritten?.(batch.length);
      } catch (e) {
        failed = true;
        this.counters.failures++;
        this.queue.unshift(...batch);
        this.opts.onError?.(e, batch.length);
      }
      this.writing = undefined;
      if (this.full && this.queue.length <= this.highWater / 2) {
        this.full = false;
        for (const l of [...this.drainListeners]) l();
      }
      if (this.queue.length >= this.maxBatch && !failed) setImmediate(() => this.kick());
      else if (this.queue.length > 0) this.arm();
    })();
  }
}
