import { EventEmitter } from 'node:events';
import type { Result } from '../common/result';
import { describeSshError, type SshError } from '../ssh/errors';
import type { ExecOptions, ExecResult, StreamHandle } from '../ssh/pool';
import { Backoff, type BackoffOptions } from './backoff';
import { Pacer } from './pacer';
import { withProbe, type ProbeResult } from './probe';
import { parseSample, type MalformedSample, type Sample } from './sample';

/** Where the samples come from: the agent run by the channel itself, or the installed agent's buffer. */
export type AgentSource = 'stream' | 'follow';

/** Where a host's samples come from: one of the agent's modes, or Prometheus (server/src/monitor/prometheus). */
export type StreamSource = AgentSource | 'prometheus';

export type HostStreamState =
  | { kind: 'connecting'; attempt: number; source: StreamSource }
  | { kind: 'streaming'; since: number; source: StreamSource }
  | { kind: 'backoff'; untilMs: number; attempt: number; error: string }
  | { kind: 'stopped' };

/**
 * Samples that did not arrive. `seq`: the sequence jumped (the installed agent's buffer lost
 * them, or a line was malformed). `time`: the channel was down in stream mode, where the agent
 * continues the sequence from the server's last one, so only the host clock shows the hole.
 */
export interface GapInfo {
  /** `reset`: the host's sequence started again below ours (agent reinstalled, buffer wiped). */
  reason: 'seq' | 'time' | 'reset';
  afterSeq: number;
  nextSeq: number;
  /** Samples missing: by seq, or estimated from the time between samples. */
  missing: number;
  lastTs: number | null;
  nextTs: number;
}

export type MalformedEvent = MalformedSample & { count: number };

export type HostStreamEvents = {
  sample: [Sample];
  state: [HostStreamState];
  gap: [GapInfo];
  malformed: [MalformedEvent];
};

/** The one thing a HostStream needs from the SSH layer (SshPool has it). */
export interface StreamOpener {
  stream(host: string, argv: string[], onStdoutLine: (line: string) => void, opts?: ExecOptions): Promise<Result<StreamHandle, SshError>>;
}

export interface HostStreamOptions {
  host: string;
  opener: StreamOpener;
  /**
   * The agent's argv for a source, continuing after `fromSeq`. `paced`: the server paces it on
   * stdin and reads health and metrics itself; false when it cannot (the host's sshd forbids
   * forwarding): the agent sleeps and fetches them.
   */
  argv: (source: AgentSource, fromSeq: number, paced: boolean) => string[];
  /** Stream mode is paced by the server (see Pacer); `probe` reads health and metrics per sample. */
  pace?: { probe?: () => Promise<ProbeResult> };
  /** `auto` tries the installed agent and falls back to stream mode when it is not installed. */
  source?: AgentSource | 'auto';
  intervalMs: number;
  /** Last seq already stored; the agent continues after it. */
  fromSeq?: number;
  /** Takes a sample; false means "full": the stream pauses until resume(). */
  accept?: (host: string, sample: Sample) => boolean;
  backoff?: BackoffOptions;
  /** No sample for this long means the channel is dead; default max(15 s, 4 intervals). */
  stallMs?: number;
  /** Opening the channel may take this long; default 20 s. */
  openTimeoutMs?: number;
  now?: () => number;
}

export interface HostStreamStats {
  received: number;
  malformed: number;
  duplicates: number;
  gaps: number;
  connects: number;
  pauses: number;
}

/**
 * A seq may run ahead of ours by the samples the host could have taken since our last one (its
 * clock, its interval) times this, plus SEQ_SLACK: more is a corrupt or hostile line, which would
 * otherwise blind the stream for good (every later sample would look like a duplicate).
 */
const SEQ_JUMP_FACTOR = 4;
const SEQ_SLACK = 100_000;
/** With nothing to compare against (a new stream), a seq is still at most this: 35,000 years of 1 s samples. */
const MAX_SEQ = 2 ** 40;
/** Newer samples (by host time) with a seq at or below ours, in a row, before we follow them. */
const RESET_AFTER = 3;

/** The agent says "not installed" with this exit code (agent/plumbline-agent.sh, follow). */
export const NOT_INSTALLED_EXIT = 4;

const FALLBACK = Symbol('fallback to stream mode');
const HEAL = Symbol('reconnect at once to fetch missing samples');
type AttemptEnd = string | typeof FALLBACK | typeof HEAL | undefined;

/**
 * Keeps one agent channel open to one host: reconnects with backoff after any failure
 * (unreachable, channel closed, agent died, no sample for too long), tracks the last seq so it
 * resumes where it stopped, and reports everything as typed events. Never throws.
 */
