import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import * as path from 'node:path';
import { err, ok, type Result } from '../common/result';
import { connectClient, type ConnectSettings } from './connect';
import { HostConnection, type ExecOptions, type ExecResult, type ForwardFailure, type StreamHandle } from './connection';
import type { SshError } from './errors';
import { Limiter } from './limiter';
import { shellCommand } from './quote';
import { resolveHost, type ResolvedHost } from './sshConfig';

export type { ExecOptions, ExecResult, ForwardFailure, StreamHandle } from './connection';

export interface PoolOptions {
  sshConfigFile?: string; // default ~/.ssh/config
  knownHostsFile?: string; // overrides UserKnownHostsFile from config when given
  /** Absent => unknown host keys are refused. */
  confirmUnknownHost?: (host: string, keyType: string, fingerprint: string) => Promise<boolean>;
  perHostConcurrency?: number; // channels at once per host, default 4
  globalConcurrency?: number; // connections being set up at once, default 16
  connectTimeoutMs?: number; // default 10000
  commandTimeoutMs?: number; // default 60000
  idleCloseMs?: number; // close idle connections, default 30000
  keepaliveMs?: number; // default 15000
  /** Default process.env.SSH_AUTH_SOCK; an empty string turns the agent off. */
  agentSocket?: string;
  passphrase?: (identityFile: string) => Promise<string | undefined>;
  /** Never receives secrets: no key material, no passphrases, no command output. */
  log?: (line: string) => void;
  /** Home folder for ~ in SSH config and defaults; default os.homedir(). */
  homeDir?: string;
}

export interface PoolStats {
  /** SSH handshakes started (one per TCP connection or ProxyJump forward). */
  connectsStarted: number;
  connectsSucceeded: number;
  /** Connections open now, jump hosts included. */
  open: number;
  activeChannels: number;
  queuedChannels: number;
}

type Pending = Promise<Result<HostConnection, SshError>>;

/**
 * Plumbline's way to hosts: one shared connection per host, created on first use by whichever
 * caller gets there first while the others await the same promise, and dropped from the pool
 * when it closes so the next call reconnects. Host problems come back as SshError values.
 */
export class SshPool {
  private readonly conns = new Map<string, Pending>();
  private readonly live = new Set<HostConnection>();
  private readonly connecting: Limiter;
  private readonly log: (line: string) => void;
  private closing = false;
  private counters = { connectsStarted: 0, connectsSucceeded: 0 };

  constructor(private readonly opts: PoolOptions = {}) {
    this.connecting = new Limiter(opts.globalConcurrency ?? 16);
    this.log = opts.log ?? (() => undefined);
  }

  exec(host: string, argv: string[], opts: ExecOptions = {}): Promise<Result<ExecResult, SshError>> {
    let command: string;
    try {
      command = shellCommand(argv);
    } catch (e) {
      return Promise.resolve(err({ kind: 'ChannelError', host, message: (e as Error).message }));
    }
    return this.execRaw(host, command, opts);
  }

  /** `command` is already a shell string; the caller quoted every part of it. */
  async execRaw(host: string, command: string, opts: ExecOptions = {}): Promise<Result<ExecResult, SshError>> {
    const o = { ...opts, timeoutMs: opts.timeoutMs ?? this.opts.commandTimeoutMs ?? 60_000 };
    for (let attempt = 0; ; attempt++) {
      const c = await this.connection(host);
      if (!c.ok) return c;
      const r = await c.value.exec(command, o);
      // The connection may have died between being handed out and the channel opening (idle
      // close, server restart): reconnect once. A command that did start is never re-run.
      if (!r.ok && r.error.kind === 'ChannelError' && !c.value.alive && r.error.message === 'the connection is closed' && attempt === 0) continue;
      return r;
    }
  }

  /** A long-lived exec channel; stdout is delivered line by line. No command timeout by default. */
  async stream(
    host: string,
    argv: string[],
    onStdoutLine: (line: string) => void,
    opts: ExecOptions = {},
  ): Promise<Result<StreamHandle, SshError>> {
    let command: string;
    try {
      command = shellCommand(argv);
    } catch (e) {
      return err({ kind: 'ChannelError', host, message: (e as Error).message });
    }
    const c = await this.connection(host);
    if (!c.ok) return c;
    return c.value.stream(command, onStdoutLine, opts);
  }

  /** A direct-tcpip channel to `toHost:toPort` as `host` sees them, over the host's pooled connection. */
  async forward(host: string, toHost: string, toPort: number): Promise<Result<Duplex, SshError | ForwardFailure>> {
    const c = await this.connection(host);
    if (!c.ok) return c;
    return c.value.forward(toHost, toPort);
  }

  /** Connects (or reuses the connection) and reports the host key that was verified. */
  async hostKey(host: string): Promise<Result<{ keyType: string; fingerprint: string }, SshError>> {
    const c = await this.connection(host);
    if (!c.ok) return c;
    return ok({ ...c.value.hostKey });
  }

  stats(): PoolStats {
    let activeChannels = 0;
    let queuedChannels = 0;
    for (const c of this.live) {
      activeChannels += c.activeChannels;
      queuedChannels += c.queuedChannels;
    }
    return { ...this.counters, open: this.live.size, activeChannels, queuedChannels };
  }

