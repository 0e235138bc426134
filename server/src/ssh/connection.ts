import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { err, ok, type Result } from '../common/result';
import type { SshError } from './errors';
import type { HostKeyInfo } from './connect';
import { Limiter } from './limiter';

/**
 * Sends an SSH "signal" request. ssh2's ClientChannel.signal() only sends while the channel is
 * writable, and we end stdin right away; the request is still valid after EOF (RFC 4254 6.9),
 * so it goes through ssh2's protocol object. Best effort: a server may refuse signals.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const c = channel as unknown as {
    type?: string;
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, name: string): void } };
  };
  try {
    const state = c.outgoing?.state;
    // 'eof' is where we are after ending stdin; requests are still allowed until CLOSE is sent.
    if (c.type === 'session' && c.outgoing && (state === 'open' || state === 'eof')) c._client?._protocol?.signal(c.outgoing.id, name);
  } catch {
    // closing the channel is the fallback
  }
}

export interface ExecResult {
  host: string;
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
  durationMs: number;
  /** Only on a stream's `done`: why it ended without an exit status (connection lost...). */
  error?: SshError;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Streams only: stdin stays open and the handle can write to it (the server paces the agent). */
  keepStdin?: boolean;
  /** Counted from when the channel opens on the host, not while queued for a channel slot. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface StreamHandle {
  close(): void;
  /** Writes to the command's stdin; only with `keepStdin`. False when the channel is not writable. */
  write?(data: string): boolean;
  /** Stops reading stdout: the SSH window fills and the remote writer blocks (backpressure). */
  pause?(): void;
  resume?(): void;
  done: Promise<ExecResult>;
}

export interface ConnectionOptions {
  perHostConcurrency: number;
  idleCloseMs: number;
  log: (line: string) => void;
}

/** A forward that did not open; `refused`: the SSH server forbids forwarding. */
export interface ForwardFailure {
  kind: 'ForwardFailed';
  host: string;
  refused: boolean;
  message: string;
}

interface ChannelRun {
  channel: ClientChannel;
  done: Promise<Result<ExecResult, SshError>>;
  close: () => void;
}

/**
 * One authenticated SSH connection to one host, shared by everyone talking to that host. It
 * limits how many channels are open at once (OpenSSH's MaxSessions defaults to 10), closes
 * itself after a quiet spell, and reports its end so the pool can forget it.
 */
export class HostConnection {
  private readonly channels: Limiter;
  private users = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private closeRequested = false;
  private readonly closeWaiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  constructor(
    readonly host: string,
    private readonly client: Client,
    readonly hostKey: HostKeyInfo,
    private readonly opts: ConnectionOptions,
  ) {
    this.channels = new Limiter(opts.perHostConcurrency);
    this.closed = new Promise((resolve) => this.closeWaiters.push(resolve));
    client.on('error', (e: Error) => opts.log(`${host}: connection error: ${e.message}`));
    client.on('close', () => this.markEnded());
    client.on('end', () => this.markEnded());
    this.armIdle();
  }

  get alive(): boolean {
    return !this.ended && !this.closeRequested;
  }

  get activeChannels(): number {
    return this.channels.active;
  }

  get queuedChannels(): number {
    return this.channels.waiting;
  }

  /** Ends the connection; resolves once the socket is closed. */
  close(): Promise<void> {
    this.closeRequested = true;
    if (!this.ended) {
      this.client.end();
      // end() waits for the server's reply; a dead peer must not keep us waiting forever.
      const t = setTimeout(() => this.client.destroy(), 2000);
      t.unref();
    }
    return this.closed;
  }

  async exec(command: string, o: ExecOptions): Promise<Result<ExecResult, SshError>> {
    const run = await this.start(command, o, undefined);
    if (!run.ok) return run;
    return run.value.done;
  }

  async stream(command: string, onStdoutLine: (line: string) => void, o: ExecOptions): Promise<Result<StreamHandle, SshError>> {
    const run = await this.start(command, o, onStdoutLine);
    if (!run.ok) return run;
    const host = this.host;
    const done = run.value.done.then((r): ExecResult =>
      r.ok ? r.value : { host, stdout: '', stderr: '', code: null, durationMs: 0, error: r.error },
    );
    const { channel } = run.value;
    const handle: StreamHandle = { close: run.value.close, pause: () => channel.pause(), resume: () => channel.resume(), done };
    if (o.keepStdin) {
      handle.write = (data) => {
        if (!channel.writable) return false;
        channel.write(data);
        return true;
      };
    }
    return ok(handle);
  }

  /**
   * A direct-tcpip channel from this host to `toHost:toPort` (as the host sees them), for reading
   * an HTTP endpoint on the host through this connection. `refused` says the server does not allow
   * forwarding at all (AllowTcpForwarding no), as opposed to the target not answering.
   */
  forward(toHost: string, toPort: number): Promise<Result<ClientChannel, ForwardFailure>> {
    return new Promise((resolve) => {
      const host = this.host;
      if (!this.alive) return resolve(err({ kind: 'ForwardFailed', host, refused: false, message: 'the connection is closed' }));
      this.use(+1);
      try {
        this.client.forwardOut('127.0.0.1', 0, toHost, toPort, (e, channel) => {
          if (e) {
            this.use(-1);
            // RFC 4254 5.1: reason 1 is SSH_OPEN_ADMINISTRATIVELY_PROHIBITED.
            const reason = (e as Error & { reason?: number }).reason;
            return resolve(err({ kind: 'ForwardFailed', host, refused: reason === 1, message: e.message }));
          }
          channel.once('close', () => this.use(-1));
          resolve(ok(channel));
        });
      } catch (e) {
        this.use(-1);
        resolve(err({ kind: 'ForwardFailed', host, refused: false, message: (e as Error).message }));
      }
    });
  }

