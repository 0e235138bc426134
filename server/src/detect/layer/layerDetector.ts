import { MetricDetector, METRIC_CONSTANTS, type ExpectedDeviation, type MetricDetectorState } from '../metric/metricDetector';
import { LayerAutoencoder, type AutoencoderOptions, type ModelScore } from '../model/autoencoder';
import { BaselineRows, thin, type BaselineRowsJSON } from './baselineRows';
import { Forecaster, type ForecastOptions, type LimitSpec } from './forecast';
import { detectorOptionsFor, metricProfile, type MetricProfile } from './metricProfile';
import { robustScale, robustStats, zToScore, type RobustStats } from './robust';
import { fmt, type Finding, type HostFacts, type Layer, type LayerObservation } from './types';

export interface LayerDetectorOptions {
  host: string;
  layer: Layer;
  facts?: HostFacts;
  /** Per-metric direction and floors over metricProfile.ts's. */
  profiles?: Record<string, Partial<MetricProfile>>;
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
  version: 2;
  host: string;
  layer: Layer;
  metrics: Record<string, MetricDetectorState>;
  baseline: BaselineRowsJSON;
  acceptedSlopes: Record<string, number>;
  /** Rows the metric detectors learn before scoring (the training window); absent: their default. */
  warmup?: number;
}

/** A finding's score from the metric detector's z: 0 up to 3, 0.63 at 7, 0.86 at 11 (what risk's thresholds were set on). */
const Z_TO_SCORE = { zStart: 3, zSpread: 4 };

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
 * The detectors of one (host, layer): one streaming metric detector per metric (the one `score`
 * and the benchmarks run; it learns all the time), forecasts of limits, and the autoencoder over
 * the layer's metric vector, trained on the window after the baseline and on feedback. `observe`
 * is synchronous; training and feedback are not (tfjs trains asynchronously).
 */
export class LayerDetector {
  readonly host: string;
  readonly layer: Layer;
  private readonly o: LayerDetectorOptions & typeof DEFAULTS;
  private metrics = new Map<string, MetricDetector>();
  private readonly forecaster: Forecaster;
  private model: LayerAutoencoder | null = null;
  /** Rows the metric detectors learn before scoring: the training window's length once trained. */
  private warmup: number | undefined;
  private baseline = BaselineRows.empty();
  private readonly missing = new Map<string, number>();

  constructor(options: LayerDetectorOptions) {
    this.o = { ...DEFAULTS, ...options };
    this.host = options.host;
    this.layer = options.layer;
    this.forecaster = new Forecaster(this.layer, options.limits, options.facts, options.forecast);
  }

  get trained(): boolean {
    return this.baseline.length > 0;
  }

  get autoencoder(): LayerAutoencoder | null {
    return this.model;
  }

  /** What the metric's detector expects now, if it has learned the metric. */
  baselineOf(metric: string): number | undefined {
    const e = this.metrics.get(metric)?.lastExpected;
    return e === undefined || !Number.isFinite(e) ? undefined : e;
  }

