/**
 * Distance from the latest `length` values to their nearest match among the previous `horizon`
 * subsequences (a left matrix-profile value, not z-normalised, so level changes count too).
 * One running sum of squared differences per lag makes each update O(horizon).
 */
export class NearestNeighbour {
  private readonly ring: Float64Array;
  private readonly sums: Float64Array;
  private n = 0;
  /** Lag of the nearest earlier subsequence found by the last push (0 while none). */
  private bestLag = 0;

  constructor(
    readonly length: number,
    readonly horizon: number,
  ) {
    this.ring = new Float64Array(horizon + length + 1);
    this.sums = new Float64Array(horizon + 1);
  }

  /** The row that followed the nearest match of the latest subsequence: a forecast of the next value (NaN while none). */
  forecast(): number {
    if (this.bestLag === 0) return Number.NaN;
    const cap = this.ring.length;
    return this.ring[(this.n - this.bestLag) % cap];
  }

  /** Adds x and returns the root-mean-square distance to the nearest earlier subsequence, or NaN while too few rows. */
  push(x: number): number {
    const cap = this.ring.length;
    const i = this.n++;
    this.ring[i % cap] = x;
    const m = this.length;
    const maxLag = Math.min(this.horizon, i);
    let best = Infinity;
    let bestLag = 0;
    for (let lag = m; lag <= maxLag; lag++) {
      const d = x - this.ring[(i - lag) % cap];
      let s = this.sums[lag] + d * d;
      if (i - m - lag >= 0) {
        const e = this.ring[(i - m) % cap] - this.ring[(i - m - lag) % cap];
        s -= e * e;
      }
      if (s < 0) s = 0;
      this.sums[lag] = s;
      if (i - lag >= m - 1 && s < best) {
        best = s;
        bestLag = lag;
      }
    }
    this.bestLag = bestLag;
    return Number.isFinite(best) && i >= 2 * m ? Math.sqrt(best / m) : NaN;
  }
}
