import { EventEmitter } from 'node:events';
import type { PrometheusConfig } from '../../config/types';
import type { GapInfo, HostStreamState, HostStreamStats } from '../hostStream';
import type { Sample } from '../sample';
import { assembleSamples, describeProblem, type TickResults } from './assemble';
import { describePrometheusError, PrometheusClient, type RangeSeries } from './client';
import { appQuery, diskQueries, fieldQueries, hostMatcher, hostSelector } from './queries';

/** Prometheus answers at most 11,000 points per series in one range query. */
const MAX_STEPS = 10_000;

export type PollerEvents = {
  sample: [host: string, sample: Sample];
  state: [host: string, state: HostStreamState];
  gap: [host: string, gap: GapInfo];
};

export interface PrometheusPollerOptions {
  config: PrometheusConfig;
  hosts: string[];
  /** Mounts whose usage the samples carry (the agent's --mount list). */
  mounts: string[];
  intervalMs: number;
  /** Per host, the last seq already stored: a start reads Prometheus' history from after it. */
  fromSeq: (host: string) => number;
  /** How far back a start reads at most; default the config's history, else `ringSize` intervals. */
  historyMs: number;
  /** Takes a sample; false means "full": the poller stops reading new steps until resume(). */
  accept?: (host: string, sample: Sample) => boolean;
  client?: PrometheusClient;
  now?: () => number;
}

interface HostCursor {
  /** ts of the last sample handed on; the next one is after it. */
  lastTs: number;
  /** The last step already asked for; steps up to it that had no data are not asked again. */
  queriedTo: number;
  state: HostStreamState;
  stats: HostStreamStats;
}

/**
 * Reads every host's series from Prometheus: on start a range query over the history since the
 * last stored sample (so detectors warm up from what Prometheus already has, and a worker that
 * takes over a host fills the gap its predecessor left), then at each interval a short range
 * query from each host's last step to now. One query per field covers all hosts. A host with no
 * target, a target that is down, or a missing series gets a `backoff` state saying so, and no
 * sample: the watcher turns the silence into "no data".
 */
export class PrometheusPoller extends EventEmitter<PollerEvents> {
  private readonly client: PrometheusClient;
  private readonly cursors = new Map<string, HostCursor>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private paused = false;
  private attempt = 0;

  constructor(private readonly opts: PrometheusPollerOptions) {
    super();
    this.client = opts.client ?? new PrometheusClient({ url: opts.config.url, timeoutMs: Math.max(5000, 2 * opts.intervalMs) });
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = this.now();
    const oldest = this.align(now) - this.opts.historyMs;
    for (const host of this.opts.hosts) {
      const stored = this.opts.fromSeq(host) * this.opts.intervalMs;
      const state: HostStreamState = { kind: 'connecting', attempt: 0, source: 'prometheus' };
      const lastTs = Math.max(stored, oldest - this.opts.intervalMs);
      this.cursors.set(host, { lastTs, queriedTo: lastTs, state, stats: { received: 0, malformed: 0, duplicates: 0, gaps: 0, connects: 0, pauses: 0 } });
      this.emit('state', host, state);
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const [host, c] of this.cursors) this.setState(host, c, { kind: 'stopped' });
  }

  /** Reading resumes after accept() said full; the steps skipped meanwhile are read from history. */
  resume(): void {
    this.paused = false;
  }

  state(host: string): HostStreamState {
    return this.cursors.get(host)?.state ?? { kind: 'stopped' };
  }

  lastSeq(host: string): number {
    const c = this.cursors.get(host);
    return c ? Math.round(c.lastTs / this.opts.intervalMs) : 0;
  }

  stats(host: string): HostStreamStats {
    return { ...(this.cursors.get(host)?.stats ?? { received: 0, malformed: 0, duplicates: 0, gaps: 0, connects: 0, pauses: 0 }) };
  }

  /** Reads now (tests and benchmarks); the timer keeps going. */
  async tick(): Promise<void> {
    await this.running;
    this.running = this.read();
    await this.running;
  }

