import * as fs from 'node:fs';
import { printable } from '../common/printable';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { loadConfig } from '../config/load';
import type { ConfigError, EnvironmentConfig, WorkspaceConfig } from '../config/types';
import { err, ok, type Result } from '../common/result';
import { agentScript, followArgv, installArgv, statusArgv, streamArgv, uninstallArgv } from '../fingerprint/agent';
import { captureHost, describeCaptureError, type HealthReader } from '../fingerprint/capture';
import { diffFingerprints, type HostDiff } from '../fingerprint/diff';
import type { Fingerprint } from '../fingerprint/types';
import { streamOptions } from '../monitor/agentOptions';
import { Monitor, type MonitorOptions } from '../monitor/monitor';
import { makeProbe, readHealthThrough } from '../monitor/probe';
import { describeSshError } from '../ssh/errors';
import { SshPool, type PoolOptions } from '../ssh/pool';
import { resolveStoreLocation } from '../store/location';
import { Store, type BaselineRecord } from '../store/store';
import { forEachHost, type HostOutcome } from './outcome';
import { runAction, type ActOptions } from '../act/act';
import { describeFinishers, settleFinishers } from '../act/finisher';
import { switchOwnedFile } from '../act/rollback';
import { readHostState, snapshotInput, staleProcesses } from '../act/hostState';
import { HostLock, type Fence, type LockError, type LockOptions } from '../act/lock';
import { probeRoot, StepRunner } from '../act/steps';
import { ActionStop, type ActionKind, type ActionReport } from '../act/types';
import { AuditLog } from '../audit/log';
import { auditEdge } from '../store/auditEdge';
import { secretsKey, secretsKeyFile, storeKeys, type StoreKeys } from '../store/keys';
import type { SnapshotRecord } from '../store/store';

export interface EngineOptions {
  /** plumbline.yaml */
  configFile: string;
  /** Folder for the store; default `.plumbline` beside plumbline.yaml. */
  dataDir?: string;
  /**
   * The store: a PostgreSQL URL (a shared fleet) or a SQLite file; default PLUMBLINE_STORE_URL,
   * else plumbline.db in the data folder. Models stay in the data folder either way.
   */
  store?: string;
  /** Hosts worked on at once. */
  concurrency?: number;
  log?: (line: string) => void;
  /** Ask a person about an unknown host key; without it unknown keys are refused. */
  confirmUnknownHost?: PoolOptions['confirmUnknownHost'];
  /**
   * The person's SSH paths: the editor's machine-scoped settings or the CLI's flags; else
   * PLUMBLINE_SSH_CONFIG / PLUMBLINE_KNOWN_HOSTS from the environment; else ssh's defaults.
   * plumbline.yaml's `ssh:` section is never used: a repository must not decide which host
   * keys are trusted.
   */
  ssh?: { config?: string; knownHosts?: string };
  /** Asked for an identity file's passphrase (the editor keeps them in its SecretStorage). */
  passphrase?: PoolOptions['passphrase'];
  passphraseChecked?: PoolOptions['passphraseChecked'];
  /** Who acts from this engine (lock owner, audit); default user@machine. A fleet worker gives its id. */
  actor?: string;
}

/** Called as each host finishes, for progress output. */
export type OnHostDone = (outcome: HostOutcome<unknown>) => void;

export interface BaselineResult {
  fingerprint: Fingerprint;
  baseline: BaselineRecord;
}

export interface DiffResult {
  diff: HostDiff;
  baseline: BaselineRecord;
}

export interface HostInfo {
  /** True only when the host answered with a host key that known_hosts accepts. */
  reachable: boolean;
  keyType?: string;
  keyFingerprint?: string;
  error?: string;
  /** The SshError kind when not reachable: Unreachable, Timeout, HostKeyMismatch, UnknownHostKey, AuthFailed... */
  errorKind?: string;
  baseline?: { version: number; promotedAt: string; promotedBy: string; reason: string };
}

