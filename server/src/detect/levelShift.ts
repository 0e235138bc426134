import { robustScale } from './robustScale';
import { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/**
 * Median of the last `recent` values against the median of the long window: a sustained shift
 * that single-row deviations would see only as noise.
 */
export class LevelShift {
  private readonly recent: SortedWindow;

  constructor(recent: number) {
    this.recent = new SortedWindow(recent);
  }

  /** `long` is the value window before x is added to it. */
  update(x: number, long: SortedWindow, floor: number): Surprise {
    this.recent.push(x);
    if (long.size < MIN_ROWS) return NO_SURPRISE;
    return surprise(this.recent.median(), long.median(), robustScale(long, floor));
  }
}
