/**
 * One workspace's engine and what the server knows about its fleet: opens the Engine (only in a
 * trusted workspace with a valid plumbline.yaml), runs fleet operations with progress and
 * cancellation, and keeps the per-host views and last diffs that trees and diagnostics show.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken, WorkDoneProgressReporter, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import { Engine } from '../engine/engine';
import type { HostOutcome } from '../engine/outcome';
import { diffFingerprints } from '../fingerprint/diff';
import { splitLines } from '../fingerprint/diffRanges';
import type { EnvironmentConfig } from '../config/types';
import type {
  ActionPlan,
  ActionReportView,
  AuditEntryView,
  EnvironmentSeries,
  PlanActionParams,
  BaselineHistoryEntry,
  FleetApprovalView,
  BaselineInfo,
  ConfirmHostKeyParams,
  EnvironmentView,
  FileContent,
  FileContentParams,
  HostOutcomeView,
  HostView,
  OperationResult,
  PlumblineSettings,
  WorkspaceView,
} from '../protocol/protocol';
import type { HostDrift } from './driftDiagnostics';
import { applyBaselineOutcome, applyCheckOutcome, applyDiffOutcome, baselineInfo, fromDiff, initialView } from './hostViews';
import { hostProgress, untilCancelled } from './progress';
import { ActionDesk } from './actions';
import { auditEntryView } from './riskViews';
import { WatchManager, type WatchDeps } from './watching';
import type { PoolOptions } from '../ssh/pool';

export interface SessionDeps {
  configFile: string;
  settings: () => Promise<PlumblineSettings>;
  confirmHostKey: (p: ConfirmHostKeyParams) => Promise<boolean>;
  /** An identity file's passphrase, from the editor's SecretStorage or the person. */
  passphrase?: PoolOptions['passphrase'];
  passphraseChecked?: PoolOptions['passphraseChecked'];
  log: (line: string) => void;
  /** A message the person must see (a notification in the editor). */
  warn?: (message: string) => void;
  /** Called whenever views or drifts changed: publish diagnostics, tell the client. */
  changed: () => void;
  /** Where watch events go (risk, samples, approvals); `changed` is the session's own. */
  watch: Omit<WatchDeps, 'changed'>;
}

export class WorkspaceSession {
  private engine: Engine | undefined;
  private opening: Promise<void> | undefined;
  private message: string | undefined;
  private configErrors = 0;
  private readonly views = new Map<string, Map<string, HostView>>();
  private readonly drifts = new Map<string, Map<string, HostDrift>>();
  readonly watching: WatchManager;
  private readonly desk = new ActionDesk();

  constructor(
    private readonly deps: SessionDeps,
    private trusted: boolean,
  ) {
    this.watching = new WatchManager({ ...deps.watch, changed: () => deps.changed() });
  }

  get workspaceDir(): string {
    return path.dirname(this.deps.configFile);
  }

  get config() {
    return this.engine?.config;
  }

  isTrusted(): boolean {
    return this.trusted;
  }

  async trust(): Promise<void> {
    this.trusted = true;
    await this.reopen();
  }

