import { counterRate, looksLikeCounter } from './counter';
import { Season, type SeasonState } from './season';
import { RollingWindow } from './window';

/** `up`: only higher is bad (latency, errors); `down`: only lower is bad (health); `both`. */
export type Direction = 'up' | 'down' | 'both';

/**
 * What the caller knows about the metric. Everything else (its scale, resolution, sampling
 * interval, whether it is a counter, its daily or weekly season, how much it follows its recent
 * past) the detector finds in the data.
 */
export interface MetricDetectorOptions {
  metric?: string;
  direction?: Direction;
  /** The smallest change worth one σ, in the metric's unit and as a share of its level (metricProfile.ts). */
  absFloor?: number;
  relFloor?: number;
  /** `false`: never read the stream as a counter (the caller already turned counters into rates). */
  counters?: boolean;
  /**
   * Rows learned before the first score (default `METRIC_CONSTANTS.warmup`, at least
   * `METRIC_CONSTANTS.minWarmup`): a watch passes the window it learned after its baseline, so a
   * host it says it watches is scored from the next row, not learned for some rows more.
   */
  warmup?: number;
}

/**
 * The detector's structural constants. None is fitted to a benchmark: each is a textbook value or
 * a statement about the product, and the cross-validation in test/bench/nab.bench.ts shows what
 * they give on data they were not chosen on.
 */
export const METRIC_CONSTANTS = {
  /** Rows before the first score: enough for a median and a MAD that do not jump with every row. */
  warmup: 30,
  /** The fewest rows a median and a MAD are taken from (a caller's shorter warm-up is raised to it). */
  minWarmup: 10,
  /** Rows of history for the level (its median) and the recent prediction errors. */
  window: 512,
  /**
   * Rows of residuals whose quantiles give the spread. The tail estimate (the 99.5th percentile)
   * is only as steady as the number of rows beyond it: about ten needs 10 / 0.005 = 2,000 rows.
   */
  spreadWindow: 2048,
  /** Iglewicz & Hoaglin's cut-off for the MAD-based z: at it the score is 0.5 and the row is flagged. */
  alertZ: 3.5,
  /** A flagged state that holds this long (rows and time, both) is a new level, not a fault. */
  adoptRows: 30,
  adoptMs: 10 * 60_000,
  /** Periods tried as seasons, and how many past periods each phase's mean remembers. */
  periodsMs: [86_400_000, 7 * 86_400_000] as readonly number[],
  seasonMemory: 5,
  /** Smoothing weights of the recent-level filters the detector chooses from, per sampling interval. */
  alphas: [0, 0.1, 0.3, 1] as readonly number[],
};

/** Learning: before the warm-up ends. Normal / anomalous: the row against the model. */
export type MetricState = 'learning' | 'normal' | 'anomalous' | 'nodata';

export interface MetricOutput {
  /**
   * News, in [0, 1]: how surprising this row is given what was already reported. On a flagged row,
   * the severity of its z beyond the worst of its state and of what was reported lately (a memory
   * that halves every `adoptRows` intervals); 0 on a row that only repeats them. What `score` and
   * the benchmarks use; 0.5 is the alert level.
   */
  readonly score: number;
  /** In [0, 1]: z²/(z² + alertZ²) on the bad side, on every row; 0.5 is the alert level. 0 while learning. */
  readonly severity: number;
  readonly state: MetricState;
  /** The value judged (a counter's rate per second, else the value). */
  readonly value: number;
  /** What the model expected, and its robust σ (NaN while learning). */
  readonly expected: number;
  readonly scale: number;
  /** Robust z on the bad side (0 on the good side). */
  readonly z: number;
  /** While anomalous: when the flagged state began, and how many rows it has held. */
  readonly since?: number;
  readonly rows?: number;
  /** This row ended a flagged state by adopting its level as the new normal. */
  readonly adopted?: { readonly delta: number; readonly reason: string };
  /** One sentence. */
  readonly detail: string;
}

