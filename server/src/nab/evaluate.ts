import type { Corpus } from './corpus';
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

const weightCache = new WeakMap<Corpus, Map<string, RowWeights[]>>();

/** Per-row weights of every file for one profile, computed once per corpus. */
export function corpusWeights(corpus: Corpus, profile: Profile): RowWeights[] {
  let byProfile = weightCache.get(corpus);
  if (!byProfile) weightCache.set(corpus, (byProfile = new Map()));
  let w = byProfile.get(profile.name);
  if (!w) byProfile.set(profile.name, (w = corpus.files.map((f) => rowWeights(f.values.length, f.windows, profile))));
  return w;
}

function scoredFiles(corpus: Corpus, scores: ReadonlyArray<ArrayLike<number>>, profile: Profile): ScoredFile[] {
  const weights = corpusWeights(corpus, profile);
  return corpus.files.map((f, i) => {
    if (scores[i].length !== f.values.length) throw new Error(`${f.key}: ${scores[i].length} scores for ${f.values.length} rows`);
    return { key: f.key, scores: scores[i], weights: weights[i], probation: f.probation };
  });
}

/** The null detector's raw score (constant 0.5, at its own optimum): the 0 of the normalised scale. */
export function nullRaw(corpus: Corpus, profile: Profile): number {
  return sweep(scoredFiles(corpus, corpus.files.map((f) => new Float64Array(f.values.length).fill(0.5)), profile), profile).raw;
}

/**
 * Scores a detector's per-row outputs (aligned with `corpus.files`) under one profile: at `threshold`
 * when given (to reproduce a published number), else at the sweep's optimum, as NAB does for a new detector.
 */
export function evaluate(corpus: Corpus, scores: ReadonlyArray<ArrayLike<number>>, profile: Profile, threshold?: number): ProfileResult {
  const files = scoredFiles(corpus, scores, profile);
  const t = threshold ?? sweep(files, profile).threshold;
  const perFile = files.map((f) => scoreFile(f, profile, t));
  const raw = perFile.reduce((s, f) => s + f.score, 0);
  return {
    profile: profile.name,
    threshold: t,
    raw,
    normalised: normalise(raw, nullRaw(corpus, profile), corpus.windowCount * profile.tp),
    files: perFile,
  };
}
