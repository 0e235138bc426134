import type { ActionMode } from '../config/types';
import type { Reason, RiskThresholds } from '../risk/types';

export type Tier = 1 | 2 | 3;
export type ActionKind = 'remediate' | 'switch' | 'rollback';

/** What the policy does when a host has no data: nothing and quietly, nothing and says so, or act as if severe. */
export type NoDataPolicy = 'ignore' | 'alert' | 'treat-as-severe';

export type BlockedBy = 'cooldown' | 'concurrency' | 'mode-off' | 'not-configured' | 'nodata' | 'in-progress' | 'exhausted' | 'cured';

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
  /** One or two sentences: thresholds, persistence, cooldown, escalation. */
  why: string;
  /**
   * Why the tier is not taken. `exhausted`: a tier-3 action failed verification and there is no
   * higher tier; a person must act. `cured`: the action that cures the cause ran and verified,
   * users are served normally, and a higher tier would not fix what remains.
   */
  blockedBy?: BlockedBy;
  /** Which mapping from deviations to a risk level produced this: the trained risk model or the hand-set thresholds. */
  decidedBy?: 'model' | 'thresholds';
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
