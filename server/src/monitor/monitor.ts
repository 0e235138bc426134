import { EventEmitter } from 'node:events';
import type { PrometheusConfig } from '../config/types';
import type { BackoffOptions } from './backoff';
import { BatchWriter, type BatchWriterOptions, type BatchWriterStats } from './batchWriter';
import { HostStream, type AgentSource, type GapInfo, type HostStreamState, type HostStreamStats, type MalformedEvent, type StreamOpener } from './hostStream';
import { PrometheusPoller } from './prometheus/poller';
import type { ProbeResult } from './probe';
import { Ring } from './ring';
import type { Sample } from './sample';

/** What the monitor needs from the store (Store has it). */
export interface SampleStore {
  lastSeq(env: string, host: string): number;
  saveSamples(env: string, host: string, samples: Sample[]): number;
  compact(now: number, opts?: { rawRetentionMs?: number }): { rawDeleted: number; rollupRows: number };
  transaction<T>(fn: () => T): T;
}

export interface MonitorOptions {
  env: string;
  hosts: string[];
  opener: StreamOpener;
  store: SampleStore;
  /** The agent's argv for a host and source, continuing after `fromSeq` (`paced`: see HostStreamOptions.argv). */
  argv: (host: string, source: AgentSource, fromSeq: number, paced: boolean) => string[];
  /**
   * Pace stream mode from the server (one stdin line per sample) and read health and metrics
   * through each host's SSH connection; `probe` makes the reader for a host (undefined: none).
   */
  pace?: { probe?: (host: string) => (() => Promise<ProbeResult>) | undefined };
  intervalMs: number;
  /** Default `auto`: the installed agent when there is one, else stream mode. */
  source?: AgentSource | 'auto';
  /** Read the hosts' series from Prometheus instead of the agent (`argv` and `opener` are then unused). */
  prometheus?: { config: PrometheusConfig; mounts: string[] };
  /** Recent samples kept per host for detectors; default 720 (1 h at 5 s). */
  ringSize?: number;
  batch?: BatchWriterOptions;
  backoff?: BackoffOptions;
  stallMs?: number;
  /** Raw samples older than this are rolled up into 1-minute rows; default 24 h. */
  rawRetentionMs?: number;
  /** How often compact() runs; default 10 min; 0 turns it off. */
  compactEveryMs?: number;
  now?: () => number;
}

export type MonitorEvents = {
  sample: [host: string, sample: Sample];
  state: [host: string, state: HostStreamState];
  gap: [host: string, gap: GapInfo];
  malformed: [host: string, info: MalformedEvent];
  /** A batch reached the store. */
  stored: [count: number];
  /** The store refused a batch; it stays queued and is retried (producers pause meanwhile). */
  storeError: [error: unknown];
};

export interface HostMonitorStatus {
  host: string;
  state: HostStreamState;
  lastSeq: number;
  recent: number;
  stats: HostStreamStats;
}

interface Queued {
  host: string;
  sample: Sample;
}

/**
 * Monitors one environment: one HostStream per host, a bounded ring of recent samples per host,
 * and one batch writer into the store whose backpressure pauses the channels. Memory per host is
 * bounded by the ring size plus its share of the writer's high-water mark.
 */
