import { NearestNeighbour } from './nearestNeighbour';
import { robustScale } from './robustScale';
import type { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/**
 * How far the latest `length` rows are from every earlier stretch of the same length: catches
 * anomalies inside a periodic pattern (a missing peak, a changed amplitude) that stay within the
 * value range.
 */
export class ShapeNovelty {
  private readonly nn: NearestNeighbour;

  constructor(length: number, horizon: number) {
    this.nn = new NearestNeighbour(length, horizon);
  }

  update(x: number, long: SortedWindow, floor: number): Surprise {
    const d = this.nn.push(x);
    if (!Number.isFinite(d) || long.size < MIN_ROWS) return NO_SURPRISE;
    return surprise(d, 0, robustScale(long, floor));
  }
}
