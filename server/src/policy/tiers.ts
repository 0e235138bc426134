import type { RiskState } from '../risk/types';
import type { ActionKind, Tier } from './types';

export const TIERS: readonly Tier[] = [1, 2, 3];

export const TIER_ACTION: Readonly<Record<Tier, ActionKind>> = { 1: 'remediate', 2: 'switch', 3: 'rollback' };

/**
 * The tier a state calls for, read from the most severe down: a severe risk is tier 3 and nothing
 * lower, whatever else holds.
 */
export function tierForState(state: RiskState): Tier | null {
  if (state === 'severe') return 3;
  if (state === 'moderate') return 2;
  if (state === 'minor') return 1;
  return null;
}

/** The first configured tier at `wanted` or above; never a lower one. */
export function configuredTier(wanted: Tier, configured: Readonly<Record<ActionKind, boolean>>): Tier | null {
  for (const t of TIERS) if (t >= wanted && configured[TIER_ACTION[t]]) return t;
  return null;
}

/** The tier above, or null above tier 3. */
export function nextTier(t: Tier): Tier | null {
  return t === 3 ? null : ((t + 1) as Tier);
}
