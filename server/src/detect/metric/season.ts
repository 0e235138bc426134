/**
 * The typical value at each phase of a period (a day, a week): per phase bin, the mean of the bin's
 * rows in each of the last `memory` periods, and as prediction the median of those means. A
 * fault that filled one bin on one day moves the median of five days not at all, so the profile
 * learns every row and still does not learn a fault; a change that recurs on most days is a
 * pattern, and becomes part of the profile.
 */
export interface SeasonState {
  periodMs: number;
  bins: number;
  memory: number;
  sum: number[];
  count: number[];
  period: number[];
  firstTs: number | null;
}

export class Season {
  /** Per (bin, slot): the sum and count of the bin's rows in one period, and which period. */
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;
  /** Periods since the epoch (a day number fits 32 bits for millions of years); −1: empty. */
  private readonly period: Int32Array;
  private firstTs = NaN;
  private readonly scratch: Float64Array;

  constructor(
    readonly periodMs: number,
    readonly bins: number,
    readonly memory: number,
  ) {
    this.sum = new Float64Array(bins * memory);
    this.count = new Uint32Array(bins * memory);
    this.period = new Int32Array(bins * memory).fill(-1);
    this.scratch = new Float64Array(memory);
  }

  /** Whether a whole period has been seen: before that some phases have no value. */
  ready(ts: number): boolean {
    return ts - this.firstTs >= this.periodMs;
  }

  private bin(ts: number): number {
    const phase = (((ts % this.periodMs) + this.periodMs) % this.periodMs) / this.periodMs;
    return Math.min(this.bins - 1, Math.floor(phase * this.bins));
  }

  /** The median of the bin's means over the past periods (not the current one); NaN if none. */
  predict(ts: number): number {
    if (!this.ready(ts)) return NaN;
    const b = this.bin(ts);
    const now = Math.floor(ts / this.periodMs);
    const means = this.scratch;
    let n = 0;
    for (let k = 0; k < this.memory; k++) {
      const i = b * this.memory + k;
      const p = this.period[i];
      if (p < 0 || p >= now || p < now - this.memory || this.count[i] === 0) continue;
      // Insertion sort into the scratch buffer: a handful of values.
      const v = this.sum[i] / this.count[i];
      let j = n++;
      while (j > 0 && means[j - 1] > v) means[j] = means[--j];
      means[j] = v;
    }
    if (n === 0) return NaN;
    const m = n >> 1;
    return n % 2 ? means[m] : (means[m - 1] + means[m]) / 2;
  }

  learn(ts: number, x: number): void {
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    const p = Math.floor(ts / this.periodMs);
    const i = this.bin(ts) * this.memory + (p % this.memory);
    if (this.period[i] !== p) {
      this.period[i] = p;
      this.sum[i] = 0;
      this.count[i] = 0;
    }
    this.sum[i] += x;
    this.count[i]++;
  }

  /** Every remembered value moved by `delta` (a new level adopted). */
  shift(delta: number): void {
    for (let i = 0; i < this.sum.length; i++) this.sum[i] += delta * this.count[i];
  }

  toJSON(): SeasonState {
    return {
      periodMs: this.periodMs,
      bins: this.bins,
      memory: this.memory,
      sum: Array.from(this.sum),
      count: Array.from(this.count),
      period: Array.from(this.period),
      firstTs: Number.isNaN(this.firstTs) ? null : this.firstTs,
    };
  }

  static fromJSON(s: SeasonState): Season {
    const season = new Season(s.periodMs, s.bins, s.memory);
    season.sum.set(s.sum);
    season.count.set(s.count);
    season.period.set(s.period);
    season.firstTs = s.firstTs ?? NaN;
    return season;
  }
}