  /** A direct-tcpip channel to `host:port` as seen from this host, for ProxyJump. */
  forwardOut(toHost: string, toPort: number): Promise<Result<ClientChannel, SshError>> {
    return new Promise((resolve) => {
      if (!this.alive) return resolve(err({ kind: 'ChannelError', host: this.host, message: 'the connection is closed' }));
      this.use(+1);
      try {
        this.client.forwardOut('127.0.0.1', 0, toHost, toPort, (e, channel) => {
          if (e) {
            this.use(-1);
            return resolve(err({ kind: 'Unreachable', host: this.host, message: `jump host ${this.host} could not open a forward to ${toHost}:${toPort}: ${e.message}` }));
          }
          channel.once('close', () => this.use(-1));
          resolve(ok(channel));
        });
      } catch (e) {
        this.use(-1);
        resolve(err({ kind: 'ChannelError', host: this.host, message: (e as Error).message }));
      }
    });
  }

  private async start(command: string, o: ExecOptions, onLine: ((line: string) => void) | undefined): Promise<Result<ChannelRun, SshError>> {
    const host = this.host;
    if (o.signal?.aborted) return err({ kind: 'ChannelError', host, message: 'cancelled before it started' });
    this.use(+1);
    const release = await this.channels.acquire(o.signal);
    if (!release) {
      this.use(-1);
      return err({ kind: 'ChannelError', host, message: 'cancelled while waiting for a free channel' });
    }
    const finish = (): void => {
      release();
      this.use(-1);
    };
    if (!this.alive) {
      finish();
      return err({ kind: 'ChannelError', host, message: 'the connection is closed' });
    }
    const started = Date.now();
    const opened = await new Promise<Result<ClientChannel, SshError>>((resolve) => {
      try {
        this.client.exec(command, (e, channel) => {
          if (e) resolve(err({ kind: 'ChannelError', host, message: `cannot open a channel: ${e.message}` }));
          else resolve(ok(channel));
        });
      } catch (e) {
        resolve(err({ kind: 'ChannelError', host, message: `cannot open a channel: ${(e as Error).message}` }));
      }
    });
    if (!opened.ok) {
      finish();
      return opened;
    }
    const channel = opened.value;
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let code: number | null = null;
    let signal: string | undefined;
    let outcome: SshError | 'closed' | undefined;
    let timer: NodeJS.Timeout | undefined;

    let resolveDone!: (r: Result<ExecResult, SshError>) => void;
    const done = new Promise<Result<ExecResult, SshError>>((resolve) => (resolveDone = resolve));
    let closed = false;
    const stop = (why: SshError | 'closed'): void => {
      if (outcome || closed) return;
      outcome = why;
      // The caller hears about a timeout or cancel now; the channel slot stays taken until the
      // server really closes the channel, so we never exceed its MaxSessions.
      if (why !== 'closed') resolveDone(err(why));
      // Ask the process to stop, then close the channel. OpenSSH honours "signal" only for
      // sessions under post-auth privilege separation, i.e. not for root logins; there the
      // process learns of the close when it next touches stdout/stderr (EPIPE) or stdin (EOF).
      // sshd keeps the session, and we keep its channel slot, until the process has ended.
      sendSignal(channel, 'TERM');
      channel.close();
    };
    const onAbort = (): void => stop({ kind: 'ChannelError', host, message: 'cancelled by the caller' });

    channel.on('data', (chunk: Buffer) => {
      if (!onLine) {
        out.push(chunk);
        return;
      }
      partial += decoder.write(chunk);
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        onLine(line);
      }
    });
    channel.stderr.on('data', (chunk: Buffer) => errOut.push(chunk));
    channel.on('exit', (c: number | null, sig?: string) => {
      if (typeof c === 'number') code = c;
      if (sig) signal = sig;
    });

    channel.on('close', () => {
        closed = true;
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        if (onLine) {
          partial += decoder.end();
          if (partial !== '') onLine(partial);
        }
        finish();
        if (outcome && outcome !== 'closed') return resolveDone(err(outcome));
        if (code === null && signal === undefined && this.ended) {
          return resolveDone(err({ kind: 'ChannelError', host, message: 'the connection was lost before the command finished' }));
        }
        const r: ExecResult = {
          host,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8'),
          code,
          durationMs: Date.now() - started,
        };
        if (signal !== undefined) r.signal = signal;
        resolveDone(ok(r));
      });

    if (o.timeoutMs !== undefined && o.timeoutMs > 0) {
      const ms = o.timeoutMs;
      timer = setTimeout(() => stop({ kind: 'Timeout', host, phase: 'command', ms }), ms);
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.stdin !== undefined) channel.end(o.stdin);
    else if (!o.keepStdin) channel.end(); // EOF on stdin, so commands that read it do not wait forever

    return ok({ channel, done, close: () => stop('closed') });
  }

  private use(delta: number): void {
    this.users += delta;
    if (this.users > 0 && this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    } else if (this.users === 0) {
      this.armIdle();
    }
  }

  private armIdle(): void {
    if (this.ended || this.opts.idleCloseMs <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.opts.log(`${this.host}: idle for ${this.opts.idleCloseMs} ms; closing`);
      void this.close();
    }, this.opts.idleCloseMs);
    this.idleTimer.unref();
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const w of this.closeWaiters.splice(0)) w();
  }
}
