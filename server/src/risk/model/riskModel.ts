import { checkSpec, predict, type ClassifierSpec } from './classifiers';
import { FEATURES } from './features';
import { CLASSES } from './train';

/** What a risk model file says it is. */
export const RISK_MODEL_FORMAT = 'plumbline-risk-model';

/**
 * A trained risk model as it is stored: small JSON, versioned, with the feature names it was
 * trained on (a file for other features is refused, never misread), the range each feature had
 * in training (outside it, the thresholds decide), and where its labels came from.
 */
export interface RiskModelFile {
  format: typeof RISK_MODEL_FORMAT;
  /** +1 per training or update from feedback. */
  version: number;
  features: string[];
  /** Class k: 0 no action, 1–3 that tier. */
  classes: number;
  classifier: ClassifierSpec;
  /** The model acts when P(no action) is below 1 - actAt. */
  actAt: number;
  domain: { min: number[]; max: number[] };
  trainedOn: {
    at: string;
    episodes: number;
    rows: number;
    families: string[];
    /** Rows labelled by a person's feedback (mark expected, an action confirmed, refused or undone). */
    feedback?: number;
    /** The version this one was updated from. */
    from?: number;
  };
  /** How it was chosen (held-out results), for people. */
  notes?: string;
}

export type LoadResult = { ok: true; model: RiskModel } | { ok: false; error: string };

/** A loaded, checked risk model: probabilities over (no action, tier 1, tier 2, tier 3) for a feature vector. */
export class RiskModel {
  private constructor(readonly file: RiskModelFile) {}

  get version(): number {
    return this.file.version;
  }

  /** Checks a parsed file; any mismatch is an error value, and the caller falls back to the thresholds. */
  static fromJSON(value: unknown): LoadResult {
    const f = value as Partial<RiskModelFile> | null;
    if (typeof f !== 'object' || f === null) return { ok: false, error: 'not a JSON object' };
    if (f.format !== RISK_MODEL_FORMAT) return { ok: false, error: `format is ${JSON.stringify(f.format)}, not ${RISK_MODEL_FORMAT}` };
    if (!Number.isInteger(f.version) || f.version! < 1) return { ok: false, error: 'version is not a positive whole number' };
    if (!Array.isArray(f.features) || f.features.join(',') !== FEATURES.join(',')) {
      return { ok: false, error: `trained on other features (${f.features?.length ?? 0} named, this Plumbline computes ${FEATURES.length})` };
    }
    if (f.classes !== CLASSES) return { ok: false, error: `has ${String(f.classes)} classes, not ${CLASSES}` };
    if (!(typeof f.actAt === 'number' && f.actAt > 0 && f.actAt < 1)) return { ok: false, error: 'actAt is not in (0, 1)' };
    const n = FEATURES.length;
    if (!f.domain || !Array.isArray(f.domain.min) || !Array.isArray(f.domain.max) || f.domain.min.length !== n || f.domain.max.length !== n) {
      return { ok: false, error: `domain is not ${n} minima and maxima` };
    }
    if (!f.classifier) return { ok: false, error: 'no classifier' };
    const bad = checkSpec(f.classifier, n, CLASSES);
    if (bad) return { ok: false, error: `classifier: ${bad}` };
    return { ok: true, model: new RiskModel(f as RiskModelFile) };
  }

  predict(x: readonly number[]): number[] {
    return predict(this.file.classifier, x);
  }
}
