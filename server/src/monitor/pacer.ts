import type { ProbeResult } from './probe';

/**
 * Paces a streaming agent started with `--ticks stdin`: one line on its stdin per sample, on a
 * fixed schedule, the way Prometheus scrapes an exporter. Before each tick it runs the probe
 * (health and metrics read through the SSH connection), and hands the result to the sample the
 * tick produces (first in, first out). At most two ticks wait for their sample, so a slow host is
 * not flooded; while the stream is paused (the store is behind) no tick goes out.
 */
export class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private paused = false;
  private outstanding = 0;
  private readonly queue: Array<ProbeResult | undefined> = [];
  private next = 0;

  constructor(
    private readonly write: (line: string) => boolean,
    private readonly intervalMs: number,
    private readonly probe?: () => Promise<ProbeResult>,
  ) {}

  start(): void {
    this.next = performance.now() + this.intervalMs;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** What the server read for the sample that just arrived. */
  take(): ProbeResult | undefined {
    if (this.outstanding > 0) this.outstanding--;
    return this.queue.shift();
  }

  private arm(): void {
    if (this.stopped) return;
    const now = performance.now();
    // A schedule that fell behind (a stall, a pause) restarts from now instead of catching up.
    if (this.next < now - this.intervalMs) this.next = now;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.next - now));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.next += this.intervalMs;
    if (!this.paused && this.outstanding < 2) {
      const result = this.probe ? await this.probe().catch((e: unknown): ProbeResult => ({ notes: [`probe failed: ${String(e)}`] })) : undefined;
      if (this.stopped) return;
      if (this.write('\n')) {
        this.outstanding++;
        this.queue.push(result);
      }
    }
    this.arm();
  }
}