export class HostStream extends EventEmitter<HostStreamEvents> {
  readonly host: string;
  private current: HostStreamState = { kind: 'stopped' };
  private seq: number;
  private lastTs: number | null = null;
  private readonly backoff: Backoff;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private generation = 0;
  private handle: StreamHandle | undefined;
  private endAttempt: ((why: AttemptEnd) => void) | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  private paused = false;
  private healedFrom = -1;
  private behind = 0;
  private followMissing = false;
  private pacer: Pacer | undefined;
  /** The host refused a forward: the agent fetches health and metrics from now on. */
  private forwardRefused = false;
  private readonly counters: HostStreamStats = { received: 0, malformed: 0, duplicates: 0, gaps: 0, connects: 0, pauses: 0 };
  private readonly now: () => number;
  private readonly stallMs: number;

  constructor(private readonly opts: HostStreamOptions) {
    super();
    this.host = opts.host;
    this.seq = opts.fromSeq ?? 0;
    this.backoff = new Backoff(opts.backoff);
    this.now = opts.now ?? Date.now;
    this.stallMs = opts.stallMs ?? Math.max(15_000, opts.intervalMs * 4);
  }

  get state(): HostStreamState {
    return this.current;
  }

  /** The last seq received (and handed to `accept`). */
  get lastSeq(): number {
    return this.seq;
  }

  stats(): HostStreamStats {
    return { ...this.counters };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.endAttempt?.(undefined);
    this.wakeSleep?.();
    await this.loop;
  }

  /** Reading resumes after accept() said full. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.handle?.resume?.();
    this.pacer?.resume();
    this.armStall();
  }

  private setState(s: HostStreamState): void {
    this.current = s;
    this.emit('state', s);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const source: AgentSource = this.opts.source === 'stream' ? 'stream' : this.opts.source === 'follow' ? 'follow' : this.followMissing ? 'stream' : 'follow';
      this.setState({ kind: 'connecting', attempt: this.backoff.attempt, source });
      const why = await this.attempt(source);
      if (this.stopped) break;
      if (why === FALLBACK) {
        this.followMissing = true;
        continue;
      }
      if (why === HEAL) continue;
      this.followMissing = false; // look for an installed agent again next time
      const delay = this.backoff.next();
      this.setState({ kind: 'backoff', untilMs: this.now() + delay, attempt: this.backoff.attempt, error: why ?? 'stopped' });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wakeSleep = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeSleep = undefined;
    }
    this.setState({ kind: 'stopped' });
  }

  /** One channel, from open to end; resolves with why it ended. */
  private async attempt(source: AgentSource): Promise<AttemptEnd> {
    const gen = ++this.generation;
    let firstOfAttempt = true;
    let resolveEnd!: (why: AttemptEnd) => void;
    const ended = new Promise<AttemptEnd>((resolve) => (resolveEnd = resolve));
    this.endAttempt = resolveEnd;
    const onLine = (line: string): void => {
      if (gen !== this.generation || this.stopped) return;
      const end = this.onLine(line, source, firstOfAttempt);
      if (end === 'accepted') firstOfAttempt = false;
      else if (end !== 'ignored') resolveEnd(end);
    };

    this.counters.connects++;
    const paced = this.opts.pace !== undefined && source === 'stream' && !this.forwardRefused;
    const argv = this.opts.argv(source, this.seq, paced);
    const openMs = this.opts.openTimeoutMs ?? 20_000;
    let openTimer: NodeJS.Timeout | undefined;
    const opening = this.opts.opener.stream(this.host, argv, onLine, paced ? { keepStdin: true } : undefined);
    const timedOut = new Promise<'timeout'>((resolve) => (openTimer = setTimeout(() => resolve('timeout'), openMs)));
    const opened = await Promise.race([opening, timedOut, ended]);
    clearTimeout(openTimer);
    if (opened === 'timeout' || opened === undefined || typeof opened === 'string' || typeof opened === 'symbol') {
      // Whatever the open still does later is closed at once.
      void opening.then((r) => r.ok && r.value.close());
      this.generation++;
      return opened === 'timeout' ? `no channel within ${openMs} ms` : opened;
    }
    if (!opened.ok) return describeSshError(opened.error);
    const handle = opened.value;
    this.handle = handle;
    if (paced && handle.write) {
      const write = handle.write;
      this.pacer = new Pacer((line) => write(line), this.opts.intervalMs, this.opts.pace?.probe);
      this.pacer.start();
    }
    if (this.paused) {
      handle.pause?.();
      this.pacer?.pause();
    }
    void handle.done.then((r) => resolveEnd(this.describeEnd(r, source)));
    this.armStall();
    const why = await ended;
    this.generation++;
    this.pacer?.stop();
    this.pacer = undefined;
    this.clearStall();
    this.handle = undefined;
    this.paused = false;
    handle.close();
    return why;
  }

