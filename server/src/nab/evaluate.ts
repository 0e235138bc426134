import type { Corpus, CorpusFile } from './corpus';
import { normalise } from './normalise';
import type { Profile } from './profiles';
import { rowWeights, type RowWeights } from './rowWeights';
import { scoreFile, sweep, type FileScore, type ScoredFile } from './sweep';

export interface ProfileResult {
  readonly profile: Profile['name'];
  readonly threshold: number;
  readonly raw: number;
  readonly normalised: number;
  readonly files: readonly FileScore[];
}

export interface EvaluateOptions {
  /** Score at this threshold (to reproduce a published number); default: the sweep's optimum, as NAB does for a new detector. */
  readonly threshold?: number;
  /** Score the probation rows too (NAB leaves the first 15 % of each file, at most 750 rows, unscored). */
  readonly scoreProbation?: boolean;
}

const weightCache = new WeakMap<CorpusFile, Map<string, RowWeights>>();

/** Per-row weights of one file for one profile, computed once per file. */
export function fileWeights(file: CorpusFile, profile: Profile): RowWeights {
  let byProfile = weightCache.get(file);
  if (!byProfile) weightCache.set(file, (byProfile = new Map()));
  let w = byProfile.get(profile.name);
  if (!w) byProfile.set(profile.name, (w = rowWeights(file.values.length, file.windows, profile)));
  return w;
}

/** Files as the scorer sees them: scores aligned with `files`, weights for `profile`. */
export function scoredFiles(
  files: readonly CorpusFile[],
  scores: ReadonlyArray<ArrayLike<number>>,
  profile: Profile,
  scoreProbation = false,
): ScoredFile[] {
  return files.map((f, i) => {
    if (scores[i].length !== f.values.length) throw new Error(`${f.key}: ${scores[i].length} scores for ${f.values.length} rows`);
    return { key: f.key, scores: scores[i], weights: fileWeights(f, profile), probation: scoreProbation ? 0 : f.probation };
  });
}

/** The null detector's raw score (constant 0.5, at its own optimum): the 0 of the normalised scale. */
export function nullRaw(files: readonly CorpusFile[], profile: Profile, scoreProbation = false): number {
  const half = files.map((f) => new Float64Array(f.values.length).fill(0.5));
  return sweep(scoredFiles(files, half, profile, scoreProbation), profile).raw;
}

/** The perfect detector's raw score: A_TP for every window. */
export function perfectRaw(files: readonly CorpusFile[], profile: Profile): number {
  return files.reduce((s, f) => s + f.windows.length, 0) * profile.tp;
}

/**
 * Scores a detector's per-row outputs (aligned with `corpus.files`) under one profile, at the
 * sweep's optimum unless a threshold is given.
 */
export function evaluate(corpus: Pick<Corpus, 'files'>, scores: ReadonlyArray<ArrayLike<number>>, profile: Profile, opts: EvaluateOptions = {}): ProfileResult {
  const files = scoredFiles(corpus.files, scores, profile, opts.scoreProbation);
  const t = opts.threshold ?? sweep(files, profile).threshold;
  const perFile = files.map((f) => scoreFile(f, profile, t));
  const raw = perFile.reduce((s, f) => s + f.score, 0);
  return {
    profile: profile.name,
    threshold: t,
    raw,
    normalised: normalise(raw, nullRaw(corpus.files, profile, opts.scoreProbation), perfectRaw(corpus.files, profile)),
    files: perFile,
  };
}
