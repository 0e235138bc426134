import type { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/** One remembered pattern: its decayed count, as of row `at`. */
interface Memory {
  count: number;
  at: number;
}

/**
 * Pattern memory at one time scale. The latest `word × segment` rows, cut into `word` segments
 * whose means are quantised into `bins` levels of the recent value range (plus one level below it
 * and one above), form a word. Every word is counted, counts fading by `decay` per row. The
 * surprise is the word's surprisal in nats, ln((N + 1) / (c + R + 1)) floored at 0: N is the decayed number of
 * words seen, c this word's decayed count and R the decayed number of words that were new when
 * they appeared. So a new word is surprising in a stream that has stopped producing new words, and
 * not in one that produces them all the time.
 */
export class ContextNovelty {
  private readonly sums: Float64Array;
  private readonly memory = new Map<number, Memory>();
  private n = 0;
  private total = 0;
  private novel = 0;
  private lastWasNew = false;

  constructor(
    readonly segment: number,
    readonly word: number,
    readonly bins: number,
    readonly decay: number,
  ) {
    this.sums = new Float64Array(segment * word + 1);
  }

  /** Whether the word ending at the latest row had not been seen (decayed count below ½). */
  get isNew(): boolean {
    return this.lastWasNew;
  }

  /** `long` is the value window, x included; its 1–99% range sets the levels. */
  update(x: number, long: SortedWindow): Surprise {
    const cap = this.sums.length;
    const i = this.n++;
    this.sums[i % cap] = (i > 0 ? this.sums[(i - 1) % cap] : 0) + x;
    this.lastWasNew = false;
    if (i < this.segment * this.word || long.size < MIN_ROWS) return NO_SURPRISE;
    const lo = long.quantile(0.01);
    const key = this.key(i, lo, (long.quantile(0.99) - lo) / this.bins);
    const g = this.decay;
    const seen = this.memory.get(key);
    const count = seen ? seen.count * g ** (i - seen.at) : 0;
    // All three counts faded to this row, before this word is added.
    this.total *= g;
    this.novel *= g;
    const z = Math.log((this.total + 1) / (count + this.novel + 1));
    this.lastWasNew = count < 0.5;
    this.total += 1;
    if (this.lastWasNew) this.novel += 1;
    this.memory.set(key, { count: count + 1, at: i });
    return surprise(Math.max(0, z), 0, 1);
  }

  /** The word ending at row i, as one number (base bins + 2, one digit per segment, newest first). */
  private key(i: number, lo: number, width: number): number {
    const cap = this.sums.length;
    const s = this.segment;
    let key = 0;
    for (let k = 0; k < this.word; k++) {
      const end = i - k * s;
      const mean = (this.sums[end % cap] - this.sums[(end - s) % cap]) / s;
      const level = width > 0 ? Math.floor((mean - lo) / width) : 0;
      key = key * (this.bins + 2) + Math.min(this.bins, Math.max(-1, level)) + 1;
    }
    return key;
  }
}