/** Monitor settings an engine caller may choose; the rest comes from plumbline.yaml. */
export type EngineMonitorOptions = Partial<Omit<MonitorOptions, 'env' | 'opener' | 'store' | 'argv'>>;

/** What `plumbline-agent install` reported. */
export interface AgentInstallInfo {
  service: 'systemd' | 'supervisor';
  dir: string;
  pid: number | null;
}

/** What `plumbline-agent status` reported about the installed agent on a host. */
export interface AgentStatusInfo {
  installed: boolean;
  running: boolean;
  service: 'systemd' | 'supervisor' | null;
  pid: number | null;
  /** Last seq the agent wrote on the host. */
  lastSeq: number | null;
  bufferedSamples: number;
  bufferBytes: number;
  dir: string;
  /** Last seq this workspace's store holds for the host. */
  storedSeq: number;
}

/** The person's SSH paths: given by the caller, else from the environment; never from the workspace. */
function personalSshSettings(given: EngineOptions['ssh']): { config?: string; knownHosts?: string } {
  const config = given?.config || process.env.PLUMBLINE_SSH_CONFIG || undefined;
  const knownHosts = given?.knownHosts || process.env.PLUMBLINE_KNOWN_HOSTS || undefined;
  return { ...(config ? { config } : {}), ...(knownHosts ? { knownHosts } : {}) };
}

export class UnknownEnvironment extends Error {
  constructor(name: string, known: string[]) {
    super(`no environment "${name}" in plumbline.yaml (environments: ${known.join(', ') || 'none'})`);
  }
}

/**
 * The engine behind every face (CLI, LSP server): configuration, the SSH pool and the store,
 * with fleet-wide operations that report one outcome per host.
 */
export class Engine {
  private constructor(
    readonly config: WorkspaceConfig,
    readonly store: Store,
    private readonly pool: SshPool,
    private readonly opts: EngineOptions,
    /** The store's folder; trained models live under it too. */
    readonly dataDir: string,
    /** The SSH config and known_hosts in use (absent: ssh's defaults). */
    readonly sshSettings: { config?: string; knownHosts?: string },
    /** Things the person should know about how the workspace was read (printed by the CLI, logged by the server). */
    readonly notes: string[],
  ) {}

  static async open(opts: EngineOptions): Promise<Result<Engine, ConfigError[]>> {
    const configFile = path.resolve(opts.configFile);
    const { config, errors } = await loadConfig(configFile);
    if (!config || errors.length > 0) return err(errors);
    const dataDir = path.resolve(opts.dataDir ?? path.join(path.dirname(configFile), '.plumbline'));
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const store = Store.at(resolveStoreLocation({ explicit: opts.store, dataDir }));
    const sshSettings = personalSshSettings(opts.ssh);
    const notes: string[] = [];
    if (config.ssh.config !== undefined || config.ssh.knownHosts !== undefined) {
      notes.push(
        `ssh.config and ssh.knownHosts in plumbline.yaml are ignored: a workspace must not choose which SSH config and host keys are trusted; ` +
          'use --ssh-config / --known-hosts, PLUMBLINE_SSH_CONFIG / PLUMBLINE_KNOWN_HOSTS, or the plumbline.sshConfig / plumbline.knownHosts settings',
      );
      opts.log?.(notes[notes.length - 1]);
    }
    const pool = new SshPool({
      sshConfigFile: sshSettings.config,
      knownHostsFile: sshSettings.knownHosts,
      confirmUnknownHost: opts.confirmUnknownHost,
      passphrase: opts.passphrase,
      passphraseChecked: opts.passphraseChecked,
      log: opts.log,
    });
    return ok(new Engine(config, store, pool, opts, dataDir, sshSettings, notes));
  }

  environment(name: string): EnvironmentConfig {
    const env = this.config.environments.find((e) => e.name === name);
    if (!env) throw new UnknownEnvironment(name, this.config.environments.map((e) => e.name));
    return env;
  }

