export type { ActionKind, BlockedBy, Decision, NoDataPolicy, PolicyConfig, Tier } from './types';
export { Policy } from './policy';
export { DEFAULT_COOLDOWN_MS, DEFAULT_PERSISTENCE, DEFAULT_PERSISTENCE_MS, defaultPersistence, defaultEscalateAfterMs, policyFromConfig, type PolicyOverrides } from './config';
export { TIERS, TIER_ACTION, configuredTier, nextTier, tierForState } from './tiers';
export { cureFor, serviceImpact, type Cure, type CureContext } from './cure';
