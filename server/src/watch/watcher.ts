import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { ActionReport } from '../act/types';
import type { ActOptions } from '../act/act';
import { switchOwnedFile } from '../act/rollback';
import type { EnvironmentConfig } from '../config/types';
import type { LimitSpec } from '../detect/layer/forecast';
import type { Finding, Layer } from '../detect/layer/types';
import type { HostStreamState } from '../monitor/hostStream';
import { observedConfig, type Sample } from '../monitor/sample';
import { Policy, SERVICE_METRICS, attributeCause, policyFromConfig, releaseName, type Cause, type Decision, type Evidence, type Proposal } from '../policy';
import { riskOptionsFromConfig, type HostRisk, type RiskState } from '../risk';
import { loadRiskModel } from '../risk/model/load';
import type { RiskModel } from '../risk/model/riskModel';
import type { RiskFeedback } from '../store/store';
import { causeInputOf, servingColour } from './causeInput';
import { CureWatch, type CureResult } from './cureWatch';
import { EvidenceTracks } from './evidenceTracks';
import { HostDecider, type ReleaseView } from './hostDecider';
import { HostWatch, type HostPhase } from './hostWatch';
import { observationsOf } from './observations';
import { ReleaseTrack } from './releases';
import { RiskFeedbackLoop } from './riskFeedback';
import type { IntervalInputs, WatchEngine, WatchSource } from './watchEngine';

export type { IntervalInputs, WatchEngine, WatchSource } from './watchEngine';

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
  /** A healthy release deployed outside Plumbline: a new baseline for a person to promote. */
  proposal: [proposal: Proposal];
  /** An action's cure, checked against the reason that triggered it within its window. */
  cure: [result: CureResult, decision: Decision];
  /** Every interval's inputs to the decision (risk, findings, release, cause): the risk-model bench records them. */
  interval: [step: IntervalInputs];
  log: [line: string];
};

export interface WatchOptions {
  /** Watch only these hosts of the environment (a fleet worker's leased ones); default all. */
  hosts?: string[];
  /** The clock (ms); replay passes the samples' own time. */
  clock?: () => number;
  /** The risk model to decide with (null: the thresholds); by default the shipped one, or its update from feedback. */
  model?: RiskModel | null;
  /** Check for silent hosts on a timer (default); replay calls `tick` itself. */
  silenceTimer?: boolean;
  /** Samples after the baseline that train the detectors; default one minute's worth, at least 12. */
  warmup?: number;
  /**
   * Confirm mode: asks a person to approve the exact action; without it confirm decisions wait.
   * An approval of a dry run (`{ configHash }`) binds the run to the config it was built on.
   */
  approve?: (decision: Decision) => Promise<boolean | { configHash: string }>;
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

/** What the watch keeps per host beside its detectors: release history, evidence, the last samples, a running cure check. */
interface HostExtra {
  release: ReleaseTrack;
  evidence: EvidenceTracks;
  baselineAt: number | null;
  last?: Sample;
  previous?: Sample;
  files: Record<string, string | null>;
  cure: CureWatch | null;
  /** Releases proposed as the new baseline already (one proposal per release). */
  proposed: Set<string>;
  /** Risk model (or thresholds), cause and policy: as in replay and the bench. */
  decider: HostDecider;
  /** Whether the configured clean-up freed the disk when tried in this episode. */
  cleanupFreed: boolean | null;
  /** When the store was last asked for a baseline promoted elsewhere (`plumbline promote`). */
  baselineCheckedAt: number;
}

/** How often the watch looks for a baseline promoted outside it (a person accepting a proposal). */
const BASELINE_CHECK_MS = 10_000;

/**
 * Continuous watching of one environment: the monitor's samples go through each host's
 * detectors and risk tracker; each interval the cause of a host's risk is attributed from
 * everything the watch knows (release history, processes, colours), the policy picks the tier
 * that cures it, actions run per the environment's mode, and each action's cure is checked
 * against the reason that triggered it. Everything is audited.
 */
export class Watcher extends EventEmitter<WatchEvents> {
  private readonly monitor: WatchSource;
  private readonly hosts = new Map<string, HostWatch>();
  private readonly extra = new Map<string, HostExtra>();
  private readonly streams = new Map<string, HostStreamState>();
  private readonly policy: Policy;
  private readonly env: EnvironmentConfig;
  private readonly lastDecision = new Map<string, string>();
  /** The release target in each host's latest snapshot (read once, again after an action). */
  private readonly snapshotReleases = new Map<string, string | null>();
  private readonly acting = new Set<string>();
  private readonly feedback: RiskFeedbackLoop;
  /** The model's input at each decision, for the label an approval or refusal gives it. */
  private readonly decisionFeatures = new WeakMap<Decision, number[]>();
  private readonly running = new Set<Promise<void>>();
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  private early: string[] | undefined = [];

