import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostDetectors, type HostDetectors } from '../detect/layer/hosts';
import type { LayerDetectorOptions, LayerDetectorState } from '../detect/layer/layerDetector';
import { LayerDetector } from '../detect/layer/layerDetector';
import type { LimitSpec } from '../detect/layer/forecast';
import type { Finding, Layer, LayerObservation } from '../detect/layer/types';
import type { Fingerprint } from '../fingerprint/types';
import type { Sample } from '../monitor/sample';
import { RISK_LAYERS, RiskTracker, type HostRisk, type RiskOptions } from '../risk';
import { HARM_MIN_SCORE, SERVICE_METRICS, isHarm } from '../policy/cause';
import { configDriftFindings } from './configDrift';
import { weighByHeadroom } from './headroom';
import { LoadGate } from './loadGate';
import { observationsOf } from './observations';

/**
 * The streaming agent re-reads file hashes about every 5 s (the release link every interval), whatever the
 * interval; for this long after a new baseline its samples may describe the host before the action.
 */
export const CONFIG_REREAD_MS = 7_000;

/** How often the detectors' state is written while watching, so a restart resumes instead of learning again. */
export const STATE_SAVE_MS = 60_000;

export type HostPhase =
  | { kind: 'learning'; have: number; need: number }
  | { kind: 'training' }
  | { kind: 'watching'; since: number };

export interface HostWatchOptions {
  host: string;
  /** The active baseline this watch compares against; without one only config drift is unknown too. */
  baseline?: { version: number; fingerprint: Fingerprint };
  risk: RiskOptions;
  /** Samples after the baseline that form the detectors' training window. */
  warmup: number;
  detector?: Omit<LayerDetectorOptions, 'host' | 'layer'>;
  perLayer?: Partial<Record<Layer, Omit<LayerDetectorOptions, 'host' | 'layer'>>>;
  /** Where trained detectors for this host and baseline version are kept; none: not persisted. */
  modelDir?: string;
  log?: (line: string) => void;
}

export interface SampleOutcome {
  risk: HostRisk;
  findings: Finding[];
  phase: HostPhase;
}

/**
 * Everything Plumbline keeps about one watched host: its layer detectors (trained on the window
 * right after the baseline, persisted per baseline version), its risk tracker, and the previous
 * sample for rates. Samples in, risk and findings out.
 */
export class HostWatch {
  private detectors: HostDetectors | null = null;
  private readonly window: LayerObservation[][] = [];
  private previous: Sample | undefined;
  private tracker: RiskTracker;
  private phaseNow: HostPhase;
  private pausedNow = false;
  private readonly loadGate = new LoadGate();
  private configQuietUntil = 0;
  private savedAt = 0;
  private training: Promise<void> = Promise.resolve();
  /** The app layer relearning its normal (a new release): clean samples so far. */
  private relearning: LayerObservation[] | null = null;
  /** A release accepted as a healthy deploy: its drift from the baseline is not scored... */
  private acceptedRelease: string | null | undefined;
  /** ...nor that of the managed files deployed with it, as long as they keep the hashes they came with. */
  private acceptedFiles: Record<string, string | null> = {};
  /** The limits plumbline.yaml sets per layer (memory, latency SLO, fds, disk). */
  private readonly limits: Partial<Record<Layer, Record<string, LimitSpec>>>;
  lastSampleAt: number | null = null;

  constructor(private o: HostWatchOptions) {
    this.tracker = new RiskTracker(o.host, o.risk);
    this.limits = Object.fromEntries(
      RISK_LAYERS.map((l) => [l, Object.fromEntries(Object.entries(o.perLayer?.[l]?.limits ?? {}).filter((e): e is [string, LimitSpec] => e[1] !== null))]),
    );
    this.phaseNow = { kind: 'learning', have: 0, need: o.warmup };
    this.detectors = this.load();
    if (this.detectors) {
      this.phaseNow = { kind: 'watching', since: Date.now() };
      o.log?.(`${o.host}: detectors resumed from their saved state`);
    }
  }

  get host(): string {
    return this.o.host;
  }

  get phase(): HostPhase {
    return this.phaseNow;
  }

