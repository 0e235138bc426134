import { robustScale } from './robustScale';
import { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/** Robust z-score of the first difference (a sudden jump between consecutive rows). */
export class StepChange {
  private readonly past: SortedWindow;
  private prev = NaN;

  constructor(window: number) {
    this.past = new SortedWindow(window);
  }

  update(x: number, floor: number): Surprise {
    const d = x - this.prev;
    this.prev = x;
    if (Number.isNaN(d)) return NO_SURPRISE;
    const s = this.past.size >= MIN_ROWS ? surprise(d, this.past.median(), robustScale(this.past, floor)) : NO_SURPRISE;
    this.past.push(d);
    return s;
  }
}