  constructor(
    private readonly engine: WatchEngine,
    private readonly envName: string,
    private readonly opts: WatchOptions = {},
  ) {
    super();
    const env = engine.environment(envName);
    this.env = env;
    this.intervalMs = env.intervalMs;
    this.policy = new Policy(policyFromConfig(env));
    const risk = riskOptionsFromConfig(env);
    const warmup = opts.warmup ?? defaultWarmup(env.intervalMs);
    // Lines logged while constructing (the risk model, detectors resumed) wait for start(), when
    // the caller's listeners are there.
    const log = (line: string): void => void (this.early ? this.early.push(line) : this.emit('log', line));
    const perLayer = layerOptions(env);
    this.feedback = new RiskFeedbackLoop(engine.store, engine.dataDir, log);
    const model = opts.model !== undefined ? { model: opts.model, source: 'given', error: opts.model ? undefined : 'the thresholds were chosen' } : loadRiskModel({ dataDir: engine.dataDir });
    if (model.model) log(`risk model: ${model.source} decides; the thresholds where it is missing or out of its training domain`);
    else log(`risk model: ${model.error ?? 'none'}; the thresholds decide`);
    const modelWhy = model.error ?? 'no risk model is loaded';
    const watched = env.hosts.filter((h) => !opts.hosts || opts.hosts.includes(h.spec));
    for (const h of watched) {
      const b = engine.store.activeBaseline(env.name, h.spec);
      const watch = new HostWatch({
        host: h.spec,
        baseline: b && { version: b.version, fingerprint: b.fingerprint },
        risk,
        warmup,
        perLayer,
        detector: b ? { facts: { memTotalKiB: b.fingerprint.hardware.memory.totalKiB } } : undefined,
        modelDir: b ? path.join(engine.dataDir, 'models', env.name, h.spec, `v${b.version}`) : undefined,
        log,
      });
      const evidence = new EvidenceTracks(env.intervalMs);
      watch.onRelearnt = () => evidence.setBands(watch.layerDetectors);
      evidence.setBands(watch.layerDetectors);
      this.hosts.set(h.spec, watch);
      this.extra.set(h.spec, {
        // The agent re-reads hashes and the link every ~5 s: a config written with a deploy shows within two re-reads of it.
        release: new ReleaseTrack(env.layers.app.release ?? null, b ? (b.fingerprint.app.release?.target ?? null) : undefined, Math.max(3 * env.intervalMs, 12_000)),
        evidence,
        baselineAt: b ? Date.parse(b.promotedAt) : null,
        files: {},
        cure: null,
        decider: new HostDecider(this.policy, { model: model.model, why: modelWhy }, b ? Date.parse(b.promotedAt) : null, switchOwnedFile(env)),
        proposed: new Set(),
        cleanupFreed: null,
        baselineCheckedAt: this.now(),
      });
      if (!b) log(`${h.spec}: no baseline yet; config drift is not scored (run plumbline baseline ${env.name})`);
    }
    this.monitor = engine.monitor(envName, { hosts: watched.map((h) => h.spec) });
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
    const early = this.early ?? [];
    this.early = undefined;
    for (const line of early) this.emit('log', line);
    this.monitor.start();
    // Silence is data too: a host that stops reporting goes to no-data, never stays "fine".
    if (this.opts.silenceTimer !== false) this.silenceTimer = setInterval(() => this.checkSilence(this.now()), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.silenceTimer);
    await this.monitor.stop();
    await Promise.all([...this.running]);
    for (const h of this.hosts.values()) h.dispose();
  }

  /** Where this watch's samples come from (the decisions it records say so too). */
  get metricsSource(): 'agent' | 'prometheus' {
    return this.monitor.source ?? 'agent';
  }

  /** One silence check at `now` (replay drives time itself). */
  tick(now: number): void {
    this.checkSilence(now);
  }