  /** The version of the baseline this watch compares against, if any. */
  get baselineVersion(): number | null {
    return this.o.baseline?.version ?? null;
  }

  /** Between `pause` and `resume`: an action is changing the host. */
  get paused(): boolean {
    return this.pausedNow;
  }

  get layerDetectors(): HostDetectors | null {
    return this.detectors;
  }

  /**
   * An action is changing the host: what it looks like meanwhile (a restart's missing process, a
   * reload's slow answer) is the action's doing, not news. Samples keep rates going but are not
   * scored until `resume`.
   */
  pause(): void {
    this.pausedNow = true;
  }

  /** After an action: scoring resumes with a fresh risk tracker, since the old evidence is stale. */
  resume(): void {
    this.pausedNow = false;
    this.tracker = new RiskTracker(this.o.host, this.o.risk);
  }

  /** One sample: observations, findings (once trained), config drift, and the host's risk. */
  onSample(sample: Sample, now: number): SampleOutcome | null {
    this.lastSampleAt = now;
    const observations = observationsOf(sample, this.previous);
    // A new agent run restarts its counters: rates need two samples of the same run.
    this.previous = sample;
    if (this.pausedNow) return null;
    let findings: Finding[] = [];
    if (this.detectors && this.phaseNow.kind === 'watching') {
      for (const obs of observations) findings.push(...this.detectors[obs.layer].observe(obs));
      findings = weighByHeadroom(this.loadGate.apply(findings, now), this.limits);
      if (now - this.savedAt >= STATE_SAVE_MS) this.saveState(now);
      if (this.relearning) findings = this.relearnStep(findings, observations);
    } else if (this.phaseNow.kind === 'learning') {
      this.window.push(observations);
      this.phaseNow = { kind: 'learning', have: this.window.length, need: this.o.warmup };
      if (this.window.length >= this.o.warmup) this.training = this.train();
    }
    // Right after a new baseline the agent may still report the hashes it read before the action.
    if (this.o.baseline) {
      const drift = now < this.configQuietUntil ? [] : configDriftFindings(sample, this.o.baseline.fingerprint, now);
      const accepted = this.acceptedRelease;
      const files = this.acceptedFiles;
      const acceptedFile = (metric: string): boolean => {
        const file = metric.startsWith('file:') ? metric.slice('file:'.length) : null;
        return file !== null && file in files && sample.config.files[file] === files[file];
      };
      this.tracker.setConfigDrift(accepted === undefined ? drift : drift.filter((f) => !(f.metric === 'release' && f.value === accepted) && !acceptedFile(f.metric)));
    }
    const risk = this.tracker.update(now, findings, { sampleSeen: true });
    return { risk, findings, phase: this.phaseNow };
  }

  /**
   * A new baseline for this host (promoted after a verified switch or rollback). Config drift is
   * measured against it from now on; `retrain` also relearns behaviour from the next samples
   * (after a rollback the host runs another release than the detectors learnt).
   */
  rebaseline(baseline: { version: number; fingerprint: Fingerprint }, retrain: boolean, modelDir?: string, keep: ReadonlySet<string> = new Set()): void {
    this.o.baseline = baseline;
    this.acceptedRelease = undefined;
    this.acceptedFiles = {};
    this.configQuietUntil = Date.now() + CONFIG_REREAD_MS;
    if (modelDir) this.o.modelDir = modelDir;
    if (!retrain) {
      // The promoted state is the intended one: levels the detectors flag now are adopted, as are
      // those that begin while the action's after-effects settle; not the metrics that triggered
      // the action (`keep`, as `layer.metric`): a switch moves users off a bad colour, it does not
      // take the bad colour's hog off the host, so the hog is not learned as normal.
      if (this.detectors) {
        for (const l of RISK_LAYERS) {
          const mine = new Set([...keep].filter((k) => k.startsWith(`${l}.`)).map((k) => k.slice(l.length + 1)));
          this.detectors[l].accept(CONFIG_REREAD_MS, mine);
        }
      }
      return;
    }
    if (this.detectors) {
      // The machine and the OS did not change with the release: only the app relearns.
      this.relearnApp();
      return;
    }
    this.window.length = 0;
    this.phaseNow = { kind: 'learning', have: 0, need: this.o.warmup };
  }

