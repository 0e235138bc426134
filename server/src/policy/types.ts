import type { ActionMode } from '../config/types';
import type { Reason, RiskThresholds } from '../risk/types';
import type { Cause, ReleaseChange } from './causeTypes';

export type Tier = 1 | 2 | 3;
export type ActionKind = 'remediate' | 'switch' | 'rollback';

/** What the policy does when a host has no data: nothing and quietly, nothing and says so, or act as if severe. */
export type NoDataPolicy = 'ignore' | 'alert' | 'treat-as-severe';

export type BlockedBy = 'cooldown' | 'concurrency' | 'mode-off' | 'not-configured' | 'nodata' | 'in-progress' | 'exhausted' | 'cured' | 'no-cure';

/** What one tier's action would do about a cause. */
export interface TierCure {
  tier: Tier;
  action: ActionKind;
  /** Whether this action can cure the cause. */
  cures: boolean;
  configured: boolean;
  /** Tried in this episode and did not cure (it is not tried again until risk is back below minor). */
  failed?: boolean;
  why: string;
}

/** Something for a person to accept rather than a fault: a healthy release to promote as the baseline. */
export interface Proposal {
  kind: 'promote-baseline';
  host: string;
  release: ReleaseChange;
  /** The CLI command that accepts it. */
  command: string;
  why: string;
}

/** Which mapping from evidence to tier produced a decision: the trained model, or the hand-set thresholds. */
export type DecidedBy = 'model' | 'thresholds';

export interface Decision {
  host: string;
  ts: number;
  /** The tier acted on, or that would be acted on but for `blockedBy`; null when there is nothing to do. */
  tier: Tier | null;
  action: ActionKind | null;
  mode: ActionMode | 'shadow';
  /** True only in auto mode (never in shadow) and when nothing blocks. */
  execute: boolean;
  /** Confirm mode: a person approves the exact commands and hosts first. */
  needsApproval: boolean;
  reasons: Reason[];
  /** The cause the evidence points at; null when there is nothing to explain (risk ok, no data). */
  cause: Cause | null;
  /** What each tier's action would do about the cause. */
  cures: TierCure[];
  /** The mapping that chose the tier. */
  decidedBy: DecidedBy;
  /** Something for a person to accept instead of an action (a healthy deploy to promote). */
  proposal?: Proposal;
  /** One or two sentences: cause, why this tier, thresholds, persistence, cooldown, escalation. */
  why: string;
  /**
   * Why the tier is not taken. `exhausted`: a tier-3 action failed verification and there is no
   * higher tier; a person must act. `cured`: the action that cures the cause ran and verified,
   * users are served normally, and a higher tier would not fix what remains. `no-cure`: no
   * configured action cures the cause (a neighbour, OS drift) or each that could has been tried.
   */
  blockedBy?: BlockedBy;
}

export interface PolicyConfig {
  mode: ActionMode;
  /** Record what auto mode would do, without doing it. */
  shadow: boolean;
  /** For explanations; the states themselves come from risk, with its hysteresis. */
  thresholds: RiskThresholds;
  /** Intervals the state must hold (at that level or worse) before its tier acts. */
  persistence: Record<Tier, number>;
  /** After a tier acts on a host, that tier does not act there again for this long. */
  cooldownMs: Record<Tier, number>;
  /** A tier-k action that did not bring risk below minor within this window escalates to tier k+1. */
  escalateAfterMs: number;
  /** Hosts acting at once in the environment. */
  maxConcurrent: number;
  configured: Record<ActionKind, boolean>;
  noData: NoDataPolicy;
}