  async close(): Promise<void> {
    this.closing = true;
    const pending = [...this.conns.values()];
    this.conns.clear();
    const settled = await Promise.all(pending);
    await Promise.all([...new Set([...settled.flatMap((r) => (r.ok ? [r.value] : [])), ...this.live])].map((c) => c.close()));
  }

  private connection(spec: string): Pending {
    if (this.closing) return Promise.resolve(err({ kind: 'ChannelError', host: spec, message: 'the SSH pool is closed' }));
    return this.shared(spec, () => {
      const resolved = resolveHost(spec, { configFile: this.opts.sshConfigFile, homeDir: this.opts.homeDir });
      if (!resolved.ok) return Promise.resolve(resolved);
      for (const w of resolved.value.warnings) this.log(`${spec}: ${w}`);
      return this.connectResolved(spec, resolved.value);
    });
  }

  /** Everyone asking for `key` while a connect is in flight shares it; failures are not kept. */
  private shared(key: string, make: () => Pending): Pending {
    const existing = this.conns.get(key);
    if (existing) {
      // A connection that is closing (idle timeout, dropped) is replaced, not handed out.
      return existing.then((r) => {
        if (!r.ok || r.value.alive) return r;
        if (this.conns.get(key) === existing) this.conns.delete(key);
        return this.shared(key, make);
      });
    }
    const p = make().then((r) => {
      if (!r.ok) {
        if (this.conns.get(key) === p) this.conns.delete(key);
        return r;
      }
      const conn = r.value;
      if (!conn.alive) {
        if (this.conns.get(key) === p) this.conns.delete(key);
      }
      void conn.closed.then(() => {
        if (this.conns.get(key) === p) this.conns.delete(key);
      });
      return r;
    });
    this.conns.set(key, p);
    return p;
  }

  private async connectResolved(label: string, host: ResolvedHost): Promise<Result<HostConnection, SshError>> {
    let via: HostConnection | undefined;
    if (host.proxyJump && host.proxyJump.length > 0) {
      // Each hop is a pooled connection of its own (its host key verified the same way);
      // the key names the whole path so two routes to one hop never get mixed up.
      let pathKey = '';
      for (const hop of host.proxyJump) {
        pathKey += `${pathKey ? '>' : ''}${hop.user}@${hop.hostname}:${hop.port}`;
        const prev: HostConnection | undefined = via;
        const r: Result<HostConnection, SshError> = await this.shared(`jump:${pathKey}`, () => this.connectHop(hop.alias, hop, prev));
        if (!r.ok) {
          return err(r.error.kind === 'Unreachable' ? { ...r.error, host: label, message: `via jump host ${hop.alias}: ${r.error.message}` } : r.error);
        }
        via = r.value;
      }
    }
    return this.connectHop(label, { ...host, proxyJump: undefined }, via);
  }

  private async connectHop(label: string, host: ResolvedHost, via: HostConnection | undefined): Promise<Result<HostConnection, SshError>> {
    if (!via && host.proxyJump && host.proxyJump.length > 0) return this.connectResolved(label, host);
    let sock;
    if (via) {
      const f = await via.forwardOut(host.hostname, host.port);
      if (!f.ok) return err({ ...f.error, host: label } as SshError);
      sock = f.value;
    }
    const release = await this.connecting.acquire();
    if (!release) return err({ kind: 'ChannelError', host: label, message: 'cancelled' });
    this.counters.connectsStarted++;
    const started = Date.now();
    let r;
    try {
      r = await connectClient(host, label, this.settings(host), sock);
    } finally {
      release();
    }
    if (!r.ok) {
      sock?.destroy();
      this.log(`${label}: connect failed: ${r.error.kind}`);
      return r;
    }
    this.counters.connectsSucceeded++;
    this.log(`${label}: connected to ${host.user}@${host.hostname}:${host.port}${via ? ` via ${via.host}` : ''} in ${Date.now() - started} ms`);
    const conn = new HostConnection(label, r.value.client, r.value.hostKey, {
      perHostConcurrency: this.opts.perHostConcurrency ?? 4,
      idleCloseMs: this.opts.idleCloseMs ?? 30_000,
      log: this.log,
    });
    this.live.add(conn);
    void conn.closed.then(() => this.live.delete(conn));
    if (this.closing) void conn.close();
    return ok(conn);
  }

  private settings(host: ResolvedHost): ConnectSettings {
    const home = this.opts.homeDir ?? os.homedir();
    const files = this.opts.knownHostsFile
      ? [this.opts.knownHostsFile]
      : host.userKnownHostsFiles.length > 0
        ? host.userKnownHostsFiles
        : [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')];
    const s: ConnectSettings = {
      knownHostsFiles: files,
      connectTimeoutMs: host.connectTimeoutMs ?? this.opts.connectTimeoutMs ?? 10_000,
      keepaliveMs: this.opts.keepaliveMs ?? 15_000,
      agentSocket: this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK,
      log: this.log,
    };
    if (this.opts.confirmUnknownHost) s.confirmUnknownHost = this.opts.confirmUnknownHost;
    if (this.opts.passphrase) s.passphrase = this.opts.passphrase;
    return s;
  }
}