  private align(t: number): number {
    return Math.floor(t / this.opts.intervalMs) * this.opts.intervalMs;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.read().finally(() => {
        // A tenth of an interval after each boundary: the scrape of that instant has landed by then.
        const now = this.now();
        this.schedule(this.align(now) + this.opts.intervalMs + Math.floor(this.opts.intervalMs / 10) - now);
      });
    }, Math.max(0, delayMs));
  }

  private async read(): Promise<void> {
    if (this.stopped || this.paused) return;
    const { intervalMs, config } = this.opts;
    const end = this.align(this.now());
    const hosts = this.opts.hosts;
    const from = Math.min(...hosts.map((h) => this.cursors.get(h)!.queriedTo)) + intervalMs;
    if (from > end) return;
    const start = Math.max(from, end - MAX_STEPS * intervalMs);
    const results = await this.query(hosts, start, end);
    if (this.stopped) return;
    if (typeof results === 'string') {
      this.attempt++;
      for (const h of hosts) this.setState(h, this.cursors.get(h)!, { kind: 'backoff', untilMs: end + intervalMs, attempt: this.attempt, error: results });
      return;
    }
    this.attempt = 0;
    const steps: number[] = [];
    for (let t = start; t <= end; t += intervalMs) steps.push(t);
    const { samples, problems } = assembleSamples(results, {
      hosts,
      label: config.label,
      toHost: hostMatcher(config, hosts),
      steps,
      intervalMs,
      windowMs: config.windowMs,
      mounts: this.opts.mounts,
    });
    const selector = hostSelector(config, hosts);
    for (const host of hosts) {
      const c = this.cursors.get(host)!;
      c.stats.connects++;
      c.queriedTo = end;
      for (const s of samples.get(host) ?? []) {
        if (s.ts <= c.lastTs) continue;
        if (c.lastTs > 0 && s.ts - c.lastTs > 1.5 * intervalMs && c.stats.received > 0) {
          c.stats.gaps++;
          const lastSeq = Math.round(c.lastTs / intervalMs);
          this.emit('gap', host, { reason: 'time', afterSeq: lastSeq, nextSeq: s.seq, missing: s.seq - lastSeq - 1, lastTs: c.lastTs, nextTs: s.ts });
        }
        c.lastTs = s.ts;
        c.stats.received++;
        if (this.opts.accept?.(host, s) === false && !this.paused) {
          this.paused = true;
          c.stats.pauses++;
        }
        this.emit('sample', host, s);
      }
      const problem = problems.get(host);
      if (problem) this.setState(host, c, { kind: 'backoff', untilMs: end + intervalMs, attempt: 1, error: describeProblem(host, problem, selector) });
      else if (c.state.kind !== 'streaming') this.setState(host, c, { kind: 'streaming', since: this.now(), source: 'prometheus' });
    }
  }

  /** Every query of a tick at once; the first failure as a sentence. */
  private async query(hosts: string[], start: number, end: number): Promise<TickResults | string> {
    const { config, intervalMs } = this.opts;
    const run = async (q: string): Promise<RangeSeries[]> => {
      const r = await this.client.queryRange(q, start, end, intervalMs);
      if (!r.ok) throw new PollFailure(describePrometheusError(r.error));
      return r.value;
    };
    const app = appQuery(config, hosts);
    try {
      const [fields, disks, appSeries] = await Promise.all([
        Promise.all(fieldQueries(config, hosts).map(async (q) => ({ q, series: await run(q.query) }))),
        Promise.all(diskQueries(config, hosts, this.opts.mounts).map(async (q) => ({ q, series: await run(q.query) }))),
        app === undefined ? Promise.resolve(undefined) : run(app),
      ]);
      return { fields, disks, app: appSeries };
    } catch (e) {
      if (e instanceof PollFailure) return e.message;
      throw e;
    }
  }

  private setState(host: string, c: HostCursor, s: HostStreamState): void {
    const same = c.state.kind === s.kind && (s.kind !== 'backoff' || (c.state.kind === 'backoff' && c.state.error === s.error));
    c.state = s;
    if (!same || s.kind === 'stopped') this.emit('state', host, s);
  }
}

class PollFailure extends Error {}
