import type { Profile } from './profiles';
import type { RowWeights } from './rowWeights';

/** One file as the scorer sees it: the detector's scores and the file's per-row weights for one profile. */
export interface ScoredFile {
  readonly key: string;
  readonly scores: ArrayLike<number>;
  readonly weights: RowWeights;
  readonly probation: number;
}

export interface FileScore {
  readonly key: string;
  readonly score: number;
  /** Point counts over non-probation rows (NAB's current code): informative, not part of the score. */
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly windowsDetected: number;
  readonly windows: number;
}

export interface SweepResult {
  readonly threshold: number;
  readonly raw: number;
  /** Every candidate, by falling threshold: the raw corpus score when detecting `score >= threshold`. */
  readonly curve: ReadonlyArray<{ threshold: number; raw: number }>;
}

/** Above every legal score: the "detect nothing" candidate NAB always includes. */
export const NOTHING_THRESHOLD = 1.1;

/**
 * The raw score of one file when rows with `score >= threshold` (outside probation) are detections
 * (SCORING.md §5): each window adds its best detected weight or −A_FN; each detected row outside
 * every window adds its own (negative) weight.
 */
export function scoreFile(file: ScoredFile, profile: Profile, threshold: number): FileScore {
  const { scores, weights, probation } = file;
  let windows = 0;
  for (let i = 0; i < weights.window.length; i++) windows = Math.max(windows, weights.window[i] + 1);
  // Per window: 0 = no row after probation (the window does not count), 1 = counted, 2 = detected.
  const state = new Uint8Array(windows);
  const best = new Float64Array(windows);
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = Math.max(0, Math.ceil(probation)); i < scores.length; i++) {
    const w = weights.window[i];
    const hit = scores[i] >= threshold;
    if (w >= 0) {
      if (state[w] === 0) state[w] = 1;
      if (hit) {
        tp++;
        if (state[w] === 1 || weights.weight[i] > best[w]) best[w] = weights.weight[i];
        state[w] = 2;
      } else fn++;
    } else if (hit) {
      fp++;
      fpSum += weights.weight[i];
    } else tn++;
  }
  let score = fpSum;
  let detected = 0;
  let counted = 0;
  for (let w = 0; w < windows; w++) {
    if (state[w] === 0) continue;
    counted++;
    if (state[w] === 2) {
      score += best[w];
      detected++;
    } else score -= profile.fn;
  }
  return { key: file.key, score, tp, fp, fn, tn, windowsDetected: detected, windows: counted };
}

/**
 * NAB's sweeper (SCORING.md §6): one threshold for the whole corpus, the one maximising the raw
 * score; ties go to the highest threshold.
 */
export function sweep(files: readonly ScoredFile[], profile: Profile): SweepResult {
  let total = 0;
  for (const f of files) total += Math.max(0, f.scores.length - Math.ceil(f.probation));
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  const window = new Int32Array(total);
  let k = 0;
  let windowBase = 0;
  const counted = new Set<number>();
  for (const f of files) {
    let maxWindow = -1;
    for (let i = 0; i < f.weights.window.length; i++) maxWindow = Math.max(maxWindow, f.weights.window[i]);
    for (let i = Math.max(0, Math.ceil(f.probation)); i < f.scores.length; i++, k++) {
      score[k] = f.scores[i];
      weight[k] = f.weights.weight[i];
      const w = f.weights.window[i];
      window[k] = w >= 0 ? windowBase + w : -1;
      if (w >= 0) counted.add(windowBase + w);
    }
    windowBase += maxWindow + 1;
  }
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => score[b] - score[a]);

  const term = new Float64Array(windowBase).fill(-profile.fn);
  let windowSum = -profile.fn * counted.size;
  let fpSum = 0;
  let candidate = NOTHING_THRESHOLD;
  const curve: Array<{ threshold: number; raw: number }> = [];
  for (let j = 0; j < total; j++) {
    const r = order[j];
    if (score[r] !== candidate) {
      curve.push({ threshold: candidate, raw: fpSum + windowSum });
      candidate = score[r];
    }
    const w = window[r];
    if (w < 0) fpSum += weight[r];
    else if (weight[r] > term[w]) {
      windowSum += weight[r] - term[w];
      term[w] = weight[r];
    }
  }
  curve.push({ threshold: candidate, raw: fpSum + windowSum });

  let best = curve[0];
  for (const c of curve) if (c.raw > best.raw) best = c;
  return { threshold: best.threshold, raw: best.raw, curve };
}
