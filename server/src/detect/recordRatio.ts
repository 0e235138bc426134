import { SlidingMax } from './slidingMax';

/**
 * How a surprise compares with the largest surprise of the same kind in the recent past: above 1
 * means "more unusual than anything in the last `horizon` rows". Dividing by the stream's own
 * record makes scores comparable across streams, which a single corpus-wide threshold needs.
 */
export class RecordRatio {
  private readonly past: SlidingMax;

  constructor(
    horizon: number,
    private readonly minHistory: number,
  ) {
    this.past = new SlidingMax(horizon);
  }

  /** The record before this row (the bar `z` had to clear), or NaN while the history is too short. */
  record(): number {
    return this.past.size >= this.minHistory ? this.past.max() : NaN;
  }

  /** Ratio of `z` to the record before it (0 while warming up), then remembers `z`. */
  push(z: number): number {
    const rec = this.record();
    this.past.push(z);
    if (Number.isNaN(rec)) return 0;
    // A stream that has never moved (record 0) makes any movement a large, finite surprise.
    return z / Math.max(rec, 1e-3);
  }
}
