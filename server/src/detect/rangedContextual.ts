import { Contextual, type ContextualConfig, type ContextualOutput } from './contextual';

export interface RangedConfig extends Omit<ContextualConfig, 'range'> {
  /** Rows of history replayed into a fresh model when the range widens. */
  readonly replayRows: number;
  /** A widened range is stretched by this fraction of its span beyond the new value (fewer rebuilds). */
  readonly rangeMargin: number;
}

/**
 * The contextual detector without NAB's look-ahead: it quantises over the range seen so far and,
 * when a value leaves that range, widens it and rebuilds the model by replaying the recent history
 * under the new quantisation, so that what was learned keeps its meaning. Only past rows are used.
 */
export class RangedContextual {
  private model: Contextual | undefined;
  private readonly history: Float64Array;
  private n = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  rebuilds = 0;

  constructor(private readonly cfg: RangedConfig) {
    this.history = new Float64Array(Math.max(1, cfg.replayRows));
  }

  get range(): { min: number; max: number } {
    return { min: this.lo, max: this.hi };
  }

  update(x: number): ContextualOutput {
    if (!this.model || x < this.lo || x > this.hi) this.rebuild(x);
    const out = this.model!.update(x);
    this.history[this.n++ % this.history.length] = x;
    return out;
  }

  private rebuild(x: number): void {
    const lo = Math.min(this.lo, x);
    const hi = Math.max(this.hi, x);
    const stretch = this.cfg.rangeMargin * (hi - lo);
    this.lo = x < this.lo || !Number.isFinite(this.lo) ? lo - (this.n > 0 ? stretch : 0) : lo;
    this.hi = x > this.hi || !Number.isFinite(this.hi) ? hi + (this.n > 0 ? stretch : 0) : hi;
    this.model = new Contextual({ ...this.cfg, range: { min: this.lo, max: this.hi } });
    this.rebuilds++;
    const cap = this.history.length;
    for (let i = Math.max(0, this.n - cap); i < this.n; i++) this.model.update(this.history[i % cap]);
  }
}
