import type { Surprise } from './surprise';

/**
 * Anomaly likelihood, written from the equations in Ahmad, Lavin, Purdy and Agha, "Unsupervised
 * real-time anomaly detection for streaming data" (Neurocomputing 2017, §4–5): the raw scores of
 * the last `long` rows are modelled as a normal N(μ, σ²), the mean μ̃ of the last `short` raw
 * scores is compared with it, and the likelihood is L = 1 − Q((μ̃ − μ)/σ), Q the normal tail.
 * A run of raw scores above the usual level makes L approach 1 even when no single raw score is
 * extreme, and a stream whose raw scores are always high (a noisy one) needs more to get there.
 */
export class AnomalyLikelihood {
  private readonly ring: Float64Array;
  private readonly recent: Float64Array;
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  private recentSum = 0;

  constructor(
    readonly long: number,
    readonly short: number,
    /** The smallest σ, so that a stream of identical raw scores does not make every wobble certain. */
    readonly minSigma: number,
  ) {
    this.ring = new Float64Array(long);
    this.recent = new Float64Array(short);
  }

  /**
   * Adds a raw score and returns μ̃ (observed) against μ (baseline) in units of σ (scale), where μ
   * and σ describe the raw scores before this one. One-sided, as in the paper: z is 0 when μ̃ ≤ μ,
   * and while fewer than `short` earlier raw scores exist.
   */
  push(raw: number): Surprise {
    const size = Math.min(this.n, this.long);
    const mean = size > 0 ? this.sum / size : 0;
    const sigma = Math.max(Math.sqrt(Math.max(0, this.sumSq / Math.max(size, 1) - mean * mean)), this.minSigma);
    this.remember(raw);
    const recentMean = this.recentSum / Math.min(this.n, this.short);
    const z = size < this.short ? 0 : Math.max(0, (recentMean - mean) / sigma);
    return { z, observed: recentMean, baseline: mean, scale: sigma };
  }

  private remember(raw: number): void {
    const r = this.n % this.short;
    if (this.n >= this.short) this.recentSum -= this.recent[r];
    this.recent[r] = raw;
    this.recentSum += raw;
    const l = this.n % this.long;
    if (this.n >= this.long) {
      const old = this.ring[l];
      this.sum -= old;
      this.sumSq -= old * old;
    }
    this.ring[l] = raw;
    this.sum += raw;
    this.sumSq += raw * raw;
    this.n++;
    // Running sums drift with rounding; recompute them exactly once per window.
    if (this.n % this.long === 0) {
      this.sum = this.ring.reduce((s, v) => s + v, 0);
      this.sumSq = this.ring.reduce((s, v) => s + v * v, 0);
    }
  }
}

/**
 * −log10 of the upper normal tail Q(z) = P(N(0,1) > z): the likelihood L = 1 − Q(z) on a scale
 * that does not round to 1 (L = 0.99999 is 5). Computed from the logarithm of the complementary
 * error function, so that it stays finite and accurate far into the tail.
 */
export function tailLog10(z: number): number {
  if (z < 0) return -Math.log10(1 - 0.5 * Math.exp(lnErfc(-z / Math.SQRT2)));
  return -(Math.log(0.5) + lnErfc(z / Math.SQRT2)) / Math.LN10;
}

/** ln erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit of erfc, relative error < 1.2e-7). */
export function lnErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}
