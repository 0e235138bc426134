import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { ActionReport } from '../act/types';
import type { ActOptions } from '../act/act';
import { switchOwnedFile } from '../act/rollback';
import type { EnvironmentConfig } from '../config/types';
import type { LimitSpec } from '../detect/layer/forecast';
import type { Engine } from '../engine/engine';
import type { Finding, Layer } from '../detect/layer/types';
import type { HostStreamState } from '../monitor/hostStream';
import type { Monitor } from '../monitor/monitor';
import type { Sample } from '../monitor/sample';
import type { RiskFeedback } from '../store/store';
import { Policy, policyFromConfig, type CureContext, type Decision } from '../policy';
import { riskOptionsFromConfig, type HostRisk, type RiskState } from '../risk';
import { loadRiskModel } from '../risk/model/load';
import { HostDecider, type ReleaseView } from './hostDecider';
import { HostWatch, type HostPhase } from './hostWatch';
import { RiskFeedbackLoop } from './riskFeedback';

export type WatchEvents = {
  sample: [host: string, sample: Sample];
  /** Every risk update (one per sample, and per silent interval). */
  risk: [risk: HostRisk, phase: HostPhase];
  /** The host's risk state changed. */
  riskChanged: [risk: HostRisk, previous: RiskState | null];
  findings: [host: string, findings: Finding[]];
  /** A decision with a tier, when it differs from the host's previous one. */
  decision: [decision: Decision];
  action: [report: ActionReport, decision: Decision];
  stream: [host: string, state: HostStreamState];
  /** The release symlink of a host points somewhere new (a deployment happened). */
  release: [host: string, from: string | null, to: string | null];
  log: [line: string];
};

export interface WatchOptions {
  /** Samples after the baseline that train the detectors; default one minute's worth, at least 12. */
  warmup?: number;
  /** Confirm mode: asks a person to approve the exact action; without it confirm decisions wait. */
  approve?: (decision: Decision) => Promise<boolean>;
  /** Passed to every action (lock wait, settle time). */
  act?: Partial<ActOptions>;
}

export interface HostWatchStatus {
  host: string;
  phase: HostPhase;
  stream: HostStreamState | null;
  risk: HostRisk | null;
  acting: boolean;
}

/** Samples that train the detectors: the autoencoder needs 30 rows; a minute of samples when the interval is short. */
export function defaultWarmup(intervalMs: number): number {
  return Math.max(30, Math.ceil(60_000 / intervalMs));
}

/** Per layer: the limits from plumbline.yaml as the forecasters' failure conditions, and the model's inputs. */
export function layerOptions(env: EnvironmentConfig): Partial<Record<Layer, { limits: Record<string, LimitSpec>; modelExclude?: string[] }>> {
  const pick = (entries: Record<string, number | undefined>): Record<string, LimitSpec> =>
    Object.fromEntries(Object.entries(entries).flatMap(([metric, value]) => (value === undefined ? [] : [[metric, { direction: 'up', value }]])));
  const app = env.layers.app.limits;
  const hw = env.layers.hardware.limits;
  return {
    app: { limits: pick({ rssKiB: app.rssKiB, healthLatencyMs: app.healthLatencyMs, fds: app.fds }) },
    // Disk usage is judged by its forecast and statistics, not the model: a filesystem shared with
    // neighbours (containers, lab hosts) fills and empties with them.
    hardware: { limits: pick({ diskUsedPct: hw.diskUsedPct, memUsedPct: hw.memUsedPct }), modelExclude: ['diskUsedPct'] },
  };
}

/**
 * Continuous watching of one environment: the monitor's samples go through each host's
 * detectors and risk tracker; the tier policy decides from the most severe tier down, and
 * actions run per the environment's mode, each audited and verified.
 */