  private describeEnd(r: ExecResult, source: AgentSource): AttemptEnd {
    if (r.error) return describeSshError(r.error);
    if (source === 'follow' && r.code === NOT_INSTALLED_EXIT && this.opts.source !== 'follow') return FALLBACK;
    const tail = r.stderr.trim().split('\n').slice(-2).join(' | ');
    const how = r.signal ? `signal ${r.signal}` : `code ${r.code}`;
    return `${this.host}: the agent (${source}) exited with ${how}${tail ? `: ${tail}` : ''}`;
  }

  private onLine(line: string, source: AgentSource, firstOfAttempt: boolean): 'accepted' | 'ignored' | AttemptEnd {
    if (line.trim() === '') return 'ignored';
    const p = parseSample(line);
    if (!p.ok) {
      this.counters.malformed++;
      this.emit('malformed', { ...p.error, count: this.counters.malformed });
      return 'ignored';
    }
    const s = p.value;
    // What the server read for this sample (paced stream): taken for every line, so a duplicate keeps the queue in step.
    const probed = this.pacer?.take();
    const jump = this.implausibleJump(s);
    if (jump) {
      this.counters.malformed++;
      this.emit('malformed', { kind: 'MalformedSample', reason: jump, excerpt: `seq ${s.seq}, ts ${s.ts}`, count: this.counters.malformed });
      return 'ignored';
    }
    if (s.seq <= this.seq) {
      // A replay is older than what we have; samples newer by the host's clock with a lower seq
      // mean the host's sequence started again. Following it beats going blind for good.
      if (this.lastTs === null || s.ts <= this.lastTs || ++this.behind < RESET_AFTER) {
        this.counters.duplicates++;
        return 'ignored';
      }
      this.counters.gaps++;
      this.emit('gap', { reason: 'reset', afterSeq: this.seq, nextSeq: s.seq, missing: 0, lastTs: this.lastTs, nextTs: s.ts });
      this.seq = s.seq - 1;
    }
    this.behind = 0;
    this.armStall();
    if (this.seq > 0 && s.seq > this.seq + 1) {
      const gap: GapInfo = { reason: 'seq', afterSeq: this.seq, nextSeq: s.seq, missing: s.seq - this.seq - 1, lastTs: this.lastTs, nextTs: s.ts };
      // The installed agent's follower may have skipped lines across a buffer rotation; one
      // fresh read from our last seq gets them if the buffer still has them.
      if (source === 'follow' && this.healedFrom !== this.seq) {
        this.healedFrom = this.seq;
        return HEAL;
      }
      this.counters.gaps++;
      this.emit('gap', gap);
    } else if (firstOfAttempt && source === 'stream' && this.lastTs !== null && s.ts - this.lastTs > 2.5 * s.intervalMs) {
      this.counters.gaps++;
      const missing = Math.max(1, Math.round((s.ts - this.lastTs) / s.intervalMs) - 1);
      this.emit('gap', { reason: 'time', afterSeq: this.seq, nextSeq: s.seq, missing, lastTs: this.lastTs, nextTs: s.ts });
    }
    if (firstOfAttempt) {
      this.backoff.reset();
      this.setState({ kind: 'streaming', since: this.now(), source });
    }
    this.seq = s.seq;
    this.lastTs = s.ts;
    this.counters.received++;
    if (probed) withProbe(s, probed);
    this.emit('sample', s);
    if (this.opts.accept && !this.opts.accept(this.host, s) && !this.paused) {
      this.paused = true;
      this.counters.pauses++;
      this.handle?.pause?.();
      this.pacer?.pause();
      this.clearStall();
    }
    if (probed?.refused && !this.forwardRefused) {
      // Health or metrics cannot be read through this host's SSH: start again with the agent fetching them.
      this.forwardRefused = true;
      return HEAL;
    }
    return 'accepted';
  }

  /** Why a seq cannot be right (it runs further ahead than the host could have counted), or undefined. */
  private implausibleJump(s: Sample): string | undefined {
    if (s.seq > MAX_SEQ) return `seq ${s.seq} is beyond any an agent reaches (${MAX_SEQ}); line ignored`;
    if (s.seq <= this.seq || this.lastTs === null) return undefined;
    const elapsed = Math.max(0, s.ts - this.lastTs);
    const allowed = SEQ_SLACK + Math.ceil((elapsed / s.intervalMs) * SEQ_JUMP_FACTOR);
    if (s.seq - this.seq <= allowed) return undefined;
    return `seq ${s.seq} jumps ${s.seq - this.seq} past the last one (${this.seq}), more than the host could have taken since (${allowed}); line ignored`;
  }

  private armStall(): void {
    this.clearStall();
    if (this.paused || !this.endAttempt) return;
    const end = this.endAttempt;
    this.stallTimer = setTimeout(() => end(`${this.host}: no sample for ${Math.round(this.stallMs / 1000)} s`), this.stallMs);
    this.stallTimer.unref();
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}