export interface MetricDetectorState {
  version: 1;
  n: number;
  lastTs: number;
  lastRaw: number;
  counter: boolean | null;
  warm: Array<[number, number]>;
  intervals: number[];
  level: number[];
  residuals: number[];
  resolution: number;
  seasons: SeasonState[];
  offsets: number[];
  errors: number[];
  seen: number[];
  chosen: number;
  episode: Episode | null;
  acceptUntil: number;
  expected: ExpectedDeviation[];
  last: { expected: number; scale: number } | null;
  reported?: number;
}

/** A deviation a person marked expected ("mark expected"): rows that show it again are not flagged. */
export interface ExpectedDeviation {
  id: string;
  /** The deviation from what the model expects, in the metric's unit, and how far around it still matches. */
  delta: number;
  width: number;
  at: number;
  by?: string;
  why?: string;
}

const C = METRIC_CONSTANTS;

/** Expected deviations kept per metric; the oldest goes first. */
const MAX_EXPECTED = 6;

/** A flagged state: when it began, how many rows, and its latest rows (time, value, expected, residual clipped at the alert level). */
interface Episode {
  since: number;
  rows: number;
  /** The largest z of the state so far. */
  peak: number;
  buffer: Array<[number, number, number, number]>;
}

/** z of the 99.5th percentile of a normal: the tail quantile that calibrates the spread. */
const Z99 = 2.5758;

/** A flagged state this short is a burst (see `judge`). */
const BURST = Math.ceil(0.01 * C.window);

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/**
 * A streaming detector for one metric. It predicts each row from a baseline (the median of the
 * recent normal rows, or a daily or weekly profile once the data shows one) plus a smoothed recent
 * offset from it, choosing among these by their recent prediction error; it judges the row by the
 * robust z of the prediction's residual against the residuals of normal rows. Flagged rows are not
 * learned: a fault does not become normal while it runs. A flagged state that holds for
 * `adoptRows` rows and `adoptMs` is a new level (one finding, not a flood): the model moves to it.
 * `accept` does the same at once, for a change a person or the policy judged healthy.
 */
export class MetricDetector {
  private readonly o: Required<Pick<MetricDetectorOptions, 'direction' | 'absFloor' | 'relFloor' | 'counters'>> & MetricDetectorOptions;
  private n = 0;
  private lastTs = NaN;
  private lastRaw = NaN;
  /** null until the warm-up decides. */
  private counter: boolean | null = null;
  private warm: Array<[number, number]> = [];
  private intervals = new RollingWindow(33);
  private level = new RollingWindow(C.window);
  private residuals = new RollingWindow(C.spreadWindow, true);
  private resolution = Infinity;
  private seasons: Season[] = [];
  /** Per candidate (base × alpha): the smoothed offset from the base, its mean absolute error, rows scored. */
  private offsets: Float64Array;
  private errors: Float64Array;
  private seen: Float64Array;
  private chosen = 0;
  private readonly bases = new Float64Array(1 + C.periodsMs.length);
  private readonly preds: Float64Array;
  private readonly weights = new Float64Array(C.alphas.length);
  private episode: Episode | null = null;
  private acceptUntil = -Infinity;
  private expectedDeviations: ExpectedDeviation[] = [];
  /** What the model expected for the latest judged row, and its σ; NaN before the first. */
  private lastExp = NaN;
  private lastSigma = NaN;
  /** The largest z reported lately: it halves every `adoptRows` intervals (see `judge`). */
  private reported = 0;

  /** Rows learned before the first score. */
  private readonly warmRows: number;

  constructor(options: MetricDetectorOptions = {}) {
    this.o = { direction: 'both', absFloor: 0, relFloor: 0, counters: true, ...options };
    this.warmRows = Math.max(C.minWarmup, Math.round(options.warmup ?? C.warmup));
    const k = (1 + C.periodsMs.length) * C.alphas.length;
    this.offsets = new Float64Array(k);
    this.errors = new Float64Array(k);
    this.seen = new Float64Array(k);
    this.preds = new Float64Array(k);
  }

  get learning(): boolean {
    return this.counter === null;
  }

  /** The sampling interval the data shows (median of recent intervals), in ms; NaN before two rows. */
  get intervalMs(): number {
    return this.intervals.median();
  }

