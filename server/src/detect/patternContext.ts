import { ContextNovelty } from './contextNovelty';
import { RecordRatio } from './recordRatio';
import type { SortedWindow } from './sortedWindow';
import { NO_SURPRISE, type Surprise } from './surprise';

/** The most surprising scale of the pattern memory at one row. */
export interface ContextView {
  readonly surprise: Surprise;
  /** The surprisal the pattern had to reach to count as a record (the weighted record). */
  readonly bar: number;
  /** Weighted ratio of the surprisal to its record, comparable with the other sub-detectors' ratios. */
  readonly ratio: number;
  /** Rows since some scale last saw a pattern it had not seen before (or since the start). */
  readonly familiarFor: number;
}

/**
 * The context sub-detector: one pattern memory (ContextNovelty) per segment length, each with its
 * own record, which needs `warmup` words before it gives a ratio. Its ratio is scaled by `weight` (< 1: a pattern must beat its record clearly, since
 * noise alone produces new patterns now and then), and it tells the ensemble how long the stream
 * has stayed within patterns it knows.
 */
export class PatternContext {
  private readonly scales: { memory: ContextNovelty; record: RecordRatio }[];
  private n = 0;
  private lastNew = -1;

  constructor(
    segments: readonly number[],
    word: number,
    bins: number,
    decay: number,
    horizon: number,
    warmup: number,
    private readonly weight: number,
  ) {
    this.scales = segments.map((s) => ({ memory: new ContextNovelty(s, word, bins, decay), record: new RecordRatio(horizon, warmup) }));
  }

  /** `long` is the value window, x included. */
  update(x: number, long: SortedWindow): ContextView {
    const i = this.n++;
    let view: Omit<ContextView, 'familiarFor'> | undefined;
    for (const { memory, record } of this.scales) {
      const bar = record.record() / this.weight;
      const s = memory.update(x, long);
      // Until a memory has a full word it has nothing to say, and its record waits too.
      const ratio = s === NO_SURPRISE ? 0 : record.push(s.z) * this.weight;
      if (memory.isNew) this.lastNew = i;
      if (!view || ratio > view.ratio) view = { surprise: s, bar, ratio };
    }
    if (!view) throw new Error('PatternContext needs at least one segment length');
    return { ...view, familiarFor: i - this.lastNew };
  }
}
