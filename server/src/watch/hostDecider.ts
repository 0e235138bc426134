import type { Finding } from '../detect/layer/types';
import type { Cause, Decision, Policy } from '../policy';
import type { HostRisk } from '../risk';
import { RiskJudge, type Judgement } from '../risk/model/judge';
import type { RiskModel } from '../risk/model/riskModel';

/** What the host runs, its baseline's release and its latest snapshot's (null: unknown or none). */
export interface ReleaseView {
  now: string | null;
  baseline: string | null;
  snapshot: string | null;
}

export interface DecisionStep {
  decision: Decision;
  judgement: Judgement;
}

/** Intervals of features kept per host for feedback (an hour at 1 s). */
const RECENT = 3600;

/**
 * One host's way from risk to a decision, the same in `watch`, in `replay` and in the risk-model
 * bench: the risk model (or the thresholds, when it is missing or out of its domain) maps the
 * interval to a risk level, the cause bounds the tier to what can cure it (the policy), and the
 * decision says which mapping produced it and what the model saw.
 */
export class HostDecider {
  private readonly judge: RiskJudge;
  private readonly recentFeatures: Array<{ ts: number; features: number[] }> = [];

  constructor(
    private readonly policy: Policy,
    model: { model: RiskModel | null; why?: string },
    /** When the active baseline was promoted (the age of a release that came with it). */
    private baselineAt: number | null,
    private readonly switchFile?: string,
  ) {
    this.judge = new RiskJudge(model.model, policy.cfg.thresholds, model.why);
  }

  setModel(model: RiskModel | null): void {
    this.judge.setModel(model);
  }

  setBaselineAt(ts: number | null): void {
    this.baselineAt = ts;
  }

  next(risk: HostRisk, findings: readonly Finding[], release: ReleaseView | null, cause: Cause | null): DecisionStep {
    const rel = release ?? { now: null, baseline: null, snapshot: null };
    const judgement = this.judge.judge({ risk, findings, release: rel, baselineAt: this.baselineAt, cause, switchFile: this.switchFile });
    this.recentFeatures.push({ ts: risk.ts, features: judgement.features });
    if (this.recentFeatures.length > RECENT) this.recentFeatures.shift();
    const judged = judgement.risk;
    // The detectors' own level says whether there is something to explain; the judged level
    // whether to act on it. A deviation the model judges harmless is still named with its cause
    // (a neighbour's CPU, a healthy deploy), as a diagnostic that acts on nothing.
    const deviates = risk.state !== 'ok' && risk.state !== 'nodata';
    const decision = this.policy.decide(judged, judged.ts, judged.state === 'ok' && !deviates ? null : cause);
    decision.decidedBy = judgement.decidedBy;
    if (decision.tier !== null || (deviates && judged.state === 'ok' && judgement.decidedBy === 'model')) decision.why = `${decision.why} (${judgement.note}.)`;
    return { decision, judgement };
  }

  /** The features of the intervals from `sinceTs` on (what a person's feedback labels). */
  featuresSince(sinceTs: number): Array<{ ts: number; features: number[] }> {
    return this.recentFeatures.filter((f) => f.ts >= sinceTs);
  }
}