  update(ts: number, raw: number): MetricOutput {
    if (!Number.isFinite(raw) || !Number.isFinite(ts)) return this.plain('nodata', raw, 'no data: the value is not a finite number');
    if (ts < this.lastTs) return this.plain('nodata', raw, 'out of order: an earlier timestamp than the row before; not scored');
    if (ts > this.lastTs) this.intervals.push(ts - this.lastTs);
    const prevTs = this.lastTs;
    const prevRaw = this.lastRaw;
    this.lastTs = ts;
    this.lastRaw = raw;
    this.n++;
    if (this.counter === null) {
      this.warm.push([ts, raw]);
      if (this.warm.length < this.warmRows) return this.plain('learning', raw, `learning: ${this.warm.length} of ${this.warmRows} rows`);
      this.counter = this.o.counters && looksLikeCounter(this.warm.map((w) => w[1]));
      this.initSeasons();
      for (let i = 0; i < this.warm.length; i++) {
        const x = this.counter ? (i === 0 ? null : counterRate(this.warm[i - 1][0], this.warm[i - 1][1], this.warm[i][0], this.warm[i][1])) : this.warm[i][1];
        if (x === null) continue;
        const t = this.warm[i][0];
        this.learn(x, this.predict(t), i > 0 ? t - this.warm[i - 1][0] : NaN);
        for (const season of this.seasons) season.learn(t, x);
      }
      this.warm = [];
      return this.plain('learning', raw, `learned from the first ${this.warmRows} rows${this.counter ? '; read as a counter: its rate per second is judged' : ''}`);
    }
    let x = raw;
    if (this.counter) {
      const rate = counterRate(prevTs, prevRaw, ts, raw);
      if (rate === null) return this.plain('normal', raw, 'counter reset (the value fell); the rate resumes with the next row');
      x = rate;
    }
    return this.judge(ts, x, ts - prevTs);
  }

  /**
   * A change that was judged healthy (feedback, a promoted baseline, a release judged good): the
   * flagged state, if any, becomes the new normal now, and so do states that begin within `graceMs`.
   */
  accept(graceMs = 0): boolean {
    this.acceptUntil = Math.max(this.acceptUntil, this.lastTs + graceMs);
    if (!this.episode) return false;
    this.adopt();
    return true;
  }

  /**
   * Feedback: the deviation `values` show from what the model expects now is expected, and stays
   * so (a cron burst, a batch window): rows that show it again are not flagged, the level is not
   * moved. Returns the remembered deviation (with its id, for `forget`), or null while learning.
   */
  expect(values: readonly number[], meta: { id: string; at: number; by?: string; why?: string }): ExpectedDeviation | null {
    const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
    if (Number.isNaN(this.lastExp) || finite.length === 0) return null;
    const med = finite[finite.length >> 1];
    const spread = (finite[Math.floor(0.75 * (finite.length - 1))] - finite[Math.floor(0.25 * (finite.length - 1))]) / 1.349;
    const dev: ExpectedDeviation = { ...meta, delta: med - this.lastExp, width: Math.max(this.lastSigma, spread || 0) };
    this.expectedDeviations = [...this.expectedDeviations.filter((d) => d.id !== meta.id), dev].slice(-MAX_EXPECTED);
    this.episode = null;
    return dev;
  }

  /** Undo of `expect`: the deviation is flagged again. */
  forget(id: string): boolean {
    const before = this.expectedDeviations.length;
    this.expectedDeviations = this.expectedDeviations.filter((d) => d.id !== id);
    return this.expectedDeviations.length < before;
  }

  /** What the model expected for the latest row, and its σ (NaN before the first judged row). */
  get lastExpected(): number {
    return this.lastExp;
  }

  get lastScale(): number {
    return this.lastSigma;
  }

  /** Whether a flagged state is running. */
  get flagged(): boolean {
    return this.episode !== null;
  }

  get expectations(): readonly ExpectedDeviation[] {
    return this.expectedDeviations;
  }

  private plain(state: MetricState, value: number, detail: string): MetricOutput {
    return { score: 0, severity: 0, state, value, expected: NaN, scale: NaN, z: 0, detail };
  }

  private initSeasons(): void {
    const interval = this.intervalMs > 0 ? this.intervalMs : 86_400_000;
    // A day in at most 288 bins (5 min) and at least 24 (an hour); a week in hours.
    this.seasons = C.periodsMs.map((p) =>
      p === 86_400_000 ? new Season(p, Math.max(24, Math.min(288, Math.round(p / interval))), C.seasonMemory) : new Season(p, Math.round(p / 3_600_000), C.seasonMemory),
    );
  }