  /** Each metric's normal range in the baseline rows (1st to 99th percentile), for people to read. */
  bands(): Record<string, { low: number; high: number }> {
    const out: Record<string, { low: number; high: number }> = {};
    for (const [metric, values] of this.baseline.columns()) {
      const v = values.filter(Number.isFinite).sort((a, b) => a - b);
      if (v.length === 0) continue;
      const at = (q: number): number => v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))];
      out[metric] = { low: at(0.01), high: at(0.99) };
    }
    return out;
  }

  /** The metric detector of `metric` (created on first sight, with the metric's direction and floors). */
  detectorOf(metric: string): MetricDetector {
    let d = this.metrics.get(metric);
    if (!d) {
      // Observations already turn counters into rates (watch/observations.ts).
      d = new MetricDetector({ ...detectorOptionsFor(metric, this.o.profiles), ...(this.warmup ? { warmup: this.warmup } : {}) });
      this.metrics.set(metric, d);
    }
    return d;
  }

  /**
   * The window right after a baseline (a good deployment): the metric detectors learn it as their
   * warm-up, the model is trained on it, and the trend windows start with it, so a slope that began
   * with the deployment is visible from the first scored sample.
   */
  async train(window: readonly LayerObservation[]): Promise<void> {
    this.baseline = BaselineRows.from(
      window.map((w) => w.metrics),
      this.o.maxBaselineRows,
    );
    this.metrics.clear();
    // The metric detectors learn exactly this window: scored from the next row on.
    this.warmup = window.length;
    this.forecaster.reset();
    for (const obs of window) {
      this.metricFindings(obs);
      this.forecaster.update(obs);
    }
    this.missing.clear();
    await this.retrain(this.baseline.records());
  }

  /** Everything but the model: metric detectors, forecasts, missing metrics. */
  observeStats(obs: LayerObservation): Finding[] {
    const out = this.metricFindings(obs);
    out.push(...this.forecaster.findings(obs));
    out.push(...this.missingFindings(obs));
    return out;
  }

  /** One finding per metric whose detector flags the row (a flagged state persists until it ends, is adopted or accepted). */
  private metricFindings(obs: LayerObservation): Finding[] {
    const out: Finding[] = [];
    for (const [metric, value] of Object.entries(obs.metrics)) {
      if (value === null || !Number.isFinite(value)) continue;
      const r = this.detectorOf(metric).update(obs.ts, value);
      if (r.state !== 'anomalous') continue;
      const side = r.value >= r.expected ? 1 : -1;
      out.push({
        ts: obs.ts,
        layer: this.layer,
        source: 'stats',
        metric,
        value,
        baseline: r.expected,
        threshold: r.expected + side * METRIC_CONSTANTS.alertZ * r.scale,
        score: zToScore(r.z, Z_TO_SCORE),
        detail: `${r.detail}${r.since !== undefined && r.since < obs.ts ? ` since ${new Date(r.since).toISOString()}` : ''}.`,
      });
    }
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
    for (const metric of this.baseline.metrics) {
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
   * Feedback: what `metric` (or every metric, `'all'`) did during `window` is expected. Each metric
   * detector remembers the deviation (rows that show it again are not flagged), the forecaster
   * accepts the trend, and the model is retrained with the window in its baseline. Returns what was
   * remembered per metric, with `id`, for `forget`.
   */
  async markExpected(
    metric: string | 'all',
    window: readonly LayerObservation[],
    meta: { id: string; at: number; by?: string; why?: string } = { id: `expected-${Date.now()}`, at: Date.now() },
  ): Promise<Record<string, ExpectedDeviation>> {
    const remembered: Record<string, ExpectedDeviation> = {};
    if (window.length === 0) return remembered;
    const metrics = metric === 'all' ? this.flaggedIn(window) : [metric];
    for (const m of metrics) {
      const values = window.map((w) => w.metrics[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const dev = this.metrics.get(m)?.expect(values, meta);
      if (dev) remembered[m] = dev;
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
    return remembered;
  }

  /** Undo of `markExpected` for the metric detectors: the deviations with `id` are flagged again. */
  forget(id: string): string[] {
    return [...this.metrics].filter(([, d]) => d.forget(id)).map(([m]) => m);
  }

  /**
   * A level change judged healthy (a promoted baseline, a release judged good): every flagged
   * metric adopts its level now, except those in `keep` (the evidence of a fault the change did
   * not remove from the host: they stay flagged until they come back or hold as a new level).
   */
  accept(graceMs = 0, keep: ReadonlySet<string> = new Set()): string[] {
    return [...this.metrics].filter(([m, d]) => !keep.has(m) && d.accept(graceMs)).map(([m]) => m);
  }

  /** Metrics flagged now or whose values in the window lie beyond their alert level: what a person marking "all expected" accepted. */
  private flaggedIn(window: readonly LayerObservation[]): string[] {
    const out = new Set<string>();
    for (const [m, d] of this.metrics) {
      const last = d.lastExpected;
      const s = d.lastScale;
      if (d.flagged) out.add(m);
      else if (Number.isFinite(last) && window.some((w) => typeof w.metrics[m] === 'number' && Math.abs((w.metrics[m] as number) - last) >= METRIC_CONSTANTS.alertZ * s)) out.add(m);
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
    const stats = new Map<string, RobustStats>();
    for (const m of this.baseline.metrics) {
      const st = robustStats(this.baseline.column(m), metricProfile(m, this.o.profiles));
      if (st) stats.set(m, st);
    }
    const features = this.baseline.metrics.filter((m) => !excluded.has(m) && this.baseline.presence(m) >= PRESENT_SHARE && stats.has(m));
    const center = features.map((m) => stats.get(m)!.median);
    const scale = features.map((m) => robustScale(stats.get(m)!));
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
      version: 2,
      host: this.host,
      layer: this.layer,
      metrics: Object.fromEntries([...this.metrics].map(([m, d]) => [m, d.toJSON()])),
      baseline: this.baseline.toJSON(),
      acceptedSlopes: this.forecaster.acceptedSlopes(),
      ...(this.warmup ? { warmup: this.warmup } : {}),
    };
  }

  /** The metric detectors and forecaster's accepted trends; the model comes from `loadModel` (or `retrainModel`). */
  static fromJSON(state: LayerDetectorState, options: Omit<LayerDetectorOptions, 'host' | 'layer'> = {}): LayerDetector {
    if (state.version !== 2) throw new Error(`unknown layer detector state version ${String(state.version)}`);
    const d = new LayerDetector({ ...options, host: state.host, layer: state.layer });
    d.warmup = state.warmup;
    const warm = state.warmup ? { warmup: state.warmup } : {};
    for (const [m, st] of Object.entries(state.metrics)) d.metrics.set(m, MetricDetector.fromJSON(st, { ...detectorOptionsFor(m, options.profiles), ...warm }));
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
