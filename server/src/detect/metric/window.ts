const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The last `capacity` values of a stream, kept in arrival order and sorted, so that quantiles cost
 * O(1) and an update one binary search and one block move (a memmove of a few hundred doubles).
 * `single`: values are kept as 32-bit floats (7 significant digits), for windows of differences
 * such as prediction residuals, whose size matters more than their eighth digit; a value is
 * rounded once, on its way in, so the ring and the sorted copy always hold the same numbers.
 */
export class RollingWindow {
  private readonly ring: Float64Array | Float32Array;
  private readonly sorted: Float64Array | Float32Array;
  private head = 0;
  private n = 0;

  constructor(
    readonly capacity: number,
    readonly single = false,
  ) {
    this.ring = single ? new Float32Array(capacity) : new Float64Array(capacity);
    this.sorted = single ? new Float32Array(capacity) : new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  push(value: number): void {
    // Beyond a float's range (garbage from a host) it is kept as the largest float, not as infinity.
    const x = this.single ? Math.fround(Math.max(-FLOAT32_MAX, Math.min(FLOAT32_MAX, value))) : value;
    if (this.n < this.capacity) {
      const at = this.lowerBound(x);
      this.sorted.copyWithin(at + 1, at, this.n);
      this.sorted[at] = x;
      this.n++;
    } else {
      // Full: the oldest value leaves and `x` enters in one move of the values between them.
      const out = this.lowerBound(this.ring[this.head]);
      const at = this.lowerBound(x);
      if (at > out) {
        this.sorted.copyWithin(out, out + 1, at);
        this.sorted[at - 1] = x;
      } else {
        this.sorted.copyWithin(at + 1, at, out);
        this.sorted[at] = x;
      }
    }
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
  }

  /** The value that the next push will evict once full (the oldest); NaN when empty. */
  oldest(): number {
    if (this.n === 0) return NaN;
    return this.ring[this.n === this.capacity ? this.head : 0];
  }

  /** Quantile `p` in [0, 1] (linear interpolation between order statistics); NaN when empty. */
  quantile(p: number): number {
    if (this.n === 0) return NaN;
    const pos = p * (this.n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(this.n - 1, lo + 1);
    return this.sorted[lo] + (pos - lo) * (this.sorted[hi] - this.sorted[lo]);
  }

  median(): number {
    return this.quantile(0.5);
  }

  /** Median absolute deviation from `center` (unscaled): a two-pointer walk over the sorted values, O(n). */
  mad(center: number): number {
    const n = this.n;
    if (n === 0) return NaN;
    // The k-th smallest |x − center| merges the values below and above the center, nearest first.
    let hi = this.lowerBound(center);
    let lo = hi - 1;
    const k = (n - 1) >> 1;
    let d = 0;
    for (let taken = 0; taken <= k; taken++) {
      const dl = lo >= 0 ? center - this.sorted[lo] : Infinity;
      const dh = hi < n ? this.sorted[hi] - center : Infinity;
      if (dl <= dh) {
        d = dl;
        lo--;
      } else {
        d = dh;
        hi++;
      }
    }
    return d;
  }

  /** Mean absolute deviation from `center`; NaN when empty. */
  meanAbsDev(center: number): number {
    if (this.n === 0) return NaN;
    let s = 0;
    for (let i = 0; i < this.n; i++) s += Math.abs(this.sorted[i] - center);
    return s / this.n;
  }

  /** How many values are below `x`. */
  rank(x: number): number {
    return this.lowerBound(x);
  }

  /** Mean of (value − u) over the values above `u`; 0 when none. */
  meanExcessAbove(u: number): number {
    let s = 0;
    let k = 0;
    for (let i = this.n - 1; i >= 0 && this.sorted[i] > u; i--, k++) s += this.sorted[i] - u;
    return k > 0 ? s / k : 0;
  }

  /** Every value moved by `delta` (a level the stream has moved to is adopted; the spread stays). */
  shift(delta: number): void {
    for (let i = 0; i < this.n; i++) this.sorted[i] += delta;
    for (let i = 0; i < this.capacity; i++) this.ring[i] += delta;
  }

  /** The values in arrival order, oldest first. */
  values(): number[] {
    const out: number[] = [];
    const start = this.n === this.capacity ? this.head : 0;
    for (let k = 0; k < this.n; k++) out.push(this.ring[(start + k) % this.capacity]);
    return out;
  }

  static from(capacity: number, values: readonly number[], single = false): RollingWindow {
    const w = new RollingWindow(capacity, single);
    for (const v of values.slice(-capacity)) w.push(v);
    return w;
  }

  /** Bytes held by the two arrays. */
  get bytes(): number {
    return this.ring.byteLength + this.sorted.byteLength;
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