export class Monitor extends EventEmitter<MonitorEvents> {
  readonly env: string;
  private readonly streams = new Map<string, HostStream>();
  private poller: PrometheusPoller | undefined;
  private readonly rings = new Map<string, Ring<Sample>>();
  private readonly writer: BatchWriter<Queued>;
  private compactTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly opts: MonitorOptions) {
    super();
    this.env = opts.env;
    this.writer = new BatchWriter<Queued>((batch) => this.write(batch), {
      ...opts.batch,
      onError: (e) => this.emit('storeError', e),
      onWritten: (n) => this.emit('stored', n),
    });
    this.writer.onDrain(() => {
      for (const s of this.streams.values()) s.resume();
      this.poller?.resume();
    });
    for (const host of opts.hosts) this.rings.set(host, new Ring<Sample>(opts.ringSize ?? 720));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { opts } = this;
    if (opts.prometheus) this.startPoller(opts.prometheus);
    for (const host of opts.prometheus ? [] : opts.hosts) {
      const s = new HostStream({
        host,
        opener: opts.opener,
        argv: (source, fromSeq, paced) => opts.argv(host, source, fromSeq, paced),
        pace: opts.pace ? { probe: opts.pace.probe?.(host) } : undefined,
        source: opts.source ?? 'auto',
        intervalMs: opts.intervalMs,
        fromSeq: opts.store.lastSeq(this.env, host),
        accept: (h, sample) => this.writer.push({ host: h, sample }),
        backoff: opts.backoff,
        stallMs: opts.stallMs,
        now: opts.now,
      });
      s.on('sample', (sample) => {
        this.rings.get(host)!.push(sample);
        this.emit('sample', host, sample);
      });
      s.on('state', (st) => this.emit('state', host, st));
      s.on('gap', (g) => this.emit('gap', host, g));
      s.on('malformed', (m) => this.emit('malformed', host, m));
      this.streams.set(host, s);
      s.start();
    }
    const every = opts.compactEveryMs ?? 600_000;
    if (every > 0) {
      this.compact();
      this.compactTimer = setInterval(() => this.compact(), every);
      this.compactTimer.unref();
    }
  }

  /** Stops every stream, then writes what is queued. */
  async stop(): Promise<void> {
    if (this.compactTimer) clearInterval(this.compactTimer);
    this.compactTimer = undefined;
    await Promise.all([...this.streams.values()].map((s) => s.stop()));
    await this.poller?.stop();
    await this.writer.close();
  }

  /** Writes what is queued now. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Recent samples of the host, oldest first (at most ringSize). */
  recent(host: string): Sample[] {
    return this.rings.get(host)?.toArray() ?? [];
  }

  status(): HostMonitorStatus[] {
    return this.opts.hosts.map((host) => {
      const s = this.streams.get(host);
      const p = this.poller;
      return {
        host,
        state: p ? p.state(host) : (s?.state ?? { kind: 'stopped' }),
        lastSeq: p ? p.lastSeq(host) : (s?.lastSeq ?? 0),
        recent: this.rings.get(host)?.size ?? 0,
        stats: p ? p.stats(host) : (s?.stats() ?? { received: 0, malformed: 0, duplicates: 0, gaps: 0, connects: 0, pauses: 0 }),
      };
    });
  }

  /** Where samples come from: `prometheus`, or `agent` (stream or installed). */
  get source(): 'agent' | 'prometheus' {
    return this.opts.prometheus ? 'prometheus' : 'agent';
  }

  private startPoller(p: NonNullable<MonitorOptions['prometheus']>): void {
    const { opts } = this;
    const poller = new PrometheusPoller({
      config: p.config,
      hosts: opts.hosts,
      mounts: p.mounts,
      intervalMs: opts.intervalMs,
      fromSeq: (host) => opts.store.lastSeq(this.env, host),
      historyMs: p.config.historyMs ?? (opts.ringSize ?? 720) * opts.intervalMs,
      accept: (host, sample) => this.writer.push({ host, sample }),
      now: opts.now,
    });
    poller.on('sample', (host, sample) => {
      this.rings.get(host)?.push(sample);
      this.emit('sample', host, sample);
    });
    poller.on('state', (host, st) => this.emit('state', host, st));
    poller.on('gap', (host, g) => this.emit('gap', host, g));
    this.poller = poller;
    poller.start();
  }

  writerStats(): BatchWriterStats {
    return this.writer.stats();
  }

  /** Rolls old raw samples up (errors are reported, never thrown: monitoring goes on). */
  compact(): void {
    try {
      this.opts.store.compact((this.opts.now ?? Date.now)(), { rawRetentionMs: this.opts.rawRetentionMs });
    } catch (e) {
      this.emit('storeError', e);
    }
  }

  private write(batch: Queued[]): void {
    const byHost = new Map<string, Sample[]>();
    for (const q of batch) {
      const list = byHost.get(q.host);
      if (list) list.push(q.sample);
      else byHost.set(q.host, [q.sample]);
    }
    this.opts.store.transaction(() => {
      for (const [host, samples] of byHost) this.opts.store.saveSamples(this.env, host, samples);
    });
  }
}