  /** Resolves once training or relearning that has started is over (replay feeds samples faster than it trains). */
  settled(): Promise<void> {
    return this.training;
  }

  /**
   * A healthy release the watch accepted (a deploy by someone else): its drift from the baseline
   * stays a proposal for a person, not risk; the app relearns its normal on it.
   */
  acceptRelease(target: string | null, files: Record<string, string | null> = {}): void {
    this.acceptedRelease = target;
    this.acceptedFiles = { ...files };
    if (this.detectors) this.relearnApp();
  }

  /** Whether the app layer is relearning (a new release), and how far. */
  get relearnProgress(): { have: number; need: number } | null {
    return this.relearning ? { have: this.relearning.length, need: this.o.warmup } : null;
  }

  /**
   * Relearn the app's normal from the next clean samples, keeping the old app detector meanwhile
   * for what users see (service metrics, forecasts): a new release may use more memory or CPU,
   * but not fail more. A sample is clean when users see no harm and the machine and OS show
   * nothing (a hog running, a fault) — those are never learnt as the app's normal.
   */
  relearnApp(): void {
    this.relearning = [];
    this.o.log?.(`${this.o.host}: relearning the app's normal from the next ${this.o.warmup} clean samples`);
  }

  private relearnStep(findings: Finding[], observations: LayerObservation[]): Finding[] {
    const window = this.relearning!;
    const clean = !findings.some((f) => (f.layer !== 'app' && f.source !== 'config' && f.score >= HARM_MIN_SCORE) || isHarm(f));
    const app = observations.find((o) => o.layer === 'app');
    if (clean && app) window.push(app);
    if (window.length >= this.o.warmup) {
      this.relearning = null;
      this.training = this.finishRelearn(window);
    }
    return findings.filter((f) => f.layer !== 'app' || f.source === 'forecast' || SERVICE_METRICS.has(f.metric));
  }

  private async finishRelearn(window: LayerObservation[]): Promise<void> {
    const d = new LayerDetector({ ...this.o.detector, ...this.o.perLayer?.app, host: this.o.host, layer: 'app' });
    try {
      await d.train(window);
    } catch (e) {
      this.o.log?.(`${this.o.host}: relearning the app failed (${e instanceof Error ? e.message : String(e)}); the old detector stays`);
      d.dispose();
      return;
    }
    if (!this.detectors) return d.dispose();
    const old = this.detectors.app;
    this.detectors = { ...this.detectors, app: d };
    old.dispose();
    this.o.log?.(`${this.o.host}: the app relearnt its normal from ${window.length} clean samples`);
    await this.save();
    this.onRelearnt?.();
  }

  /** Called when the detectors changed (trained, loaded, relearnt): bands are read again. */
  onRelearnt?: () => void;

  /** An interval without a sample: the tracker counts silence towards its no-data state. */
  onSilence(now: number): HostRisk | null {
    return this.pausedNow ? null : this.tracker.update(now, [], { sampleSeen: false });
  }

  current(): HostRisk | null {
    return this.tracker.current();
  }

  /**
   * A change judged healthy (a release the policy judged good, a baseline a person promoted): every
   * metric flagged now adopts its level, and so do those that begin within `graceMs`. Returns the
   * metrics that adopted, per layer.
   */
  acceptChanges(graceMs = 0): Partial<Record<Layer, string[]>> {
    if (!this.detectors) return {};
    const out = Object.fromEntries(RISK_LAYERS.map((l) => [l, this.detectors![l].accept(graceMs)]));
    this.saveState(Date.now());
    return out;
  }

  /**
   * Feedback: what the recent samples showed is expected, and stays so (it is not flagged again);
   * kept with the detectors' state, with who and why, under `meta.id` for `forgetExpected`.
   */
  async markExpected(
    metric: string | 'all',
    recent: Sample[],
    meta: { id: string; at: number; by?: string; why?: string } = { id: `expected-${Date.now()}`, at: Date.now() },
  ): Promise<string[]> {
    if (!this.detectors) return [];
    const byLayer = new Map<Layer, LayerObservation[]>(RISK_LAYERS.map((l) => [l, []]));
    let prev: Sample | undefined;
    for (const s of recent) {
      for (const obs of observationsOf(s, prev)) byLayer.get(obs.layer)!.push(obs);
      prev = s;
    }
    const marked: string[] = [];
    for (const layer of RISK_LAYERS) {
      const r = await this.detectors[layer].markExpected(metric, byLayer.get(layer)!, meta);
      marked.push(...Object.keys(r).map((m) => `${layer}.${m}`));
    }
    await this.save();
    return marked;
  }

