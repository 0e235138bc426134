import { NearestNeighbour } from './nearestNeighbour';
import { robustScale } from './robustScale';
import type { SortedWindow } from './sortedWindow';
import { MIN_ROWS, NO_SURPRISE, surprise, type Surprise } from './surprise';

/**
 * Two views of the latest `length` rows against every earlier stretch of the same length, from one
 * nearest-neighbour search. `shape`: how far the stretch is from its closest match (a missing peak,
 * a changed amplitude). `predict`: the value against the row that followed the closest match of the
 * stretch before it, a forecast from the learnt pattern (a day that stays low, a late cycle).
 */
export class ShapeNovelty {
  private readonly nn: NearestNeighbour;

  constructor(length: number, horizon: number) {
    this.nn = new NearestNeighbour(length, horizon);
  }

  update(x: number, long: SortedWindow, floor: number): { shape: Surprise; predict: Surprise } {
    const predicted = this.nn.forecast();
    const d = this.nn.push(x);
    if (long.size < MIN_ROWS) return { shape: NO_SURPRISE, predict: NO_SURPRISE };
    const scale = robustScale(long, floor);
    return {
      shape: Number.isFinite(d) ? surprise(d, 0, scale) : NO_SURPRISE,
      predict: Number.isFinite(predicted) ? surprise(x, predicted, scale) : NO_SURPRISE,
    };
  }
}