  /**
   * Every candidate's prediction for `ts` (base: the level, then each season; × smoothing weight),
   * into `preds`, with the bases into `bases`. Reused buffers: the hot path allocates nothing.
   */
  private predict(ts: number): Float64Array {
    const bases = this.bases;
    bases[0] = this.level.size > 0 ? this.level.median() : NaN;
    for (let b = 0; b < this.seasons.length; b++) bases[b + 1] = this.seasons[b].predict(ts);
    const a = C.alphas.length;
    const out = this.preds;
    for (let b = 0; b < bases.length; b++) for (let j = 0; j < a; j++) out[b * a + j] = bases[b] + this.offsets[b * a + j];
    return out;
  }

  /** The candidate with the smallest recent error among those that have predicted long enough. */
  private choose(): number {
    let best = 0;
    for (let k = 1; k < this.errors.length; k++) {
      if (this.seen[k] < C.warmup) continue;
      if (this.errors[k] < this.errors[best]) best = k;
    }
    return best;
  }

  /**
   * The robust σ of the residuals: the larger of the quartiles' and the 99.5th percentile's estimate, so a
   * stream whose residuals are mostly 0 (flat, quantised, perfectly predicted) or heavy-tailed is
   * judged against the deviations it really shows, not against its quiet middle alone.
   */
  private scale(expected: number): number {
    const center = this.residuals.median();
    // The interquartile range's σ (as the MAD's for symmetric residuals, and O(1) on the sorted window).
    const iqr = (this.residuals.quantile(0.75) - this.residuals.quantile(0.25)) / 1.349;
    const tail = Math.max(this.residuals.quantile(0.995) - center, center - this.residuals.quantile(0.005)) / Z99;
    const resolution = Number.isFinite(this.resolution) ? this.resolution : 0;
    return Math.max(iqr || 0, tail || 0, resolution, 1e-9) + Math.max(this.o.absFloor, this.o.relFloor * Math.abs(expected));
  }

