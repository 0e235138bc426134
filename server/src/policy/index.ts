export type { ActionKind, BlockedBy, DecidedBy, Decision, NoDataPolicy, PolicyConfig, Proposal, Tier, TierCure } from './types';
export type { Cause, CauseInput, CauseKind, Colour, Evidence, ProcessShare, ReleaseChange, Resource } from './causeTypes';
export { Policy, type ActionOutcome } from './policy';
export { DEFAULT_COOLDOWN_MS, DEFAULT_PERSISTENCE, DEFAULT_PERSISTENCE_MS, defaultPersistence, defaultEscalateAfterMs, policyFromConfig, type PolicyOverrides } from './config';
export { TIERS, TIER_ACTION, configuredTier, nextTier, tierForState } from './tiers';
export { SERVICE_METRICS, attributeCause, clock, evidenceOf, isHarm, releaseName, serviceImpact } from './cause';
export { curesFor, curesText, curingTier, type CureContext } from './cure';
export { evidenceLine, explainDecision, explanationLines, type Explanation } from './explain';