  /** Resolves once every host's detectors have finished training or relearning (replay waits on it between samples). */
  async settled(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.settled()));
  }

  private now(): number {
    return this.opts.clock ? this.opts.clock() : Date.now();
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
    const since = (recent[0]?.ts ?? this.now()) - this.intervalMs;
    const steps = this.extra.get(host)?.decider.featuresSince(since) ?? [];
    this.learn(steps.map((s) => ({ env: this.envName, host, ts: s.ts, label: 0, source: 'mark-expected', features: s.features })));
  }

  private onSample(host: string, sample: Sample): void {
    const h = this.hosts.get(host);
    const x = this.extra.get(host);
    if (!h || !x) return;
    this.emit('sample', host, sample);
    x.previous = x.last;
    x.last = sample;
    this.followBaseline(host, h, x);
    this.noticeRelease(host, x, sample);
    if (x.cure && !h.paused) this.checkCure(host, x, observationsOf(sample, x.previous), sample.ts);
    const before = h.current()?.state ?? null;
    const outcome = h.onSample(sample, this.now());
    if (!outcome) return;
    x.evidence.update(outcome.findings, outcome.risk.ts);
    this.afterRisk(outcome.risk, before, outcome.phase, outcome.findings);
    if (outcome.findings.length > 0) this.emit('findings', host, outcome.findings);
  }

  /**
   * A new release on a host (the `current` target changed between samples). Someone else's
   * deploy is judged once it has settled: healthy, it is proposed as the new baseline; followed
   * by harm, it is the cause a rollback cures. A rollback's own move is not a deploy.
   */
  private noticeRelease(host: string, x: HostExtra, sample: Sample): void {
    // A source that sees no files and no release (Prometheus) tells nothing of deploys.
    const config = observedConfig(sample);
    if (!config) return;
    for (const [file, hash] of Object.entries(config.files)) {
      if (file in x.files && x.files[file] !== hash) x.release.noteFileChange(file, sample.ts);
      x.files[file] = hash;
    }
    const change = x.release.observe(config.release, sample.ts, this.acting.has(host));
    if (!change) return;
    this.snapshotReleases.delete(host);
    this.emit('release', host, change.from, change.to);
    this.note(host, `new release on ${host}: ${change.from ?? 'none'} → ${change.to ?? 'none'}, deployed outside Plumbline; judged once it has settled (healthy: proposed as the new baseline; harmful: rolled back)`, { release: change });
  }

  /** A baseline promoted outside this watch (a proposal accepted with `plumbline promote`) becomes the reference. */
  private followBaseline(host: string, h: HostWatch, x: HostExtra): void {
    const now = this.now();
    if (now - x.baselineCheckedAt < BASELINE_CHECK_MS || this.acting.has(host)) return;
    x.baselineCheckedAt = now;
    const b = this.engine.store.activeBaseline(this.envName, host);
    if (!b || b.version === h.baselineVersion) return;
    h.rebaseline({ version: b.version, fingerprint: b.fingerprint }, false);
    x.release.rebase(b.fingerprint.app.release?.target ?? null);
    x.baselineAt = Date.parse(b.promotedAt);
    x.decider.setBaselineAt(x.baselineAt);
    this.snapshotReleases.delete(host);
    this.emit('log', `${host}: baseline v${b.version} (${b.reason}) is the reference from now on`);
  }

  private checkSilence(now: number): void {
    for (const h of this.hosts.values()) {
      if (h.lastSampleAt !== null && now - h.lastSampleAt < 1.5 * this.intervalMs) continue;
      const before = h.current()?.state ?? null;
      const risk = h.onSilence(now);
      if (risk) this.afterRisk(risk, before, h.phase);
    }
  }

  /** The cause of this host's risk from everything the watch knows about it. */
  private causeOf(risk: HostRisk): Cause | null {
    // Attributed whenever there are reasons, not only above minor: the risk model reads the cause too.
    if (risk.state === 'nodata' || risk.reasons.length === 0) return null;
    const host = risk.host;
    const x = this.extra.get(host)!;
    const h = this.hosts.get(host)!;
    if (!this.snapshotReleases.has(host)) {
      const snap = this.engine.store.latestSnapshot(this.envName, host);
      this.snapshotReleases.set(host, snap ? (snap.release?.target ?? null) : null);
    }
    const snapshot = this.snapshotReleases.get(host) ?? null;
    const baselineFp = this.engine.store.activeBaseline(this.envName, host)?.fingerprint;
    const baselineRelease = baselineFp?.app.release?.target ?? null;
    const now = x.release.now;
    let change = x.release.change;
    if (!change && snapshot !== null && now !== snapshot) {
      // Deployed after the snapshot, before the baseline (a canary promoted, then watched).
      change = { path: this.env.layers.app.release ?? null, from: snapshot, to: now, at: x.baselineAt, seen: 'snapshot', files: [] };
    }
    const sw = this.env.actions.switch;
    const addresses = sw?.blue && sw.green ? { blue: sw.blue, green: sw.green } : null;
    const upstream = sw?.upstream ? baselineFp?.app.files.find((f) => f.remote === sw.upstream)?.content : undefined;
    const serving = servingColour(upstream, addresses);
    const input = causeInputOf({
      risk,
      sample: x.last,
      detectors: h.layerDetectors,
      evidence: x.evidence,
      release: this.env.layers.app.release ? { now, baseline: baselineRelease, snapshot, change } : null,
      colours: serving ? { serving, idle: null } : null,
      cleanup: { configured: (this.env.actions.remediate?.commands?.length ?? 0) > 0, freed: x.cleanupFreed },
      switchFile: switchOwnedFile(this.env),
      intervalMs: this.intervalMs,
    });
    return attributeCause(input);
  }

  private afterRisk(risk: HostRisk, before: RiskState | null, phase: HostPhase, findings: Finding[] = []): void {
    this.emit('risk', risk, phase);
    if (risk.state !== before) this.emit('riskChanged', risk, before);
    if (this.acting.has(risk.host)) return;
    const x = this.extra.get(risk.host)!;
    if (risk.state === 'ok') x.cleanupFreed = null;
    const cause = this.causeOf(risk);
    const release = this.releaseView(risk.host, x);
    this.emit('interval', { risk, findings, release, cause });
    const { decision, judgement } = x.decider.next(risk, findings, release, cause);
    this.decisionFeatures.set(decision, judgement.features);
    const state = judgement.risk.state;
    // What the detectors see deviate is explained even where the judged level is ok (a diagnostic).
    const deviates = state !== 'ok' || (risk.state !== 'ok' && risk.state !== 'nodata');
    if (deviates && cause?.kind === 'deploy' && cause.settled) this.propose(risk.host, cause, decision);
    if (decision.tier === null && (decision.cause === null || !deviates)) {
      this.lastDecision.delete(risk.host);
      return;
    }
    const key = `${decision.tier}|${decision.blockedBy ?? ''}|${decision.execute}|${decision.needsApproval}|${decision.cause?.kind ?? ''}`;
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
      summary: `${decision.tier === null ? 'no action' : `tier ${decision.tier} ${decision.action}`} (${decision.cause?.kind ?? 'no cause'}, ${decision.mode}${decision.blockedBy ? `, blocked: ${decision.blockedBy}` : ''}, decided by ${decision.decidedBy}): ${decision.why} [metrics from ${this.metricsSource}]`,
      details: { decision, metricsFrom: this.metricsSource },
    });
    if (decision.blockedBy || decision.tier === null) return;
    if (decision.execute) this.track(this.run(decision, false));
    else if (decision.mode === 'shadow') this.track(this.run(decision, true));
    else if (decision.needsApproval && this.opts.approve) this.track(this.approveThenRun(decision));
  }

  /** The release the host runs, its baseline's and its latest snapshot's; null until a sample came. */
  private releaseView(host: string, x: HostExtra): ReleaseView | null {
    if (!x.last) return null;
    if (!this.snapshotReleases.has(host)) {
      const snap = this.engine.store.latestSnapshot(this.envName, host);
      this.snapshotReleases.set(host, snap ? (snap.release?.target ?? null) : null);
    }
    const baseline = this.engine.store.activeBaseline(this.envName, host)?.fingerprint.app.release?.target ?? null;
    // A source that cannot see the release (Prometheus) leaves it where the baseline has it.
    return { now: observedConfig(x.last)?.release ?? baseline, baseline, snapshot: this.snapshotReleases.get(host) ?? null };
  }

  /** Feedback labels into the store, and the updated risk model into every host's decider. */
  private learn(entries: RiskFeedback[]): void {
    try {
      const model = this.feedback.record(entries);
      if (model) for (const x of this.extra.values()) x.decider.setModel(model);
    } catch (e) {
      this.emit('log', `risk model: feedback not stored (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  /** A settled, healthy deploy: proposed once as the new baseline; the watch accepts it and the app relearns its normal on it. */
  private propose(host: string, cause: Extract<Cause, { kind: 'deploy' }>, decision: Decision): void {
    const x = this.extra.get(host)!;
    const target = cause.release.to ?? '';
    if (x.proposed.has(target)) return;
    x.proposed.add(target);
    const proposal: Proposal = {
      kind: 'promote-baseline',
      host,
      release: cause.release,
      command: `plumbline promote ${this.envName} ${host}`,
      why: `release ${releaseName(cause.release.to)} deployed outside Plumbline has served without harm for the settle window; promote it as the new baseline`,
    };
    decision.proposal = proposal;
    this.hosts.get(host)?.acceptRelease(cause.release.to, Object.fromEntries(cause.release.files.map((f) => [f, x.files[f] ?? null])));
    this.emit('proposal', proposal);
    this.note(host, `${cause.summary}: no action; proposed as the new baseline (${proposal.command}); the app relearns its normal on it`, { proposal, cause });
  }

  /** What the watch itself noticed (a release, a proposal), in the audit log. */
  private note(host: string, summary: string, details: Record<string, unknown>): void {
    this.engine.auditLog().record({ env: this.envName, host, kind: 'decision', outcome: 'decided', actor: 'watch', summary, details });
  }

  private async approveThenRun(decision: Decision): Promise<void> {
    this.acting.add(decision.host);
    let bound: { configHash: string } | undefined;
    try {
      const answer = await this.opts.approve!(decision);
      const approved = answer !== false;
      if (typeof answer === 'object') bound = answer;
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
    await this.run(decision, false, bound);
  }

  /**
   * Runs the decided action (a dry run in shadow mode), then checks its cure against the reason
   * that triggered it over the next samples; the host counts as acting until that is decided.
   */
  private async run(decision: Decision, dryRun: boolean, approved?: { configHash: string }): Promise<void> {
    const host = decision.host;
    // A dry run (shadow mode) changes nothing on the host, so deciding goes on meanwhile: the
    // decisions shadow mode records do not depend on how long the dry run took (replay gives them again).
    if (!dryRun) this.acting.add(host);
    const watch = this.hosts.get(host);
    const x = this.extra.get(host)!;
    if (!dryRun) watch?.pause();
    let checking = false;
    try {
      const reasons = [decision.why, ...decision.reasons.slice(0, 5).map((r) => r.detail)];
      const report = await this.engine.act(this.envName, host, decision.action!, { ...this.opts.act, dryRun, reasons, ...(approved ? { approved } : {}) });
      this.emit('action', report, decision);
      this.snapshotReleases.delete(host);
      if (dryRun) return;
      if (report.status === 'done' && decision.action !== 'remediate') await this.adopt(host, decision.action!, report.auditId, faultMetrics(decision));
      const cure = new CureWatch(decision, report, {
        limits: limitsOf(this.env),
        horizonMs: riskOptionsFromConfig(this.env).forecastHorizonMs,
        need: Math.max(3, this.policy.cfg.persistence[1]),
        windowMs: this.policy.cfg.escalateAfterMs,
        startedAt: this.now(),
        service: serviceEvidence(x.evidence.bands()),
      });
      const now = cure.immediate();
      if (now) this.cureDecided(host, now, decision);
      else {
        x.cure = cure;
        checking = true;
        this.emit('log', `${host}: checking the ${decision.action}'s cure against ${triggerText(decision)} for up to ${Math.round(this.policy.cfg.escalateAfterMs / 1000)} s`);
      }
    } catch (e) {
      this.emit('log', `${host}: ${decision.action} failed to run: ${e instanceof Error ? e.message : String(e)}`);
      if (!dryRun) this.policy.recordAction(host, decision.tier!, this.now(), 'not-cured', decision.cause?.kind);
    } finally {
      if (!dryRun) {
        watch?.resume();
        this.policy.actionFinished(host);
      }
      if (!checking) this.acting.delete(host);
    }
  }

  private checkCure(host: string, x: HostExtra, observations: ReturnType<typeof observationsOf>, ts: number): void {
    const result = x.cure!.add(observations, Math.max(ts, this.now()));
    if (result) this.cureDecided(host, result, x.cure!.decision);
  }

  /** The cure check ended: the policy learns the outcome (a tier that did not cure is not tried again in the episode). */
  private cureDecided(host: string, result: CureResult, decision: Decision): void {
    const x = this.extra.get(host)!;
    x.cure = null;
    this.acting.delete(host);
    if (decision.cause?.kind === 'disk-fill' && decision.tier === 1) x.cleanupFreed = result.cured;
    this.policy.recordAction(host, decision.tier!, this.now(), result.cured ? 'cured' : 'not-cured', decision.cause?.kind);
    this.lastDecision.delete(host);
    this.emit('cure', result, decision);
    this.engine.auditLog().record({
      env: this.envName,
      host,
      kind: 'action',
      action: decision.action ?? undefined,
      outcome: result.cured ? 'done' : 'verify-failed',
      actor: 'watch',
      summary: `${decision.action} on ${host} (${decision.cause?.kind ?? 'no cause'}): ${result.summary}`,
      details: { cure: result },
    });
  }

  /**
   * After a verified switch or rollback the host's intended state has changed (the upstream points
   * at the other colour; the release is the pre-deployment one): that state becomes the host's
   * baseline, so the change the action made is not itself reported as drift. After a rollback
   * the app relearns its normal on the release it returned to.
   */
  private async adopt(host: string, action: 'switch' | 'rollback', auditId: number | undefined, keep: ReadonlySet<string>): Promise<void> {
    const r = await this.engine.rebaseline(this.envName, host, `after a verified ${action}${auditId ? ` (audit #${auditId})` : ''}`);
    if (!r.ok) {
      this.emit('log', `${host}: could not adopt the state after ${action} as the baseline: ${r.error.message}`);
      return;
    }
    const b = r.value;
    const modelDir = path.join(this.engine.dataDir, 'models', this.envName, host, `v${b.version}`);
    this.hosts.get(host)?.rebaseline({ version: b.version, fingerprint: b.fingerprint }, action === 'rollback', modelDir, keep);
    const x = this.extra.get(host);
    if (x) {
      x.release.rebase(b.fingerprint.app.release?.target ?? null);
      x.baselineAt = Date.parse(b.promotedAt);
      x.decider.setBaselineAt(x.baselineAt);
    }
    this.emit('log', `${host}: baseline v${b.version} promoted ${b.reason}`);
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }
}

/** What users get (health, latency, errors through the front door) held to its baseline band: how a switch without harm is judged. */
function serviceEvidence(bands: Record<string, { low: number; high: number }>): Evidence[] {
  return [...SERVICE_METRICS].flatMap((metric): Evidence[] => {
    const band = bands[`app.${metric}`];
    return band ? [{ layer: 'app', metric, source: 'stats', band, baseline: null, now: null, since: null, score: 0, detail: `${metric} within its baseline band` }] : [];
  });
}

/** The limits of plumbline.yaml by `layer.metric`: what a cure check holds a metric to. */
function limitsOf(env: EnvironmentConfig): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [layer, o] of Object.entries(layerOptions(env))) for (const [metric, spec] of Object.entries(o?.limits ?? {})) if (spec.value !== undefined) out[`${layer}.${metric}`] = spec.value;
  return out;
}

/**
 * The metrics (`layer.metric`) of the fault the action was taken on: its cause's evidence and
 * harm. Not `triggerOf` (cureWatch.ts), which is what the action is judged cured by (a switch: the
 * service users get); these stay flagged when the state after the action becomes the baseline.
 */
function faultMetrics(d: Decision): Set<string> {
  const cause = d.cause;
  if (!cause) return new Set();
  return new Set([...cause.evidence, ...cause.harm].filter((e) => e.source !== 'config').map((e) => `${e.layer}.${e.metric}`));
}

function triggerText(d: Decision): string {
  const cause = d.cause;
  if (!cause) return 'its trigger';
  const ev = cause.harm.length ? cause.harm : cause.evidence;
  return ev.filter((e) => e.source !== 'config').map((e) => `${e.layer}.${e.metric}`).slice(0, 3).join(', ') || 'its trigger';
}