  private judge(ts: number, x: number, dt: number): MetricOutput {
    // What was reported fades: a deviation reported a while ago is news again, one reported a moment ago is not.
    const interval = this.intervalMs;
    const steps = Number.isFinite(dt) && interval > 0 ? dt / interval : 1;
    this.reported *= Math.pow(0.5, steps / C.adoptRows);
    const preds = this.predict(ts);
    this.track(x, preds);
    // The profiles are medians over days: they learn every row (see season.ts).
    for (const season of this.seasons) season.learn(ts, x);
    this.chosen = this.choose();
    const expected = Number.isFinite(preds[this.chosen]) ? preds[this.chosen] : preds[0];
    const s = this.scale(expected);
    const center = this.residuals.size > 0 ? this.residuals.median() : 0;
    const signed = (x - expected - center) / s;
    const z = this.o.direction === 'up' ? Math.max(0, signed) : this.o.direction === 'down' ? Math.max(0, -signed) : Math.abs(signed);
    const severity = (z * z) / (z * z + C.alertZ * C.alertZ);
    this.lastExp = expected;
    this.lastSigma = s;
    const residual = x - expected - center;
    const known = z >= C.alertZ ? this.expectedDeviations.find((d) => Math.abs(residual - d.delta) <= C.alertZ * d.width) : undefined;
    const flagged = z >= C.alertZ && ts > this.acceptUntil && !known;
    if (known) {
      // Expected, but not the normal level: neither flagged nor learned, so the spread stays the normal one's.
      this.episode = null;
      return { score: 0, severity, state: 'normal', value: x, expected, scale: s, z, detail: `${this.describe(x, expected, s, signed)}; expected: marked at ${new Date(known.at).toISOString()}${known.by ? ` by ${known.by}` : ''}${known.why ? ` (${known.why})` : ''}` };
    }
    if (!flagged) {
      const ended = this.episode;
      this.episode = null;
      // A deviation that came and went is part of what the stream does: a burst (at most 1 % of the
      // window) joins the residuals as it was, so a stream with frequent bursts is judged by them;
      // a longer state joins clipped at the alert level, so one incident does not blunt the detector.
      if (ended) for (const [, v, e, r] of ended.buffer) this.residuals.push(ended.rows <= BURST ? v - e : r);
      this.learn(x, preds, dt);
      // Sentences only where someone reads them: a row at the alert level or the end of a flagged state.
      const detail = ended ? `${this.describe(x, expected, s, signed)}; back to normal after ${ended.rows} flagged row(s)` : z >= C.alertZ ? `${this.describe(x, expected, s, signed)} (accepted)` : '';
      return { score: z >= this.reported ? severity : 0, severity, state: 'normal', value: x, expected, scale: s, z, detail };
    }
    if (!this.episode) this.episode = { since: ts, rows: 0, peak: 0, buffer: [] };
    const ep = this.episode;
    ep.rows++;
    // News is the deviation beyond the worst of this state and the worst reported lately: a ramp is
    // reported once, a further jump again, and a burst that repeats a moment later is not a second alert.
    const beyond = Math.max(0, z - Math.max(ep.peak, this.reported));
    const score = (beyond * beyond) / (beyond * beyond + C.alertZ * C.alertZ);
    ep.peak = Math.max(ep.peak, z);
    this.reported = Math.max(this.reported, z);
    ep.buffer.push([ts, x, expected, center + Math.sign(signed) * Math.min(Math.abs(signed), C.alertZ) * s]);
    if (ep.buffer.length > C.adoptRows) ep.buffer.shift();
    const base = { score, severity, value: x, expected, scale: s, z, since: ep.since, rows: ep.rows };
    if (ep.rows >= C.adoptRows && ts - ep.since >= C.adoptMs) {
      const adopted = this.adopt();
      const reason = `held for ${ep.rows} rows over ${Math.round((ts - ep.since) / 60_000)} min`;
      return { ...base, state: 'normal', adopted: { delta: adopted, reason }, detail: `${this.describe(x, expected, s, signed)}; the level moved by ${fmt(adopted)} and ${reason}: it is the new normal` };
    }
    return { ...base, state: 'anomalous', detail: `${this.describe(x, expected, s, signed)}; flagged for ${ep.rows} row(s)` };
  }

  private describe(x: number, expected: number, s: number, signed: number): string {
    const what = this.counter ? `rate ${fmt(x)}/s` : fmt(x);
    const k = this.chosen;
    const b = Math.floor(k / C.alphas.length);
    const alpha = C.alphas[k % C.alphas.length];
    const base = b === 0 ? 'recent median' : `${C.periodsMs[b - 1] === 86_400_000 ? 'daily' : 'weekly'} profile`;
    const model = alpha === 0 ? base : alpha === 1 ? `${base} + last offset` : `${base} + smoothed offset`;
    return `${this.o.metric ? `${this.o.metric} ` : ''}${what} is ${fmt(Math.abs(signed))} robust σ ${signed >= 0 ? 'above' : 'below'} the expected ${fmt(expected)} (${model}, σ ${fmt(s)})`;
  }

  /**
   * Every candidate's error on every row, flagged or not: the rows where the candidates disagree
   * are the ones that tell which one knows the stream (a daily profile is right at 9:00, a median is not).
   */
  private track(x: number, preds: Float64Array): void {
    const rate = 1 / C.window;
    for (let k = 0; k < preds.length; k++) {
      if (!Number.isFinite(preds[k])) continue;
      // A running mean over the first window of rows, then an exponential one over about a window.
      this.seen[k]++;
      this.errors[k] += Math.max(rate, 1 / this.seen[k]) * (Math.abs(x - preds[k]) - this.errors[k]);
    }
  }

