import { LayerAutoencoder, type AutoencoderOptions, type ModelScore } from '../model/autoencoder';
import { BaselineRows, thin, type BaselineRowsJSON } from './baselineRows';
import { Forecaster, type ForecastOptions, type LimitSpec } from './forecast';
import { RobustBaseline, robustScale, type RobustBaselineJSON, type RobustOptions } from './robust';
import { fmt, type Finding, type HostFacts, type Layer, type LayerObservation } from './types';

export interface LayerDetectorOptions {
  host: string;
  layer: Layer;
  facts?: HostFacts;
  robust?: Partial<RobustOptions>;
  forecast?: Partial<ForecastOptions>;
  /** Per-metric limits over the layer's defaults (`null` removes one). */
  limits?: Record<string, LimitSpec | null>;
  /** `false`: statistics and forecasts only. */
  autoencoder?: Partial<AutoencoderOptions> | false;
  /**
   * Metrics left out of the autoencoder: slow gauges that only statistics and forecasts should
   * judge (disk usage on a filesystem shared with neighbours moves with them, not with the host).
   */
  modelExclude?: string[];
  /** Baseline rows kept for feedback and retraining. */
  maxBaselineRows?: number;
  /** On feedback the accepted window is repeated in the training set until it is at least this share. */
  acceptedShare?: number;
  /** A baseline metric missing this many observations in a row is a `nodata` finding... */
  missingAfter?: number;
  /** ...with this score. */
  missingScore?: number;
  /** Features below this share of the model's error are not named as reasons (the top one always is). */
  minContribution?: number;
  maxModelReasons?: number;
}

export interface LayerDetectorState {
  version: 1;
  host: string;
  layer: Layer;
  robust: RobustBaselineJSON;
  baseline: BaselineRowsJSON;
  acceptedSlopes: Record<string, number>;
}

const DEFAULTS = {
  maxBaselineRows: 256,
  acceptedShare: 0.3,
  missingAfter: 3,
  missingScore: 0.3,
  minContribution: 0.1,
  maxModelReasons: 3,
};

/** A metric must be present in this share of the baseline to be a model feature or be missed. */
const PRESENT_SHARE = 0.9;

/**
 * The detectors of one (host, layer): robust statistics, forecasts of limits and the autoencoder,
 * trained on a baseline window and corrected by feedback. `observe` is synchronous; training and
 * feedback are not (tfjs trains asynchronously).
 */
export class LayerDetector {
  readonly host: string;
  readonly layer: Layer;
  private readonly o: LayerDetectorOptions & typeof DEFAULTS;
  private robust: RobustBaseline;
  private readonly forecaster: Forecaster;
  private model: LayerAutoencoder | null = null;
  private baseline = BaselineRows.empty();
  private readonly missing = new Map<string, number>();

  constructor(options: LayerDetectorOptions) {
    this.o = { ...DEFAULTS, ...options };
    this.host = options.host;
    this.layer = options.layer;
    this.robust = new RobustBaseline(this.layer, options.robust);
    this.forecaster = new Forecaster(this.layer, options.limits, options.facts, options.forecast);
  }

  get trained(): boolean {
    return this.baseline.length > 0;
  }

  get autoencoder(): LayerAutoencoder | null {
    return this.model;
  }

  /** The baseline median of `metric`, if it has one. */
  baselineOf(metric: string): number | undefined {
    return this.robust.stats(metric)?.median;
  }

  /** A new baseline (a good deployment was promoted): statistics refit, model retrained, trends restarted from the window. */
  async train(window: readonly LayerObservation[]): Promise<void> {
    this.baseline = BaselineRows.from(
      window.map((w) => w.metrics),
      this.o.maxBaselineRows,
    );
    this.robust.fit(this.baseline.columns());
    this.forecaster.reset();
    // The training window is also the start of the trend windows: a slope that began with the
    // deployment is visible from the first scored sample, not a forecast window later.
    for (const obs of window) this.forecaster.update(obs);
    this.missing.clear();
    await this.retrain(this.baseline.records());
  }

  /** Everything but the model: statistics, forecasts, missing metrics. Feeds the forecast windows. */
  observeStats(obs: LayerObservation): Finding[] {
    const out = this.robust.findings(obs);
    out.push(...this.forecaster.findings(obs));
    out.push(...this.missingFindings(obs));
    return out;
  }

  observe(obs: LayerObservation): Finding[] {
    const out = this.observeStats(obs);
    if (this.model) out.push(...this.modelFindings(obs, this.model.score(obs.metrics)));
    return out;
  }

  /** The model's score as findings: the features that carry most of the error, the top one at the full score. */
  modelFindings(obs: LayerObservation, s: ModelScore): Finding[] {
    if (!(s.score > 0) || s.contributions.length === 0) return [];
    const top = s.contributions[0].share || 1;
    const named = s.contributions.filter((c, i) => i === 0 || c.share >= this.o.minContribution).slice(0, this.o.maxModelReasons);
    const summary = named.map((c) => `${c.feature} ${Math.round(c.share * 100)}% (${fmt(c.value)}, expected ${fmt(c.expected)})`).join(', ');
    return named.map((c) => ({
      ts: obs.ts,
      layer: this.layer,
      source: 'model' as const,
      metric: c.feature,
      value: c.value,
      baseline: this.baselineOf(c.feature) ?? null,
      threshold: s.threshold,
      score: s.score * (c.share / top),
      detail:
        `${c.feature} contributes ${Math.round(c.share * 100)}% of a reconstruction error ${fmt(s.error / s.threshold)}× ` +
        `the baseline threshold: the ${this.layer} metrics do not move together as in the baseline (${summary}).`,
    }));
  }

