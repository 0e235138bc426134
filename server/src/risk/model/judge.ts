import { stateRank } from '../hysteresis';
import type { HostRisk, RiskState, RiskThresholds } from '../types';
import { FEATURES, FeatureTracker, outOfDomain, type FeatureInput } from './features';
import type { RiskModel } from './riskModel';

export type DecidedBy = 'model' | 'thresholds';

/** One interval's risk as the policy gets it, and which mapping produced it. */
export interface Judgement {
  /** The thresholds' risk, or the same risk with the model's state, value and persistence. */
  risk: HostRisk;
  decidedBy: DecidedBy;
  /** The model's probabilities of (no action, tier 1, tier 2, tier 3) when it was consulted. */
  probabilities: number[] | null;
  /** The features of this interval, in `FEATURES` order (kept for feedback). */
  features: number[];
  /** One sentence: the model's view, or why the thresholds decided. */
  note: string;
}

const STATES: readonly RiskState[] = ['ok', 'minor', 'moderate', 'severe'];

/**
 * Maps a host's deviations to a risk level each interval: the trained model when there is one and
 * the interval is inside its training domain, else the hand-set thresholds (the risk tracker's
 * state as it is). One per host: it keeps the features' history and the model's persistence.
 */
export class RiskJudge {
  private readonly tracker = new FeatureTracker();
  /** Consecutive intervals the model put the host at each level or worse (index 0 unused). */
  private atLeast = [0, 0, 0, 0];

  constructor(
    private model: RiskModel | null,
    private readonly thresholds: RiskThresholds,
    /** Why there is no model (not shipped, failed to load), said in each fallback. */
    private readonly missing = 'no risk model is loaded',
  ) {}

  setModel(model: RiskModel | null): void {
    this.model = model;
    this.atLeast = [0, 0, 0, 0];
  }

  get modelVersion(): number | null {
    return this.model?.version ?? null;
  }

  judge(input: FeatureInput): Judgement {
    const features = this.tracker.next(input);
    const risk = input.risk;
    const thresholds = (note: string): Judgement => {
      this.atLeast = [0, 0, 0, 0];
      return { risk, decidedBy: 'thresholds', probabilities: null, features, note };
    };
    if (!this.model) return thresholds(`thresholds decide: ${this.missing}`);
    if (risk.state === 'nodata') return thresholds('thresholds decide: no data (the no-data policy applies)');
    const outside = outOfDomain(features, this.model.file.domain);
    if (outside.length > 0) return thresholds(`thresholds decide: outside the risk model's training domain (${outside.slice(0, 3).join('; ')})`);

    const p = this.model.predict(features);
    const act = 1 - p[0];
    const actAt = this.model.file.actAt;
    const tier = act >= actAt ? [1, 2, 3].reduce((a, k) => (p[k] > p[a] ? k : a), 1) : 0;
    for (let k = 1; k <= 3; k++) this.atLeast[k] = tier >= k ? this.atLeast[k] + 1 : 0;
    const state = STATES[tier];
    const value = this.bandValue(state, act, actAt);
    const held = tier === 0 ? risk.held : this.atLeast[tier];
    const pct = (x: number): string => `${Math.round(x * 100)}%`;
    const note =
      `risk model v${this.model.version}: action needed ${pct(act)} (acts from ${pct(actAt)})` +
      (tier > 0 ? `, tier ${tier} most likely (${[1, 2, 3].map((k) => `t${k} ${pct(p[k])}`).join(', ')})` : '');
    return { risk: { ...risk, state, value, held }, decidedBy: 'model', probabilities: p, features, note };
  }

  /** The probability placed in the state's band of the thresholds, so "risk v is moderate (≥ t)" stays true. */
  private bandValue(state: RiskState, act: number, actAt: number): number {
    const t = this.thresholds;
    if (state === 'ok') return t.minor * Math.min(1, act / actAt) * 0.999;
    const lo = t[state as 'minor' | 'moderate' | 'severe'];
    const next = STATES[stateRank(state) + 1] as 'moderate' | 'severe' | undefined;
    const hi = next ? t[next] : 1;
    return lo + (hi - lo) * Math.min(0.999, (act - actAt) / (1 - actAt));
  }
}

/** A feature vector by name, for explanations and feedback records. */
export function namedFeatures(x: readonly number[]): Record<string, number> {
  return Object.fromEntries(FEATURES.map((n, i) => [n, Number(x[i].toFixed(3))]));
}