  /** Captures every host of the environment (one SSH exec each) and stores the fingerprints. */
  async capture(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<{ fingerprint: Fingerprint; id: number }>>> {
    const env = this.environment(envName);
    const captured = await this.forHosts(env, onHostDone, (host) => this.captureOne(env, host));
    return this.storeEach(captured, (fp) => ({ fingerprint: fp, id: this.store.saveFingerprint(env.name, fp) }));
  }

  /** Captures and promotes each reachable host's fingerprint as its new golden baseline. */
  async baseline(
    envName: string,
    meta: { by?: string; reason?: string } = {},
    onHostDone?: OnHostDone,
  ): Promise<Array<HostOutcome<BaselineResult>>> {
    const by = meta.by ?? `${os.userInfo().username}@${os.hostname()}`;
    const reason = meta.reason ?? 'baseline captured with plumbline';
    const env = this.environment(envName);
    const captured = await this.forHosts(env, onHostDone, (host) => this.captureOne(env, host));
    return this.storeEach(captured, (fingerprint, host) => {
      const id = this.store.saveFingerprint(env.name, fingerprint);
      return { fingerprint, baseline: this.store.promoteBaseline(envName, host, id, { by, reason }) };
    });
  }

  /** Captures each host live and diffs it against its active baseline. */
  async diff(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<DiffResult>>> {
    const env = this.environment(envName);
    // The live fingerprints are kept either way, stored together once the round is done.
    const lives: Fingerprint[] = [];
    const compared = await this.forHosts(env, onHostDone, async (host): Promise<{ ok: true; value: DiffResult } | { ok: false; error: { kind: string; message: string } }> => {
      // Capture first: an unreachable host is the more useful answer.
      const r = await this.captureOne(env, host);
      if (!r.ok) return r;
      lives.push(r.value);
      const baseline = this.store.activeBaseline(env.name, host);
      if (!baseline) {
        return { ok: false, error: { kind: 'NoBaseline', message: `${host}: no baseline yet; run \`plumbline baseline ${env.name}\`` } };
      }
      const diff = diffFingerprints(baseline.fingerprint, r.value, { files: env.layers.app.files, readLocal: (l) => this.readLocal(l) });
      diff.baselineVersion = baseline.version;
      return { ok: true, value: { diff, baseline } };
    });
    if (lives.length > 0) {
      this.store.transaction(() => {
        for (const fp of lives) this.store.saveFingerprint(env.name, fp);
      });
    }
    return compared;
  }

  private async captureOne(env: EnvironmentConfig, host: string): Promise<{ ok: true; value: Fingerprint } | { ok: false; error: { kind: string; message: string } }> {
    const r = await captureHost(this.pool, env, host, this.readHealth);
    return r.ok ? r : { ok: false, error: { kind: r.error.kind, message: describeCaptureError(r.error, describeSshError) } };
  }

  /** Health read through the host's SSH connection, beside the capture's exec (no curl on the host). */
  private readonly readHealth: HealthReader = (host, url) => readHealthThrough((toHost, toPort) => this.forward(host, toHost, toPort), url);

  /**
   * Stores what a round captured in ONE transaction (one fsync for the round, not one per host).
   * Should that fail, each host is stored alone, so one bad write costs only its own host.
   */
  private storeEach<T>(outcomes: Array<HostOutcome<Fingerprint>>, save: (fp: Fingerprint, host: string) => T): Array<HostOutcome<T>> {
    const one = (o: HostOutcome<Fingerprint>): HostOutcome<T> => (o.ok ? { ...o, value: save(o.value, o.host) } : o);
    try {
      return this.store.transaction(() => outcomes.map(one));
    } catch {
      return outcomes.map((o) => {
        try {
          return one(o);
        } catch (e) {
          return { host: o.host, ok: false, error: { kind: 'StoreFailed', message: `${o.host}: ${e instanceof Error ? e.message : String(e)}` }, durationMs: o.durationMs };
        }
      });
    }
  }

  /** Captures one host and promotes it as that host's new baseline (after a verified switch or rollback). */
  async rebaseline(envName: string, host: string, reason: string): Promise<Result<BaselineRecord, { kind: string; message: string }>> {
    const env = this.environment(envName);
    const r = await this.captureOne(env, host);
    if (!r.ok) return err(r.error);
    const id = this.store.saveFingerprint(env.name, r.value);
    return ok(this.store.promoteBaseline(env.name, host, id, { by: this.actor(), reason }));
  }

  /** Reachability, verified host key and last baseline of each host. */
  async hosts(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<HostInfo>>> {
    const env = this.environment(envName);
    return this.forHosts<HostInfo>(env, onHostDone, async (host) => {
      const b = this.store.activeBaseline(env.name, host);
      const baseline = b && { version: b.version, promotedAt: b.promotedAt, promotedBy: b.promotedBy, reason: b.reason };
      const key = await this.pool.hostKey(host);
      if (!key.ok) return { ok: true, value: { reachable: false, error: describeSshError(key.error), errorKind: key.error.kind, baseline } };
      return { ok: true, value: { reachable: true, keyType: key.value.keyType, keyFingerprint: key.value.fingerprint, baseline } };
    });
  }

  /** The workspace's audit log (append-only, hash-chained). */
  auditLog(): AuditLog {
    this.audit ??= new AuditLog(auditEdge(this.store), { key: this.keys.key, head: this.keys.head });
    return this.audit;
  }

  private audit: AuditLog | undefined;

  /** The audit key and head files, outside the store. */
  get keys(): StoreKeys {
    this.storeKeys ??= storeKeys(this.store);
    return this.storeKeys;
  }

  private storeKeys: StoreKeys | undefined;

  /** Who acts from this process: recorded as lock owner and in the audit log. */
  actor(): string {
    return this.opts.actor ?? `${os.userInfo().username}@${os.hostname()}`;
  }

  /**
   * Shows the host a fleet worker's new lease token: takes the host lock with it (waiting for an
   * action in progress) and lets go. From then on the host refuses every older token.
   */
  async fenceHost(host: string, fence: Fence): Promise<Result<void, LockError>> {
    let sudo: boolean;
    try {
      sudo = !(await probeRoot(this.pool, host)).isRoot;
    } catch (e) {
      return err({ kind: 'LockUnavailable', message: e instanceof Error ? e.message : String(e) });
    }
    const owner = JSON.stringify({ by: this.actor(), pid: process.pid, action: 'fence', token: fence.token, since: new Date().toISOString() });
    const l = await HostLock.acquire(this.pool, host, { owner, waitS: 30, leaseS: 60, sudo, fence });
    if (!l.ok) return l;
    await l.value.release();
    return ok(undefined);
  }

  /**
   * Takes each host's pre-deployment snapshot (release target, managed files with content, mode,
   * owner and group; secret contents only in the local store) and audits it.
   */
  async snapshot(envName: string, meta: { by?: string; reason?: string } = {}, onHostDone?: OnHostDone): Promise<Array<HostOutcome<SnapshotRecord>>> {
    const env = this.environment(envName);
    const takenBy = meta.by ?? this.actor();
    const reason = meta.reason ?? 'pre-deployment snapshot';
    return this.forHosts(env, onHostDone, async (host) => {
      try {
        const root = await probeRoot(this.pool, host);
        const run = new StepRunner(this.pool, host, false, root.isRoot);
        const state = await readHostState(run, env);
        const input = snapshotInput(state, { takenBy, reason });
        const sealing = Object.keys(input.secretContents ?? {}).length > 0 ? { secretKey: secretsKey(this.store, true) } : {};
        const record = this.store.saveSnapshot(env.name, host, input, sealing);
        this.auditLog().record({
          env: env.name,
          host,
          kind: 'snapshot',
          action: 'snapshot',
          outcome: 'done',
          actor: takenBy,
          summary: `snapshot ${record.id}: release ${state.release?.target ?? '(none)'}, ${state.files.length} file(s)`,
          details: {
            reason,
            snapshotId: record.id,
            release: state.release,
            files: state.files.map((f) => ({ remote: f.remote, exists: f.exists, sha256: f.sha256, mode: f.mode, owner: f.owner, group: f.group, secret: f.secret })),
            steps: [root.record, ...run.records],
          },
        });
        return { ok: true, value: record };
      } catch (e) {
        if (e instanceof ActionStop) return { ok: false, error: { kind: 'SnapshotFailed', message: `${host}: ${e.message}` } };
        throw e;
      }
    });
  }

  /**
   * Runs one action on one host of the environment (dry run: lists its commands, changes
   * nothing), verifies the host against its baseline afterwards, and audits the report.
   */
  async act(envName: string, host: string, kind: ActionKind, opts: ActOptions = {}): Promise<ActionReport> {
    const env = this.environment(envName);
    if (!env.hosts.some((h) => h.spec === host)) {
      throw new Error(`no host "${host}" in environment ${env.name} (hosts: ${env.hosts.map((h) => h.spec).join(', ')})`);
    }
    const actor = this.actor();
    // Written before the first command: if this process dies mid-action, the entry stays open and
    // the next start-up reports it with the host's state (closeInterrupted).
    const started = opts.dryRun
      ? undefined
      : this.auditLog().record({ env: env.name, host, kind: 'action', action: kind, outcome: 'started', actor, summary: `${kind} on ${host} started`, details: { reasons: opts.reasons ?? [], pid: process.pid } });
    const report = await runAction(
      kind,
      {
        shell: this.pool,
        env,
        host,
        actor,
        capture: async () => {
          const r = await this.captureOne(env, host);
          if (!r.ok) return { ok: false, error: r.error.message };
          this.store.saveFingerprint(env.name, r.value);
          return { ok: true, value: r.value };
        },
        compare: (live) => {
          const b = this.store.activeBaseline(env.name, host);
          if (!b) return undefined;
          const diff = diffFingerprints(b.fingerprint, live, { files: env.layers.app.files, readLocal: (l) => this.readLocal(l), baselineVersion: b.version });
          return { baseline: b.fingerprint, diff };
        },
        snapshot: () => this.store.latestSnapshot(env.name, host, { withSecrets: true, secretKey: secretsKey(this.store, false), keyFile: secretsKeyFile(this.store) }),
        log: this.opts.log,
      },
      opts,
    );
    const entry = this.auditLog().record({
      env: env.name,
      host,
      kind: 'action',
      action: kind,
      outcome: report.status,
      actor,
      summary: report.message,
      details: {
        dryRun: report.dryRun,
        reasons: report.reasons,
        steps: report.steps,
        verification: report.verification,
        timings: report.timings,
        ...(started ? { startedId: started.id } : {}),
        ...(report.fence && { fence: report.fence }),
        ...(report.window && { window: report.window }),
      },
    });
    report.auditId = entry.id;
    return report;
  }

  /**
   * Actions of the environment that were started and never finished (the process was killed,
   * the machine went down): each is closed with an `interrupted` entry that records the host's
   * state now (release target, managed files, compared with the newest snapshot), and described
   * in one sentence that says what to do. Called at start-up.
   */
  async closeInterrupted(envName: string): Promise<string[]> {
    const env = this.environment(envName);
    const notes: string[] = [];
    for (const open of this.auditLog().unfinished({ env: env.name })) {
      const host = open.host ?? '';
      let state: string;
      let details: Record<string, unknown> = { startedId: open.id };
      let advice = `Check it with \`plumbline diff ${env.name}\`; if it is half-done, run the action again or \`plumbline act ${env.name} ${host} rollback\`.`;
      try {
        const root = await probeRoot(this.pool, host);
        const runner = new StepRunner(this.pool, host, false, root.isRoot);
        // A rollback cut off after its first change is finished by the host: wait for it, then look.
        const finishers = await settleFinishers(runner, Date.parse(open.ts) - 60_000);
        const now = await readHostState(runner, env, 'read the host state after an interrupted action');
        const snap = this.store.latestSnapshot(env.name, host);
        // The switch's upstream is left out: which colour serves is the switch's, not the snapshot's.
        const owned = switchOwnedFile(env);
        const same = snap && (snap.release?.target ?? null) === (now.release?.target ?? null) && snap.files.every((f) => f.remote === owned || now.files.find((n) => n.remote === f.remote)?.sha256 === f.sha256);
        // A release link changed with the app not restarted after it: the app runs the old release.
        const stale = await staleProcesses(runner, env, env.actions.remediate?.restart ?? (env.layers.app.process ? [env.layers.app.process] : []));
        const half = stale.length > 0 ? `; HALF-DONE: ${stale.map((p) => `${p.name} pid ${p.pid} started ${p.startedAt}`).join(', ')}, before the release link changed (${stale[0].linkChangedAt}), so it runs the release from before` : '';
        const byHost = finishers.length > 0 ? `; ${describeFinishers(finishers)}` : '';
        state = printable(`release ${now.release?.target ?? '(none)'}, ${now.files.length} managed file(s)${snap ? (same ? `, as in snapshot ${snap.id}` : `, NOT as in snapshot ${snap.id}`) : ''}${half}${byHost}`);
        details = { ...details, finishers, release: now.release, files: now.files.map((f) => ({ remote: f.remote, exists: f.exists, sha256: f.sha256 })), snapshotId: snap?.id ?? null, asInSnapshot: Boolean(same), staleProcesses: stale };
        if (finishers.some((f) => f.state === 'FINISHED')) advice = `Nothing is left to do on the host; \`plumbline diff ${env.name}\` compares it with its baseline.`;
        if (stale.length > 0) advice = `The app was not restarted after the release link changed: run \`plumbline act ${env.name} ${host} ${open.action === 'rollback' ? 'rollback' : 'remediate'}\` to finish it (it restarts the app on the release the link names).`;
      } catch (e) {
        state = `unknown (${e instanceof ActionStop ? e.message : String(e)})`;
      }
      const what = `${open.action ?? 'an action'} on ${host} started ${open.ts} by ${open.actor} (audit entry ${open.id}) never finished; the host now: ${state}`;
      this.auditLog().record({ env: env.name, host, kind: 'action', action: open.action, outcome: 'interrupted', actor: this.actor(), summary: what, details });
      notes.push(`${what}. ${advice}`);
    }
    return notes;
  }

  /** Takes the host's on-host lock for work of the caller's own (the watch loop, tests). */
  lockHost(host: string, opts: LockOptions): Promise<Result<HostLock, LockError>> {
    return HostLock.acquire(this.pool, host, opts);
  }

  /**
   * A monitor over every host of the environment (not started): the installed agent's buffer
   * where there is one, else the agent in stream mode, stored in this engine's store.
   */
  monitor(envName: string, opts: EngineMonitorOptions = {}): Monitor {
    const env = this.environment(envName);
    const base = streamOptions(env);
    const intervalMs = opts.intervalMs ?? env.intervalMs;
    return new Monitor({
      ...opts,
      env: env.name,
      hosts: opts.hosts ?? env.hosts.map((h) => h.spec),
      opener: this.pool,
      store: this.store,
      intervalMs,
      ...(env.metrics?.source === 'prometheus' && { prometheus: { config: env.metrics.prometheus, mounts: env.layers.hardware.mounts } }),
      argv: (_host, source, fromSeq, paced) =>
        source === 'follow'
          ? followArgv(fromSeq)
          : streamArgv(paced ? { ...base, intervalMs, fromSeq, ticks: 'stdin', health: undefined, metrics: undefined } : { ...base, intervalMs, fromSeq }),
      // The server paces stream mode and reads health and metrics through each host's connection.
      pace: opts.pace ?? { probe: (host) => makeProbe((toHost, toPort) => this.forward(host, toHost, toPort), { health: base.health, metrics: base.metrics, intervalMs }) },
    });
  }

  private async forward(host: string, toHost: string, toPort: number): Promise<{ ok: true; value: Duplex } | { ok: false; refused: boolean; message: string }> {
    const r = await this.pool.forward(host, toHost, toPort);
    if (r.ok) return r;
    return { ok: false, refused: r.error.kind === 'ForwardFailed' && r.error.refused, message: r.error.kind === 'ForwardFailed' ? r.error.message : describeSshError(r.error) };
  }

  /** Installs the agent as a service on every host (systemd, else a supervised background process). */
  async agentInstall(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<AgentInstallInfo>>> {
    const env = this.environment(envName);
    const argv = installArgv(streamOptions(env));
    return this.forHosts(env, onHostDone, (host) => this.agentCommand<AgentInstallInfo>(host, argv, agentScript()));
  }

  /** Stops the installed agent and removes every file it had on each host. */
  async agentUninstall(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<{ wasInstalled: boolean }>>> {
    const env = this.environment(envName);
    return this.forHosts(env, onHostDone, (host) => this.agentCommand<{ wasInstalled: boolean }>(host, uninstallArgv()));
  }

  /** Installed?, running?, last seq on the host and in the store. */
  async agentStatus(envName: string, onHostDone?: OnHostDone): Promise<Array<HostOutcome<AgentStatusInfo>>> {
    const env = this.environment(envName);
    return this.forHosts(env, onHostDone, async (host) => {
      const r = await this.agentCommand<Omit<AgentStatusInfo, 'storedSeq'>>(host, statusArgv());
      return r.ok ? { ok: true, value: { ...r.value, storedSeq: this.store.lastSeq(env.name, host) } } : r;
    });
  }

  private async agentCommand<T>(
    host: string,
    argv: string[],
    stdin?: string,
  ): Promise<{ ok: true; value: T } | { ok: false; error: { kind: string; message: string } }> {
    const r = await this.pool.exec(host, argv, stdin === undefined ? {} : { stdin });
    if (!r.ok) return { ok: false, error: { kind: r.error.kind, message: describeSshError(r.error) } };
    const { code, stdout, stderr } = r.value;
    const why = stderr.trim().split('\n').slice(-3).join(' | ');
    if (code !== 0) {
      const hint = /sudo/.test(stderr) ? ' (the SSH user needs root or passwordless sudo)' : '';
      return { ok: false, error: { kind: 'AgentFailed', message: `${host}: the agent exited with code ${code}${why ? `: ${why}` : ''}${hint}` } };
    }
    const line = stdout.trim().split('\n').pop() ?? '';
    try {
      const { type, ok, ...value } = JSON.parse(line) as Record<string, unknown>;
      return { ok: true, value: value as T };
    } catch {
      return { ok: false, error: { kind: 'MalformedAgentOutput', message: `${host}: unexpected agent output: ${line.slice(0, 200)}` } };
    }
  }

  /** A workspace file (the `local` side of a managed file), or undefined when it cannot be read. */
  private readLocal(local: string): string | undefined {
    try {
      return fs.readFileSync(path.resolve(path.dirname(this.config.file), local), 'utf8');
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
    this.store.close();
  }

  private forHosts<T>(
    env: EnvironmentConfig,
    onHostDone: OnHostDone | undefined,
    fn: (host: string) => Promise<{ ok: true; value: T } | { ok: false; error: { kind: string; message: string } }>,
  ): Promise<Array<HostOutcome<T>>> {
    const hosts = env.hosts.map((h) => h.spec);
    return forEachHost(hosts, this.opts.concurrency ?? 32, fn, onHostDone);
  }
}