  private missingFindings(obs: LayerObservation): Finding[] {
    const out: Finding[] = [];
    for (const metric of this.robust.metrics()) {
      if (this.baseline.presence(metric) < PRESENT_SHARE) continue;
      const v = obs.metrics[metric];
      if (typeof v === 'number' && Number.isFinite(v)) {
        this.missing.delete(metric);
        continue;
      }
      const k = (this.missing.get(metric) ?? 0) + 1;
      this.missing.set(metric, k);
      if (k < this.o.missingAfter) continue;
      out.push({
        ts: obs.ts,
        layer: this.layer,
        source: 'nodata',
        metric,
        value: null,
        baseline: this.baselineOf(metric) ?? null,
        threshold: null,
        score: this.o.missingScore,
        detail: `${metric} has been missing for ${k} samples; the baseline always had it.`,
      });
    }
    return out;
  }

  /**
   * Feedback: what `metric` (or every metric, `'all'`) did during `window` is expected. The
   * window becomes an accepted state of the statistics (values near it stop scoring), an accepted
   * trend of the forecaster, and part of the baseline the model is retrained on.
   */
  async markExpected(metric: string | 'all', window: readonly LayerObservation[]): Promise<void> {
    if (window.length === 0) return;
    const metrics = metric === 'all' ? this.flaggedIn(window) : [metric];
    for (const m of metrics) {
      const values = window.map((w) => w.metrics[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      this.robust.accept(m, values);
      this.forecaster.accept(m);
    }
    const records = window.map((w) => w.metrics);
    this.baseline = this.baseline.blend(records, this.o.maxBaselineRows);
    // Upweight the accepted state so a short window is learned, not averaged away.
    const training = this.baseline.records();
    const wanted = Math.ceil((this.o.acceptedShare * training.length) / (1 - this.o.acceptedShare));
    const present = Math.min(records.length, Math.floor(this.o.maxBaselineRows / 2));
    for (let k = 0; present + k < wanted; k++) training.push(records[k % records.length]);
    await this.retrain(training);
  }

  /** Metrics that scored anywhere in the window: what a person marking "all expected" accepted. */
  private flaggedIn(window: readonly LayerObservation[]): string[] {
    const out = new Set<string>();
    for (const w of window) {
      for (const [m, v] of Object.entries(w.metrics)) {
        if (v === null || out.has(m)) continue;
        const s = this.robust.score(m, v);
        if (!s || s.score > 0) out.add(m);
      }
    }
    return [...out];
  }

  private async retrain(records: ReadonlyArray<Record<string, number | null>>): Promise<void> {
    // The old model keeps scoring while the new one trains; it goes when the new one is in place.
    const old = this.model;
    if (this.o.autoencoder === false) {
      this.model = null;
      old?.dispose();
      return;
    }
    const excluded = new Set(this.o.modelExclude ?? []);
    const features = this.baseline.metrics.filter((m) => !excluded.has(m) && this.baseline.presence(m) >= PRESENT_SHARE && this.robust.stats(m));
    const center = features.map((m) => this.robust.stats(m)!.median);
    const scale = features.map((m) => robustScale(this.robust.stats(m)!));
    const rows = thin(records, this.o.maxBaselineRows * 2).map((r) => features.map((m) => r[m] ?? null));
    this.model = await LayerAutoencoder.train(this.layer, features, { center, scale }, rows, this.o.autoencoder ?? {});
    old?.dispose();
  }

  /** Persists the model next to the state (the state itself goes through `toJSON`). */
  async saveModel(dir: string): Promise<boolean> {
    if (!this.model) return false;
    await this.model.save(dir);
    return true;
  }

  async loadModel(dir: string): Promise<void> {
    const loaded = await LayerAutoencoder.load(dir);
    if (loaded.meta.layer !== this.layer) {
      loaded.dispose();
      throw new Error(`model at ${dir} is for layer ${loaded.meta.layer}, not ${this.layer}`);
    }
    this.model?.dispose();
    this.model = loaded;
  }

  toJSON(): LayerDetectorState {
    return {
      version: 1,
      host: this.host,
      layer: this.layer,
      robust: this.robust.toJSON(),
      baseline: this.baseline.toJSON(),
      acceptedSlopes: this.forecaster.acceptedSlopes(),
    };
  }

  /** The statistics part; the model comes from `loadModel` (or `retrainModel`). */
  static fromJSON(state: LayerDetectorState, options: Omit<LayerDetectorOptions, 'host' | 'layer'> = {}): LayerDetector {
    if (state.version !== 1) throw new Error(`unknown layer detector state version ${String(state.version)}`);
    const d = new LayerDetector({ ...options, host: state.host, layer: state.layer });
    d.robust = RobustBaseline.fromJSON(state.robust, options.robust);
    d.baseline = BaselineRows.fromJSON(state.baseline);
    d.forecaster.restoreAccepted(state.acceptedSlopes);
    return d;
  }

  /** Retrains the model from the kept baseline rows (after `fromJSON` when no model file is at hand). */
  async retrainModel(): Promise<void> {
    await this.retrain(this.baseline.records());
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