  /** Undo of `markExpected`: the deviations remembered under `id` are flagged again. */
  forgetExpected(id: string): string[] {
    if (!this.detectors) return [];
    const out = RISK_LAYERS.flatMap((l) => this.detectors![l].forget(id).map((m) => `${l}.${m}`));
    this.saveState(Date.now());
    return out;
  }

  dispose(): void {
    if (this.detectors && this.phaseNow.kind === 'watching') this.saveState(Date.now());
    if (this.detectors) for (const l of RISK_LAYERS) this.detectors[l].dispose();
  }

  private async train(): Promise<void> {
    this.phaseNow = { kind: 'training' };
    const started = Date.now();
    const detectors = hostDetectors(this.o.host, this.o.detector, this.o.perLayer);
    try {
      for (const layer of RISK_LAYERS) {
        await detectors[layer].train(this.window.map((obs) => obs.find((o) => o.layer === layer)!));
      }
    } catch (e) {
      this.o.log?.(`${this.o.host}: training failed (${e instanceof Error ? e.message : String(e)}); watching with statistics only`);
    }
    this.detectors = detectors;
    this.window.length = 0;
    this.phaseNow = { kind: 'watching', since: Date.now() };
    this.onRelearnt?.();
    this.o.log?.(`${this.o.host}: detectors trained in ${Date.now() - started} ms`);
    await this.save();
  }

  private async save(): Promise<void> {
    const dir = this.o.modelDir;
    if (!dir || !this.detectors) return;
    this.saveState(Date.now());
    for (const layer of RISK_LAYERS) await this.detectors[layer].saveModel(path.join(dir, layer, 'model'));
  }

  /** The detectors' state (each metric detector, accepted trends), written atomically; the models are saved when trained. */
  private saveState(now: number): void {
    const dir = this.o.modelDir;
    this.savedAt = now;
    if (!dir || !this.detectors) return;
    try {
      for (const layer of RISK_LAYERS) {
        const layerDir = path.join(dir, layer);
        fs.mkdirSync(layerDir, { recursive: true, mode: 0o700 });
        const tmp = path.join(layerDir, 'state.json.tmp');
        fs.writeFileSync(tmp, JSON.stringify(this.detectors[layer].toJSON()));
        fs.renameSync(tmp, path.join(layerDir, 'state.json'));
      }
    } catch (e) {
      this.o.log?.(`${this.o.host}: could not save the detectors' state (${e instanceof Error ? e.message : String(e)}); a restart will learn again`);
    }
  }

  /** Detectors trained earlier for this baseline version, when every layer's state is there. */
  private load(): HostDetectors | null {
    const dir = this.o.modelDir;
    if (!dir) return null;
    const states = RISK_LAYERS.map((layer) => {
      try {
        const s = JSON.parse(fs.readFileSync(path.join(dir, layer, 'state.json'), 'utf8')) as LayerDetectorState;
        // A state from an older Plumbline (fitted statistics, no metric detectors) is learned again.
        return s.version === 2 ? s : null;
      } catch {
        return null;
      }
    });
    if (states.some((s) => s === null)) return null;
    const detectors = Object.fromEntries(
      RISK_LAYERS.map((layer, i) => [layer, LayerDetector.fromJSON(states[i]!, { ...this.o.detector, ...this.o.perLayer?.[layer] })]),
    ) as HostDetectors;
    // The models load asynchronously; statistics and forecasts work meanwhile.
    for (const layer of RISK_LAYERS) {
      void detectors[layer]
        .loadModel(path.join(dir, layer, 'model'))
        .catch(() => detectors[layer].retrainModel())
        .catch((e: unknown) => this.o.log?.(`${this.o.host}: ${layer} model unavailable (${String(e)}); statistics only`));
    }
    return detectors;
  }
}
