import type { Finding } from '../detect/layer/types';
import { cureFor, type Cure, type CureContext, type Decision, type Policy } from '../policy';
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

/**
 * One host's way from risk to a decision, the same in `watch` and in `replay`: the risk model
 * (or the thresholds, when it is missing or out of its domain) maps the interval to a risk
 * level, the cause bounds the tier to what can cure it, and the environment's policy decides.
 * The decision says which mapping produced it.
 */
/** Intervals of features kept per host for feedback (an hour at 1 s). */
const RECENT = 3600;

export class HostDecider {
  private readonly judge: RiskJudge;
  private readonly recentFeatures: Array<{ ts: number; features: number[] }> = [];

  constructor(
    private readonly policy: Policy,
    private readonly cureContext: Omit<CureContext, 'release'>,
    model: { model: RiskModel | null; why?: string },
    /** When the active baseline was captured (the age of a release that came with it). */
    private baselineAt: number | null,
  ) {
    this.judge = new RiskJudge(model.model, policy.cfg.thresholds, model.why);
  }

  setModel(model: RiskModel | null): void {
    this.judge.setModel(model);
  }

  setBaselineAt(ts: number | null): void {
    this.baselineAt = ts;
  }

  next(risk: HostRisk, findings: readonly Finding[], release: ReleaseView | null): DecisionStep {
    const rel = release ?? { now: null, baseline: null, snapshot: null };
    const judgement = this.judge.judge({ risk, findings, release: rel, baselineAt: this.baselineAt, switchFile: this.cureContext.switchFile });
    this.recentFeatures.push({ ts: risk.ts, features: judgement.features });
    if (this.recentFeatures.length > RECENT) this.recentFeatures.shift();
    const judged = judgement.risk;
    const decision = this.policy.decide(judged, judged.ts, this.cure(judged, release));
    decision.decidedBy = judgement.decidedBy;
    if (decision.tier !== null) decision.why = `${decision.why} (${judgement.note}.)`;
    return { decision, judgement };
  }

  /** The features of the intervals from `sinceTs` on (what a person's feedback labels). */
  featuresSince(sinceTs: number): Array<{ ts: number; features: number[] }> {
    return this.recentFeatures.filter((f) => f.ts >= sinceTs);
  }

  /** What cures this host's reasons, from the release it runs against the one its snapshot has. */
  private cure(risk: HostRisk, release: ReleaseView | null): Cure | null {
    if (risk.state === 'ok' || risk.state === 'nodata') return null;
    const r = release && release.snapshot !== null ? { now: release.now, snapshot: release.snapshot } : null;
    return cureFor(risk.reasons, { ...this.cureContext, release: r });
  }
}