export class Watcher extends EventEmitter<WatchEvents> {
  private readonly monitor: Monitor;
  private readonly hosts = new Map<string, HostWatch>();
  /** Per host: risk model (or thresholds), cause and policy, as in replay. */
  private readonly deciders = new Map<string, HostDecider>();
  private readonly feedback: RiskFeedbackLoop;
  /** The model's input at each decision, for the label an approval or refusal gives it. */
  private readonly decisionFeatures = new WeakMap<Decision, number[]>();
  /** The release target in each host's active baseline. */
  private readonly baselineReleases = new Map<string, string | null>();
  private readonly streams = new Map<string, HostStreamState>();
  private readonly policy: Policy;
  /** What the environment's configuration says about cures; the release part is per host. */
  private readonly cureContext: Omit<CureContext, 'release'>;
  private readonly lastDecision = new Map<string, string>();
  private readonly releases = new Map<string, string | null>();
  /** The release target in each host's latest snapshot (read once, again after an action). */
  private readonly snapshotReleases = new Map<string, string | null>();
  private readonly acting = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly engine: Engine,
    private readonly envName: string,
    private readonly opts: WatchOptions = {},
  ) {
    super();
    const env = engine.environment(envName);
    this.intervalMs = env.intervalMs;
    this.policy = new Policy(policyFromConfig(env));
    this.cureContext = {
      configured: this.policy.cfg.configured,
      cleanup: (env.actions.remediate?.commands?.length ?? 0) > 0,
      switchFile: switchOwnedFile(env),
    };
    const risk = riskOptionsFromConfig(env);
    const warmup = opts.warmup ?? defaultWarmup(env.intervalMs);
    const log = (line: string): void => void this.emit('log', line);
    const perLayer = layerOptions(env);
    this.feedback = new RiskFeedbackLoop(engine.store, engine.dataDir, log);
    const model = loadRiskModel({ dataDir: engine.dataDir });
    if (model.model) log(`risk model: ${model.source} decides; the thresholds where it is missing or out of its training domain`);
    if (model.error) log(`risk model: ${model.error}; the thresholds decide`);
    const modelWhy = model.error ?? 'no risk model is loaded';
    for (const h of env.hosts) {
      const b = engine.store.activeBaseline(env.name, h.spec);
      this.hosts.set(
        h.spec,
        new HostWatch({
          host: h.spec,
          baseline: b && { version: b.version, fingerprint: b.fingerprint },
          risk,
          warmup,
          perLayer,
          detector: b ? { facts: { memTotalKiB: b.fingerprint.hardware.memory.totalKiB } } : undefined,
          modelDir: b ? path.join(engine.dataDir, 'models', env.name, h.spec, `v${b.version}`) : undefined,
          log,
        }),
      );
      this.baselineReleases.set(h.spec, b?.fingerprint.app.release?.target ?? null);
      this.deciders.set(h.spec, new HostDecider(this.policy, this.cureContext, { model: model.model, why: modelWhy }, b ? Date.parse(b.fingerprint.capturedAt) : null));
      if (!b) log(`${h.spec}: no baseline yet; config drift is not scored (run plumbline baseline ${env.name})`);
    }
    this.monitor = engine.monitor(envName);
    this.monitor.on('sample', (host, sample) => this.onSample(host, sample));
    this.monitor.on('state', (host, state) => {
      this.streams.set(host, state);
      this.emit('stream', host, state);
    });
    this.monitor.on('gap', (host, gap) => log(`${host}: ${gap.missing} sample(s) missing after seq ${gap.afterSeq} (${gap.reason})`));
    this.monitor.on('malformed', (host, m) => log(`${host}: malformed agent output (${m.reason}), ${m.count} so far`));
    this.monitor.on('storeError', (e) => log(`store refused a batch of samples, retrying: ${String(e)}`));
  }

  start(): void {
    this.monitor.start();
    // Silence is data too: a host that stops reporting goes to no-data, never stays "fine".
    this.silenceTimer = setInterval(() => this.checkSilence(Date.now()), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.silenceTimer);
    await this.monitor.stop();
    await Promise.all([...this.running]);
    for (const h of this.hosts.values()) h.dispose();
  }

  status(): HostWatchStatus[] {
    return [...this.hosts.values()].map((h) => ({
      host: h.host,
      phase: h.phase,
      stream: this.streams.get(h.host) ?? null,
      risk: h.current(),
      acting: this.acting.has(h.host),
    }));
  }

  /** Feedback from a person: the host's recent behaviour is expected; its detectors learn it. */
  async markExpected(host: string, metric: string | 'all'): Promise<void> {
    const h = this.hosts.get(host);
    if (!h) throw new Error(`not watching ${host}`);
    const recent = this.monitor.recent(host).slice(-Math.max(12, Math.ceil(120_000 / this.intervalMs)));
    await h.markExpected(metric, recent);
    // What the risk model saw over the same window was no reason to act.
    const since = recent[0]?.ts ?? Date.now();
    const steps = this.deciders.get(host)?.featuresSince(since - this.intervalMs) ?? [];
    this.learn(steps.map((s) => ({ env: this.envName, host, ts: s.ts, label: 0, source: 'mark-expected', features: s.features })));
  }

  private onSample(host: string, sample: Sample): void {
    const h = this.hosts.get(host);
    if (!h) return;
    this.emit('sample', host, sample);
    this.noticeRelease(host, sample.config.release);
    const before = h.current()?.state ?? null;
    const outcome = h.onSample(sample, Date.now());
    if (!outcome) return;
    this.afterRisk(outcome.risk, before, outcome.phase, outcome.findings);
    if (outcome.findings.length > 0) this.emit('findings', host, outcome.findings);
  }

  /**
   * A new release on a host (the `current` target changed between samples). Outside `guard` the
   * baseline still describes the old release, so the change also counts as config drift until a
   * baseline is promoted; this says so where a person will see it.
   */
  private noticeRelease(host: string, target: string | null): void {
    if (!this.releases.has(host)) {
      this.releases.set(host, target);
      return;
    }
    const from = this.releases.get(host) ?? null;
    if (from === target) return;
    this.releases.set(host, target);
    this.snapshotReleases.delete(host);
    this.emit('release', host, from, target);
    this.engine.auditLog().record({
      env: this.envName,
      host,
      kind: 'decision',
      outcome: 'decided',
      actor: 'watch',
      summary: `new release on ${host}: ${from ?? 'none'} → ${target ?? 'none'}; promote a baseline once it is good (plumbline baseline ${this.envName}, or deploy through plumbline guard)`,
      details: { release: { from, to: target } },
    });
  }

  private checkSilence(now: number): void {
    for (const h of this.hosts.values()) {
      if (h.lastSampleAt !== null && now - h.lastSampleAt < 1.5 * this.intervalMs) continue;
      const before = h.current()?.state ?? null;
      const risk = h.onSilence(now);
      if (risk) this.afterRisk(risk, before, h.phase);
    }
  }

  private afterRisk(risk: HostRisk, before: RiskState | null, phase: HostPhase, findings: Finding[] = []): void {
    this.emit('risk', risk, phase);
    if (risk.state !== before) this.emit('riskChanged', risk, before);
    if (this.acting.has(risk.host)) return;
    const { decision, judgement } = this.deciders.get(risk.host)!.next(risk, findings, this.releaseView(risk.host));
    this.decisionFeatures.set(decision, judgement.features);
    if (decision.tier === null) {
      this.lastDecision.delete(risk.host);
      return;
    }
    const key = `${decision.tier}|${decision.blockedBy ?? ''}|${decision.execute}|${decision.needsApproval}`;
    if (this.lastDecision.get(risk.host) === key && !decision.execute) return;
    this.lastDecision.set(risk.host, key);
    this.emit('decision', decision);
    this.engine.auditLog().record({
      env: this.envName,
      host: risk.host,
      kind: 'decision',
      action: decision.action ?? undefined,
      outcome: 'decided',
      actor: 'policy',
      summary: `tier ${decision.tier} ${decision.action} (${decision.mode}${decision.blockedBy ? `, blocked: ${decision.blockedBy}` : ''}): ${decision.why}`,
      details: { decision },
    });
    if (decision.blockedBy) return;
    if (decision.execute) this.track(this.run(decision, false));
    else if (decision.mode === 'shadow') this.track(this.run(decision, true));
    else if (decision.needsApproval && this.opts.approve) this.track(this.approveThenRun(decision));
  }

  /** The release the host runs, its baseline's, and its latest snapshot's; null until a sample came. */
  private releaseView(host: string): ReleaseView | null {
    if (!this.releases.has(host)) return null;
    if (!this.snapshotReleases.has(host)) {
      const snap = this.engine.store.latestSnapshot(this.envName, host);
      this.snapshotReleases.set(host, snap?.release?.target ?? null);
    }
    return { now: this.releases.get(host) ?? null, baseline: this.baselineReleases.get(host) ?? null, snapshot: this.snapshotReleases.get(host) ?? null };
  }

  private async approveThenRun(decision: Decision): Promise<void> {
    this.acting.add(decision.host);
    try {
      const approved = await this.opts.approve!(decision);
      const features = this.decisionFeatures.get(decision);
      if (features && decision.tier !== null) {
        this.learn([{ env: this.envName, host: decision.host, ts: decision.ts, label: approved ? decision.tier : 0, source: approved ? 'approved' : 'refused', features }]);
      }
      if (!approved) return;
      if (!this.policy.actionStarted(decision.host)) {
        this.emit('log', `${decision.host}: approved, but ${this.policy.inFlight().join(', ')} already act (limit reached)`);
        return;
      }
    } finally {
      this.acting.delete(decision.host);
    }
    await this.run(decision, false);
  }

  /** Runs the decided action (a dry run in shadow mode), then tells the policy how it ended. */
  private async run(decision: Decision, dryRun: boolean): Promise<void> {
    const host = decision.host;
    // A dry run (shadow mode) changes nothing on the host, so deciding goes on meanwhile: the
    // decisions shadow mode records do not depend on how long the dry run took (replay gives them again).
    if (!dryRun) this.acting.add(host);
    const watch = this.hosts.get(host);
    if (!dryRun) watch?.pause();
    try {
      const reasons = [decision.why, ...decision.reasons.slice(0, 5).map((r) => r.detail)];
      const report = await this.engine.act(this.envName, host, decision.action!, { ...this.opts.act, dryRun, reasons });
      this.emit('action', report, decision);
      this.snapshotReleases.delete(host);
      if (!dryRun) this.policy.recordAction(host, decision.tier!, Date.now(), report.status === 'done' ? 'verified' : 'failed');
      if (!dryRun && report.status === 'done' && decision.action !== 'remediate') await this.adopt(host, decision.action!, report.auditId);
    } catch (e) {
      this.emit('log', `${host}: ${decision.action} failed to run: ${e instanceof Error ? e.message : String(e)}`);
      if (!dryRun) this.policy.recordAction(host, decision.tier!, Date.now(), 'failed');
    } finally {
      if (!dryRun) {
        watch?.resume();
        this.policy.actionFinished(host);
        this.acting.delete(host);
      }
    }
  }

  /**
   * After a verified switch or rollback the host's intended state has changed (the upstream points
   * at the other colour; the release is the pre-deployment one): that state becomes the host's
   * baseline, so the change the action made is not itself reported as drift. After a rollback
   * the detectors relearn behaviour too.
   */
  private async adopt(host: string, action: 'switch' | 'rollback', auditId: number | undefined): Promise<void> {
    const r = await this.engine.rebaseline(this.envName, host, `after a verified ${action}${auditId ? ` (audit #${auditId})` : ''}`);
    if (!r.ok) {
      this.emit('log', `${host}: could not adopt the state after ${action} as the baseline: ${r.error.message}`);
      return;
    }
    const b = r.value;
    const modelDir = path.join(this.engine.dataDir, 'models', this.envName, host, `v${b.version}`);
    this.hosts.get(host)?.rebaseline({ version: b.version, fingerprint: b.fingerprint }, action === 'rollback', modelDir);
    this.deciders.get(host)?.setBaselineAt(Date.parse(b.fingerprint.capturedAt));
    this.baselineReleases.set(host, b.fingerprint.app.release?.target ?? null);
    this.emit('log', `${host}: baseline v${b.version} promoted ${b.reason}`);
  }

  /** Feedback labels into the store, and the updated risk model into every host's decider. */
  private learn(entries: RiskFeedback[]): void {
    try {
      const model = this.feedback.record(entries);
      if (model) for (const d of this.deciders.values()) d.setModel(model);
    } catch (e) {
      this.emit('log', `risk model: feedback not stored (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }
}
