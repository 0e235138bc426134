import { categoryOf, type CorpusFile } from './corpus';
import { nullRaw, perfectRaw, scoredFiles } from './evaluate';
import { normalise } from './normalise';
import type { Profile } from './profiles';
import { scoreFile, sweep } from './sweep';

/** One setting's per-row scores, aligned with the corpus files. */
export interface Candidate {
  readonly label: string;
  readonly scores: ReadonlyArray<ArrayLike<number>>;
}

export interface Fold {
  /** The category held out and scored. */
  readonly category: string;
  readonly files: number;
  readonly windows: number;
  /** The setting and threshold chosen on the other categories. */
  readonly chosen: string;
  readonly threshold: number;
  /** The held-out category's normalised score at that setting and threshold; null when it has no windows. */
  readonly heldOut: number | null;
  readonly raw: number;
  readonly windowsDetected: number;
  /** Rows flagged outside every window. */
  readonly falsePositives: number;
}

export interface CrossValidation {
  readonly folds: readonly Fold[];
  /** Mean of the folds that have windows. */
  readonly mean: number;
}

/**
 * Leave one category out: for each category, the setting and threshold are chosen on the other
 * categories alone (the best raw NAB score there, ties to the earlier setting and the higher
 * threshold), then the held-out category is scored with them. Nothing about the held-out files
 * is used to choose; a detector whose constants fit one corpus shows it here.
 */
export function crossValidate(files: readonly CorpusFile[], candidates: readonly Candidate[], profile: Profile, scoreProbation = false): CrossValidation {
  if (candidates.length === 0) throw new Error('cross-validation needs at least one candidate');
  const categories = [...new Set(files.map((f) => categoryOf(f.key)))].sort();
  const folds: Fold[] = categories.map((category) => {
    const train = files.map((f, i) => ({ f, i })).filter((x) => categoryOf(x.f.key) !== category);
    const test = files.map((f, i) => ({ f, i })).filter((x) => categoryOf(x.f.key) === category);
    let best: { c: Candidate; threshold: number; raw: number } | undefined;
    for (const c of candidates) {
      const s = sweep(
        scoredFiles(
          train.map((x) => x.f),
          train.map((x) => c.scores[x.i]),
          profile,
          scoreProbation,
        ),
        profile,
      );
      if (!best || s.raw > best.raw) best = { c, threshold: s.threshold, raw: s.raw };
    }
    const held = scoredFiles(
      test.map((x) => x.f),
      test.map((x) => best!.c.scores[x.i]),
      profile,
      scoreProbation,
    ).map((f) => scoreFile(f, profile, best!.threshold));
    const raw = held.reduce((s, r) => s + r.score, 0);
    const testFiles = test.map((x) => x.f);
    const perfect = perfectRaw(testFiles, profile);
    const windows = testFiles.reduce((s, f) => s + f.windows.length, 0);
    return {
      category,
      files: test.length,
      windows,
      chosen: best!.c.label,
      threshold: best!.threshold,
      heldOut: windows > 0 ? normalise(raw, nullRaw(testFiles, profile, scoreProbation), perfect) : null,
      raw,
      windowsDetected: held.reduce((s, r) => s + r.windowsDetected, 0),
      falsePositives: held.reduce((s, r) => s + r.fp, 0),
    };
  });
  const scored = folds.filter((f) => f.heldOut !== null);
  return { folds, mean: scored.reduce((s, f) => s + f.heldOut!, 0) / Math.max(1, scored.length) };
}