  /** (Re)opens the engine from plumbline.yaml on disk; safe to call on every save. */
  reopen(): Promise<void> {
    const previous = this.opening ?? Promise.resolve();
    this.opening = previous.then(() => this.doOpen());
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const old = this.engine;
    this.engine = undefined;
    // Watchers use the engine's pool and store: they stop before it closes.
    await this.watching.stopAll().catch((e: unknown) => this.deps.log(`stopping watchers: ${String(e)}`));
    if (old) await old.close().catch((e: unknown) => this.deps.log(`closing the engine: ${String(e)}`));
    this.views.clear();
    this.drifts.clear();
    this.configErrors = 0;
    if (!fs.existsSync(this.deps.configFile)) {
      this.message = 'no plumbline.yaml in this workspace';
    } else if (!this.trusted) {
      this.message = 'workspace not trusted: Plumbline only validates plumbline.yaml and connects to no host';
    } else {
      const settings = await this.deps.settings();
      const r = await Engine.open({
        configFile: this.deps.configFile,
        ssh: {
          ...(settings.sshConfig ? { config: resolveHome(settings.sshConfig) } : {}),
          ...(settings.knownHosts ? { knownHosts: resolveHome(settings.knownHosts) } : {}),
        },
        ...(settings.dataFolder ? { dataDir: path.resolve(this.workspaceDir, settings.dataFolder) } : {}),
        ...(settings.storeUrl ? { store: settings.storeUrl } : {}),
        confirmUnknownHost: (host, keyType, fingerprint) => this.deps.confirmHostKey({ host, keyType, fingerprint }),
        ...(this.deps.passphrase ? { passphrase: this.deps.passphrase } : {}),
        ...(this.deps.passphraseChecked ? { passphraseChecked: this.deps.passphraseChecked } : {}),
        log: (l) => this.deps.log(l),
      }).catch((e: unknown) => {
        // The store did not open (an unreachable shared store, a newer schema): say so where the views show state.
        this.message = `the store did not open: ${e instanceof Error ? e.message : String(e)}`;
        return undefined;
      });
      if (!r) {
        this.deps.log(this.message ?? 'the store did not open');
      } else if (r.ok) {
        this.engine = r.value;
        this.message = undefined;
        this.loadFromStore(r.value);
        this.deps.log(`engine open: ${this.deps.configFile} (${r.value.config.environments.length} environments)`);
        void this.reportInterrupted(r.value);
      } else {
        this.configErrors = r.error.length;
        this.message = `plumbline.yaml has ${r.error.length} error${r.error.length === 1 ? '' : 's'}; fix them to connect (see Problems)`;
      }
    }
    this.deps.changed();
  }

