/**
 * Watching in the server: one engine Watcher per watched environment, its events turned into
 * what the client shows (risk per host and layer, watch phase and stream state, chart series),
 * and confirm-mode decisions turned into approval requests with the exact commands of a dry run.
 */
import type { Engine } from '../engine/engine';
import type { Decision } from '../policy';
import type { HostRisk } from '../risk/types';
import type { LayerObservation } from '../detect/layer/types';
import { observationsOf } from '../watch/observations';
import { Watcher } from '../watch/watcher';
import type { Sample } from '../monitor/sample';
import type {
  ApproveDecisionParams,
  ChartMetricKey,
  DecisionView,
  ProposalView,
  EnvironmentSeries,
  ForecastLine,
  HostSeries,
  HostWatchView,
  RiskView,
  SeriesPoint,
} from '../protocol/protocol';
import { decisionView, proposalView, reasonView, reportView, riskView, watchView } from './riskViews';
import { HostSeriesBuffer } from './series';

export interface WatchDeps {
  /** A host's risk or watch state changed (every risk update, stream changes). */
  risk(env: string, host: string, risk: RiskView | undefined, watch: HostWatchView): void;
  /** A new chart point of a host. */
  sample(env: string, host: string, point: SeriesPoint, bands: HostSeries['bands'], forecasts: ForecastLine[]): void;
  /** A risk state changed, or watching started/stopped: diagnostics and views are stale. */
  changed(): void;
  /** The audit log of `env` grew (decision, dry run, action). */
  audited(env: string): void;
  /** Asks a person to approve a confirm-mode decision; resolves false when nobody approves. */
  approve(p: ApproveDecisionParams): Promise<boolean>;
  log(line: string): void;
}

interface HostState {
  risk?: RiskView;
  watch: HostWatchView;
  decision?: DecisionView;
  proposal?: ProposalView;
  series: HostSeriesBuffer;
  previous?: Sample;
  pending?: LayerObservation[];
}

/** One watched environment. */
class EnvWatch {
  readonly hosts = new Map<string, HostState>();
  private readonly watcher: Watcher;
  private stopping = false;
  private readonly cancelApprovals = new Set<() => void>();

  constructor(
    private readonly engine: Engine,
    readonly env: string,
    private readonly deps: WatchDeps,
    warmup: number | undefined,
  ) {
    const cfg = engine.environment(env);
    const limits: HostSeries['limits'] = {
      ...(cfg.layers.app.limits.rssKiB !== undefined ? { 'app.rssKiB': cfg.layers.app.limits.rssKiB } : {}),
      ...(cfg.layers.app.limits.healthLatencyMs !== undefined ? { 'app.healthLatencyMs': cfg.layers.app.limits.healthLatencyMs } : {}),
      ...(cfg.layers.hardware.limits.memUsedPct !== undefined ? { 'hardware.memUsedPct': cfg.layers.hardware.limits.memUsedPct } : {}),
    } satisfies Partial<Record<ChartMetricKey, number>>;
    for (const h of cfg.hosts) {
      this.hosts.set(h.spec, { watch: { phase: 'learning', stream: 'starting', acting: false }, series: new HostSeriesBuffer(h.spec, limits) });
    }
    this.watcher = new Watcher(engine, env, { ...(warmup !== undefined ? { warmup } : {}), approve: (d) => this.approve(d) });
    this.watcher.on('log', (line) => deps.log(`watch ${env}: ${line}`));
    this.watcher.on('sample', (host, sample) => this.onSample(host, sample));
    this.watcher.on('risk', (risk) => this.onRisk(risk));
    this.watcher.on('riskChanged', () => deps.changed());
    this.watcher.on('findings', (host, findings) => this.hosts.get(host)?.series.noteFindings(findings));
    this.watcher.on('stream', (host) => this.pushWatch(host));
    this.watcher.on('decision', (d) => {
      const h = this.hosts.get(d.host);
      if (h) h.decision = decisionView(d);
      deps.audited(env);
      deps.changed();
    });
    this.watcher.on('proposal', (p) => {
      const h = this.hosts.get(p.host);
      if (h) h.proposal = proposalView(p);
      deps.changed();
    });
    this.watcher.on('action', (report) => {
      deps.log(`watch ${env}: ${report.host}: ${report.action} ${report.status}: ${report.message}`);
      deps.audited(env);
    });
  }

  start(): void {
    this.watcher.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // A modal nobody answered must not hold the stop: pending approvals answer "no".
    for (const cancel of this.cancelApprovals) cancel();
    await this.watcher.stop();
    for (const [host, h] of this.hosts) {
      h.watch = { ...h.watch, stream: 'stopped', acting: false };
      this.deps.risk(this.env, host, h.risk, h.watch);
    }
  }

  async markExpected(host: string, metric: string): Promise<void> {
    await this.watcher.markExpected(host, metric);
  }