  /** A normal row: every part of the model learns it. */
  private learn(x: number, preds: Float64Array, dt: number): void {
    const interval = this.intervalMs;
    const steps = Number.isFinite(dt) && interval > 0 ? Math.max(0, dt / interval) : 1;
    // The bases of the `predict(ts)` that gave `preds`; a first row has no level yet.
    const bases = this.bases;
    if (!Number.isFinite(bases[0])) bases[0] = x;
    const a = C.alphas.length;
    // Time-aware smoothing: a gap of g intervals counts as g steps (one step: the weight itself).
    const weights = this.weights;
    for (let j = 0; j < a; j++) weights[j] = steps === 1 || C.alphas[j] === 1 ? C.alphas[j] : 1 - Math.pow(1 - C.alphas[j], steps);
    for (let b = 0; b < bases.length; b++) {
      if (!Number.isFinite(bases[b])) continue;
      for (let j = 0; j < a; j++) {
        const k = b * a + j;
        this.offsets[k] += weights[j] * (x - bases[b] - this.offsets[k]);
      }
    }
    const chosen = Number.isFinite(preds[this.chosen]) ? preds[this.chosen] : preds[0];
    if (Number.isFinite(chosen)) {
      this.residuals.push(x - chosen);
    }
    if (this.level.size > 0) {
      const step = Math.abs(x - this.level.median());
      if (step > 0 && step < this.resolution) this.resolution = step;
    }
    this.level.push(x);
  }

  /** The flagged state's level becomes normal: the model moves by the median residual of its rows, which are then learned. */
  private adopt(): number {
    const ep = this.episode;
    this.episode = null;
    if (!ep || ep.buffer.length === 0) return 0;
    const deltas = ep.buffer.map(([t, x]) => {
      const p = this.predict(t);
      return x - (Number.isFinite(p[this.chosen]) ? p[this.chosen] : p[0]);
    });
    deltas.sort((p, q) => p - q);
    const delta = deltas[deltas.length >> 1];
    this.level.shift(delta);
    for (const [t, x] of ep.buffer) this.learn(x, this.predict(t), NaN);
    return delta;
  }

  toJSON(): MetricDetectorState {
    return {
      version: 1,
      n: this.n,
      lastTs: this.lastTs,
      lastRaw: this.lastRaw,
      counter: this.counter,
      warm: this.warm.map((w) => [...w] as [number, number]),
      intervals: this.intervals.values(),
      level: this.level.values(),
      residuals: this.residuals.values(),
      resolution: this.resolution,
      seasons: this.seasons.map((s) => s.toJSON()),
      offsets: Array.from(this.offsets),
      errors: Array.from(this.errors),
      seen: Array.from(this.seen),
      chosen: this.chosen,
      episode: this.episode && { since: this.episode.since, rows: this.episode.rows, peak: this.episode.peak, buffer: this.episode.buffer.map((b) => [...b] as [number, number, number, number]) },
      acceptUntil: this.acceptUntil,
      expected: this.expectedDeviations.map((d) => ({ ...d })),
      last: Number.isNaN(this.lastExp) ? null : { expected: this.lastExp, scale: this.lastSigma },
      reported: this.reported,
    };
  }

  static fromJSON(s: MetricDetectorState, options: MetricDetectorOptions = {}): MetricDetector {
    if (s.version !== 1) throw new Error(`unknown metric detector state version ${String(s.version)}`);
    const d = new MetricDetector(options);
    d.n = s.n;
    d.lastTs = s.lastTs ?? NaN;
    d.lastRaw = s.lastRaw ?? NaN;
    d.counter = s.counter;
    d.warm = s.warm.map((w) => [...w] as [number, number]);
    d.intervals = RollingWindow.from(33, s.intervals);
    d.level = RollingWindow.from(C.window, s.level);
    d.residuals = RollingWindow.from(C.spreadWindow, s.residuals, true);
    d.resolution = s.resolution ?? Infinity;
    d.seasons = s.seasons.map((x) => Season.fromJSON(x));
    d.offsets.set(s.offsets);
    d.errors.set(s.errors);
    d.seen.set(s.seen);
    d.chosen = s.chosen;
    d.episode = s.episode && { since: s.episode.since, rows: s.episode.rows, peak: s.episode.peak, buffer: s.episode.buffer.map((b) => [...b] as [number, number, number, number]) };
    d.acceptUntil = s.acceptUntil ?? -Infinity;
    d.expectedDeviations = (s.expected ?? []).map((x) => ({ ...x }));
    d.lastExp = s.last?.expected ?? NaN;
    d.lastSigma = s.last?.scale ?? NaN;
    d.reported = s.reported ?? 0;
    return d;
  }
}
