import { quantileSorted } from 'simple-statistics';

/**
 * The last `capacity` values of a stream, kept sorted so that quantiles cost O(1) and an update
 * costs one binary search and one block move (a memmove for a few hundred doubles).
 */
export class SortedWindow {
  private readonly ring: Float64Array;
  private readonly sorted: number[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  get size(): number {
    return this.sorted.length;
  }

  push(x: number): void {
    if (this.sorted.length === this.capacity) {
      const old = this.ring[this.head];
      this.sorted.splice(this.lowerBound(old), 1);
    }
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    this.sorted.splice(this.lowerBound(x), 0, x);
  }

  /** Quantile `p` in [0, 1] of the values held (linear interpolation, as simple-statistics does). */
  quantile(p: number): number {
    return quantileSorted(this.sorted, p);
  }

  median(): number {
    return this.quantile(0.5);
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
