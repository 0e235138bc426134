import { robustScale } from './robustScale';
import { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/** Robust z-score of the value against the median and spread of the previous `window` values. */
export class ValueDeviation {
  readonly past: SortedWindow;

  constructor(window: number) {
    this.past = new SortedWindow(window);
  }

  /** Scores x against the past, then adds it. */
  update(x: number, floor: number): Surprise {
    const s = this.past.size >= MIN_ROWS ? surprise(x, this.past.median(), robustScale(this.past, floor)) : NO_SURPRISE;
    this.past.push(x);
    return s;
  }
}