  /**
   * Actions this store started and never finished (the editor or a CLI was killed mid-action):
   * each is closed in the audit with the host's state now and shown once, with what to do.
   * In the background: it connects to the hosts concerned.
   */
  private async reportInterrupted(engine: Engine): Promise<void> {
    for (const env of engine.config.environments) {
      try {
        for (const n of await engine.closeInterrupted(env.name)) {
          this.deps.log(`INTERRUPTED: ${n}`);
          this.deps.warn?.(`Plumbline: an action was interrupted. ${n}`);
        }
      } catch (e) {
        if (this.engine === engine) this.deps.log(`checking ${env.name} for interrupted actions: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** What the store already knows, without connecting: baselines and the diff of the last capture. */
  private loadFromStore(engine: Engine): void {
    for (const env of engine.config.environments) {
      this.views.set(env.name, new Map());
      this.drifts.set(env.name, new Map());
      for (const { spec } of env.hosts) this.hostFromStore(engine, env, spec);
    }
  }

  /** One host's view and drift from the store: its active baseline against its latest capture. */
  private hostFromStore(engine: Engine, env: EnvironmentConfig, spec: string): void {
    const readLocal = (local: string) => readText(path.resolve(this.workspaceDir, local));
    const prev = this.views.get(env.name)?.get(spec);
    const b = engine.store.activeBaseline(env.name, spec);
    let view = initialView(spec, b && baselineInfo(b));
    const latest = b && engine.store.latestFingerprint(env.name, spec);
    this.drifts.get(env.name)?.delete(spec);
    if (b && latest && latest.id !== b.fingerprintId) {
      const diff = diffFingerprints(b.fingerprint, latest.fingerprint, { files: env.layers.app.files, readLocal });
      view = fromDiff(view, diff, baselineInfo(b), latest.fingerprint.capturedAt);
      view.reachable = prev?.reachable;
      if (prev?.keyFingerprint) view.keyFingerprint = prev.keyFingerprint;
      if (diff.drift || diff.items.length > 0) this.drifts.get(env.name)?.set(spec, { host: spec, baselineVersion: b.version, items: diff.items });
    }
    this.setView(env.name, spec, view);
  }

  view(): WorkspaceView {
    const environments: EnvironmentView[] = (this.engine?.config.environments ?? []).map((env) => ({
      name: env.name,
      range: env.range,
      mode: env.actions.mode,
      watching: this.watching.isWatching(env.name),
      hosts: env.hosts.map((h) => ({ ...(this.views.get(env.name)?.get(h.spec) ?? { host: h.spec, state: 'unknown' as const, findings: [] }), ...this.watching.host(env.name, h.spec) })),
    }));
    return {
      ...(fs.existsSync(this.deps.configFile) ? { configUri: pathToFileURL(this.deps.configFile).toString() } : {}),
      configErrors: this.configErrors,
      trusted: this.trusted,
      environments,
      ...(this.message ? { message: this.message } : {}),
    };
  }

  /** Host views with their risk while watched. */
  hostViews(env: string): HostView[] {
    return [...(this.views.get(env)?.values() ?? [])].map((v) => ({ ...v, ...this.watching.host(env, v.host) }));
  }

  lastDrifts(env: string): HostDrift[] {
    return [...(this.drifts.get(env)?.values() ?? [])];
  }

  environments(): EnvironmentConfig[] {
    return this.engine?.config.environments ?? [];
  }

  async baseline(env: string, reason: string | undefined, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    const engine = await this.ready();
    const total = engine.environment(env).hosts.length;
    const tick = hostProgress(progress, `Capturing baselines of ${env}`, total);
    const work = engine.baseline(env, { ...(reason ? { reason } : {}), by: 'vscode' }, (o) => tick(o.host, o.ok)).then((outcomes) => {
      const at = new Date().toISOString();
      for (const o of outcomes) {
        this.setView(env, o.host, applyBaselineOutcome(this.views.get(env)?.get(o.host), o, at));
        if (o.ok) this.drifts.get(env)?.delete(o.host);
      }
      this.deps.changed();
      return outcomes.map((o) => outcomeView(o, (v) => `baseline v${v.baseline.version}`));
    });
    return this.finish(env, work, token, progress);
  }

  async diff(env: string, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    const engine = await this.ready();
    const total = engine.environment(env).hosts.length;
    const tick = hostProgress(progress, `Diffing ${env} against its baselines`, total);
    const work = engine.diff(env, (o) => tick(o.host, o.ok)).then((outcomes) => {
      const at = new Date().toISOString();
      const drifts = this.drifts.get(env) ?? new Map<string, HostDrift>();
      this.drifts.set(env, drifts);
      for (const o of outcomes) {
        this.setView(env, o.host, applyDiffOutcome(this.views.get(env)?.get(o.host), o, at));
        if (o.ok) drifts.set(o.host, { host: o.host, baselineVersion: o.value.baseline.version, items: o.value.diff.items });
        else drifts.delete(o.host);
      }
      this.deps.changed();
      return outcomes.map((o) => outcomeView(o, (v) => (v.diff.drift ? `${v.diff.items.filter((i) => i.severity !== 'info').length} drift items (highest: ${v.diff.highest})` : 'no drift')));
    });
    return this.finish(env, work, token, progress);
  }

  async checkHosts(env: string, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    const engine = await this.ready();
    const total = engine.environment(env).hosts.length;
    const tick = hostProgress(progress, `Checking the hosts of ${env}`, total);
    const work = engine.hosts(env, (o) => tick(o.host, o.ok)).then((outcomes) => {
      const at = new Date().toISOString();
      for (const o of outcomes) this.setView(env, o.host, applyCheckOutcome(this.views.get(env)?.get(o.host), o, at));
      this.deps.changed();
      return outcomes.map((o) => outcomeView(o, (v) => (v.reachable ? `reachable, ${v.keyType} ${v.keyFingerprint}` : `unreachable: ${v.error}`)));
    });
    return this.finish(env, work, token, progress);
  }

  /** Promotes the host's last captured fingerprint (what the last diff compared) as its baseline. */
  async acceptLive(env: string, host: string, reason?: string): Promise<BaselineInfo> {
    const engine = await this.ready();
    const latest = engine.store.latestFingerprint(env, host);
    if (!latest) throw new Error(`${host}: nothing captured yet; run Diff first`);
    const b = engine.store.promoteBaseline(env, host, latest.id, { by: 'vscode', reason: reason ?? 'accepted live state as the new baseline' });
    const info = baselineInfo(b);
    const prev = this.views.get(env)?.get(host);
    this.setView(env, host, {
      host,
      state: 'clean',
      reason: `live state accepted as baseline v${info.version}`,
      ...(prev?.reachable !== undefined ? { reachable: prev.reachable } : {}),
      ...(prev?.keyFingerprint ? { keyFingerprint: prev.keyFingerprint } : {}),
      baseline: info,
      checkedAt: new Date().toISOString(),
      findings: [],
    });
    this.drifts.get(env)?.delete(host);
    this.deps.changed();
    return info;
  }

  /**
   * Accepts the watch's proposal for a host: captures it now and promotes that as its baseline
   * (the running watch follows the new baseline). The same as `plumbline promote ENV HOST`.
   */
  async promoteRelease(env: string, host: string): Promise<BaselineInfo> {
    const engine = await this.ready();
    const pending = this.watching.host(env, host).proposal;
    const reason = pending ? `release ${pending.release.to ?? '(none)'} promoted in VS Code: ${pending.why}` : 'promoted in VS Code';
    const r = await engine.rebaseline(env, host, reason);
    if (!r.ok) throw new Error(`${host}: ${r.error.message}`);
    engine.auditLog().record({ env, host, kind: 'decision', outcome: 'done', actor: engine.actor(), summary: `baseline v${r.value.version} promoted on ${host}: ${reason}`, details: { promoted: { version: r.value.version } } });
    this.watching.proposalAccepted(env, host);
    this.deps.changed();
    return baselineInfo(r.value);
  }

  /** A shared fleet's pending confirm-mode requests for `env` (none on a store without workers). */
  async fleetApprovals(env: string): Promise<FleetApprovalView[]> {
    const engine = await this.ready();
    engine.environment(env);
    return engine.store
      .fleet()
      .pendingApprovals(env)
      .map((a) => {
        const r = a.request as { tier?: number; action?: string; why?: string; plan?: { steps?: Array<{ command?: string; effect?: string }> } };
        const steps = (r.plan?.steps ?? []).filter((x) => x.effect === undefined || x.effect === 'change');
        return {
          id: a.id,
          env: a.env,
          host: a.host,
          worker: a.worker,
          requestedAt: a.requestedAt,
          tier: typeof r.tier === 'number' ? r.tier : null,
          action: typeof r.action === 'string' ? r.action : null,
          why: typeof r.why === 'string' ? r.why : '',
          commands: steps.map((x) => String(x.command ?? '')),
        };
      });
  }

  /** A person's answer, written to the store: the worker holding the host acts on an approval (as `plumbline approve`). */
  async answerFleetApproval(env: string, id: number, approve: boolean): Promise<{ ok: boolean; message: string }> {
    const engine = await this.ready();
    const fleet = engine.store.fleet();
    const a = fleet.approval(id);
    if (!a || a.env !== env) return { ok: false, message: `no approval #${id} in ${env}` };
    if (!fleet.answerApproval(id, approve ? 'approved' : 'denied', engine.actor())) return { ok: false, message: `approval #${id} was already ${fleet.approval(id)?.state ?? 'answered'}` };
    return { ok: true, message: `#${id} ${approve ? 'approved' : 'denied'}; worker ${a.worker} acts on ${a.host} if it still holds it` };
  }

  history(env: string): BaselineHistoryEntry[] {
    const engine = this.engine;
    if (!engine) return [];
    const hosts = engine.environment(env).hosts.map((h) => h.spec);
    return hosts
      .flatMap((host) => engine.store.baselineHistory(env, host).map((b) => ({ env, host, active: b.active, ...baselineInfo(b) })))
      .sort((a, b) => (a.promotedAt < b.promotedAt ? 1 : a.promotedAt > b.promotedAt ? -1 : b.version - a.version));
  }

  /** Lines of a managed file on a host, from the store; undefined for secret or uncaptured files. */
  hostLines(env: string, host: string, remote: string, side: 'baseline' | 'live'): string[] | undefined {
    const c = this.fileContent({ env, host, remote, side });
    return c.content === undefined ? undefined : splitLines(c.content);
  }

  fileContent(p: FileContentParams): FileContent {
    const engine = this.engine;
    if (!engine) return { note: this.message ?? 'the engine is not open' };
    const b = engine.store.activeBaseline(p.env, p.host);
    const fp = p.side === 'baseline' ? b?.fingerprint : engine.store.latestFingerprint(p.env, p.host)?.fingerprint;
    const label = p.side === 'baseline' ? (b ? `baseline v${b.version}` : 'no baseline') : fp ? `live, captured ${fp.capturedAt}` : 'nothing captured';
    const f = fp?.app.files.find((x) => x.remote === p.remote);
    if (!f) return { note: `${p.host}:${p.remote}: ${label}: file not captured` };
    if (f.secret) return { note: `${p.host}:${p.remote}: secret file; content is never shown (${label})` };
    if (!f.exists) return { note: `${p.host}:${p.remote}: absent on the host (${label})` };
    if (f.content === undefined) return { note: `${p.host}:${p.remote}: ${f.note ?? 'no text captured'} (${label})` };
    return { content: f.content, note: label };
  }

  /** Pre-deployment snapshots (what Roll Back restores), with progress per host. */
  async snapshot(env: string, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    const engine = await this.ready();
    const tick = hostProgress(progress, `Taking snapshots of ${env}`, engine.environment(env).hosts.length);
    const work = engine.snapshot(env, { by: `${engine.actor()} (VS Code)`, reason: 'snapshot taken from VS Code' }, (o) => tick(o.host, o.ok)).then((outcomes) => {
      this.deps.watch.audited(env);
      return outcomes.map((o) => outcomeView(o, (v) => `snapshot ${v.id}`));
    });
    return this.finish(env, work, token, progress);
  }

  async installAgent(env: string, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    const engine = await this.ready();
    const tick = hostProgress(progress, `Installing the agent on ${env}`, engine.environment(env).hosts.length);
    const work = engine.agentInstall(env, (o) => tick(o.host, o.ok)).then((outcomes) => outcomes.map((o) => outcomeView(o, (v) => `agent installed (${v.service}, pid ${v.pid ?? '?'}) in ${v.dir}`)));
    return this.finish(env, work, token, progress);
  }

  async startWatching(env: string, warmup?: number): Promise<void> {
    const engine = await this.ready();
    this.watching.start(engine, env, warmup);
  }

  async stopWatching(env: string): Promise<void> {
    await this.watching.stop(env);
  }

  series(env: string): EnvironmentSeries {
    return this.watching.series(env);
  }

  async markExpected(env: string, host: string, metric: string): Promise<void> {
    await this.ready();
    await this.watching.markExpected(env, host, metric);
  }

  async planAction(p: PlanActionParams): Promise<ActionPlan> {
    const engine = await this.ready();
    const plan = await this.desk.plan(engine, p);
    this.deps.watch.audited(p.env);
    return plan;
  }

  /** Runs an approved plan, then shows the host as its verification capture left it. */
  async runAction(planId: string): Promise<ActionReportView> {
    const engine = await this.ready();
    const report = await this.desk.run(engine, planId);
    this.hostFromStore(engine, engine.environment(report.env), report.host);
    this.deps.watch.audited(report.env);
    this.deps.changed();
    return report;
  }

  /** The audit log of an environment, newest first. */
  audit(env: string, limit = 200): AuditEntryView[] {
    const engine = this.engine;
    if (!engine) return [];
    return engine.auditLog().entries({ env }).reverse().slice(0, limit).map(auditEntryView);
  }

  async close(): Promise<void> {
    await this.opening;
    await this.watching.stopAll();
    await this.engine?.close();
    this.engine = undefined;
  }

  private async ready(): Promise<Engine> {
    await this.opening;
    if (!this.trusted) throw new Error('this workspace is not trusted: Plumbline connects to no host until you trust it');
    if (!this.engine) throw new Error(this.message ?? 'the Plumbline engine is not open');
    return this.engine;
  }

  private setView(env: string, host: string, v: HostView): void {
    let m = this.views.get(env);
    if (!m) this.views.set(env, (m = new Map()));
    m.set(host, v);
  }

  private async finish(env: string, work: Promise<HostOutcomeView[]>, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<OperationResult> {
    try {
      // Server-created progress has its own cancel button; client-created progress cancels the request.
      const extra = 'token' in progress ? [(progress as WorkDoneProgressServerReporter).token] : [];
      const r = await untilCancelled(work, token, ...extra);
      if ('cancelled' in r) {
        work.catch((e: unknown) => this.deps.log(`${env}: after cancel: ${String(e)}`));
        return { env, outcomes: [], cancelled: true };
      }
      return { env, outcomes: r.value, cancelled: false };
    } finally {
      progress.done();
    }
  }
}

function outcomeView<T>(o: HostOutcome<T>, ok: (v: T) => string): HostOutcomeView {
  return o.ok ? { host: o.host, ok: true, message: ok(o.value) } : { host: o.host, ok: false, message: o.error.message, errorKind: o.error.kind };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Machine settings may say `~/.ssh/config`. */
function resolveHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : path.resolve(p);
}