  series(): EnvironmentSeries {
    return { env: this.env, watching: !this.stopping, hosts: [...this.hosts.values()].map((h) => h.series.view()) };
  }

  private onSample(host: string, sample: Sample): void {
    const h = this.hosts.get(host);
    if (!h) return;
    h.pending = observationsOf(sample, h.previous);
    h.previous = sample;
  }

  /** A proposal answered (the release promoted as the baseline): no longer pending. */
  clearProposal(host: string): void {
    const h = this.hosts.get(host);
    if (h) delete h.proposal;
  }

  private onRisk(risk: HostRisk): void {
    const h = this.hosts.get(risk.host);
    if (!h) return;
    h.risk = riskView(risk);
    // Back to normal: the last decision no longer explains anything.
    if (risk.state === 'ok') delete h.decision;
    const point = h.pending ? h.series.add(h.pending, risk) : h.series.addSilence(risk);
    h.pending = undefined;
    this.pushWatch(risk.host);
    this.deps.sample(this.env, risk.host, point, h.series.bands(), h.series.currentForecasts);
  }

  private pushWatch(host: string): void {
    const h = this.hosts.get(host);
    const s = this.watcher.status().find((x) => x.host === host);
    if (!h || !s) return;
    h.watch = watchView(s.phase, s.stream, s.acting);
    this.deps.risk(this.env, host, h.risk, h.watch);
  }

  /** Confirm mode: a dry run lists the exact commands, then a person approves them (or not). */
  private async approve(d: Decision): Promise<boolean | { configHash: string }> {
    if (this.stopping || d.tier === null || d.action === null) return false;
    const reasons = [d.why, ...d.reasons.slice(0, 5).map((r) => r.detail)];
    const plan = await this.engine.act(this.env, d.host, d.action, { dryRun: true, reasons });
    this.deps.audited(this.env);
    if (plan.status !== 'planned') {
      this.deps.log(`watch ${this.env}: ${d.host}: the dry run of ${d.action} did not plan (${plan.status}): ${plan.message}`);
      return false;
    }
    const params: ApproveDecisionParams = { env: this.env, host: d.host, tier: d.tier, action: d.action, why: d.why, reasons: d.reasons.slice(0, 5).map(reasonView), plan: reportView(plan) };
    let cancel: () => void = () => undefined;
    const cancelled = new Promise<boolean>((resolve) => (cancel = () => resolve(false)));
    this.cancelApprovals.add(cancel);
    try {
      const approved = await Promise.race([this.deps.approve(params).catch(() => false), cancelled]);
      this.deps.log(`watch ${this.env}: ${d.host}: tier ${d.tier} ${d.action} ${approved ? 'approved' : 'not approved'} in the editor`);
      return approved && !this.stopping ? { configHash: plan.configHash ?? '' } : false;
    } finally {
      this.cancelApprovals.delete(cancel);
    }
  }
}

/** Every watched environment of the workspace's engine. */
export class WatchManager {
  private readonly watches = new Map<string, EnvWatch>();

  constructor(private readonly deps: WatchDeps) {}

  isWatching(env: string): boolean {
    return this.watches.has(env);
  }

  start(engine: Engine, env: string, warmup?: number): void {
    if (this.watches.has(env)) return;
    const w = new EnvWatch(engine, env, this.deps, warmup);
    this.watches.set(env, w);
    w.start();
    this.deps.log(`watching ${env}`);
    this.deps.changed();
  }

  async stop(env: string): Promise<void> {
    const w = this.watches.get(env);
    if (!w) return;
    this.watches.delete(env);
    await w.stop();
    this.last.set(env, w);
    this.deps.log(`stopped watching ${env}`);
    this.deps.changed();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.watches.keys()].map((env) => this.stop(env)));
    this.last.clear();
  }

  /** The last watch of a stopped environment: its risk stays on show until the next start. */
  private readonly last = new Map<string, EnvWatch>();

  host(env: string, host: string): { risk?: RiskView; watch?: HostWatchView; decision?: DecisionView; proposal?: ProposalView } {
    const h = (this.watches.get(env) ?? this.last.get(env))?.hosts.get(host);
    return h ? { ...(h.risk ? { risk: h.risk } : {}), watch: h.watch, ...(h.decision ? { decision: h.decision } : {}), ...(h.proposal ? { proposal: h.proposal } : {}) } : {};
  }

  /** A host's proposal was accepted: it is no longer shown as pending. */
  proposalAccepted(env: string, host: string): void {
    (this.watches.get(env) ?? this.last.get(env))?.clearProposal(host);
  }

  series(env: string): EnvironmentSeries {
    return (this.watches.get(env) ?? this.last.get(env))?.series() ?? { env, watching: false, hosts: [] };
  }

  async markExpected(env: string, host: string, metric: string): Promise<void> {
    const w = this.watches.get(env);
    if (!w) throw new Error(`${env} is not watched: start watching first, then mark what it sees as expected`);
    await w.markExpected(host, metric);
  }
}
