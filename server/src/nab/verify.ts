import { readFinalResults, readPublishedTotals, readResultScores, type Corpus } from './corpus';
import { evaluate } from './evaluate';

export interface VerifyRow {
  readonly detector: string;
  readonly profile: string;
  readonly threshold: number;
  readonly publishedRaw: number;
  readonly raw: number;
  readonly published: number;
  readonly normalised: number;
  /** The exhaustive sweep's optimum over the same outputs; may exceed the published (local-search) number. */
  readonly sweepOptimum: number;
  readonly ok: boolean;
}

/** Detectors whose full per-row outputs NAB ships, so the scorer can be checked against them. */
export const REFERENCE_DETECTORS = ['numenta', 'null'] as const;

/**
 * Re-scores NAB's own per-row outputs at the published thresholds and compares with
 * results/final_results.json. `tolerance` is in normalised points.
 */
export function verifyScorer(corpus: Corpus, tolerance = 0.05, detectors: readonly string[] = REFERENCE_DETECTORS): VerifyRow[] {
  const finals = readFinalResults(corpus.dir);
  const rows: VerifyRow[] = [];
  for (const detector of detectors) {
    const scores = corpus.files.map((f) => readResultScores(corpus.dir, detector, f.key));
    for (const profile of corpus.profiles) {
      const pub = readPublishedTotals(corpus.dir, detector, profile.name);
      const published = finals[detector]?.[profile.name];
      if (published === undefined) throw new Error(`final_results.json has no ${detector}/${profile.name}`);
      const at = evaluate(corpus, scores, profile, { threshold: pub.threshold });
      const best = evaluate(corpus, scores, profile);
      rows.push({
        detector,
        profile: profile.name,
        threshold: pub.threshold,
        publishedRaw: pub.raw,
        raw: at.raw,
        published,
        normalised: at.normalised,
        sweepOptimum: best.normalised,
        ok: Math.abs(at.normalised - published) <= tolerance,
      });
    }
  }
  return rows;
}
