import type { EnvironmentConfig } from '../config/types';
import type { PolicyConfig, Tier } from './types';

/** Overrides for `policyFromConfig`; per-tier records may be given in part. */
export type PolicyOverrides = Partial<Omit<PolicyConfig, 'persistence' | 'cooldownMs' | 'configured'>> & {
  persistence?: Partial<PolicyConfig['persistence']>;
  cooldownMs?: Partial<PolicyConfig['cooldownMs']>;
  configured?: Partial<PolicyConfig['configured']>;
};

/** Intervals a state must hold before its tier acts, at the default 5 s interval... */
export const DEFAULT_PERSISTENCE = { 1: 2, 2: 2, 3: 1 } as const;
/**
 * ...and at least this long whatever the interval: at 1 s a minor state must hold 10 s, not 2 s, or
 * a cron job's few busy seconds would restart a service. Severe stays quick (a crash is severe).
 */
export const DEFAULT_PERSISTENCE_MS = { 1: 10_000, 2: 6_000, 3: 2_000 } as const;

/** The default persistence for an interval: the larger of the interval count and the time. */
export function defaultPersistence(intervalMs: number): Record<Tier, number> {
  const at = (t: Tier): number => Math.max(DEFAULT_PERSISTENCE[t], Math.ceil(DEFAULT_PERSISTENCE_MS[t] / Math.max(1, intervalMs)));
  return { 1: at(1), 2: at(2), 3: at(3) };
}
export const DEFAULT_COOLDOWN_MS = { 1: 10 * 60_000, 2: 30 * 60_000, 3: 60 * 60_000 } as const;

/**
 * The window an action gets to work before escalation: long enough for risk, which comes down
 * only after its hysteresis intervals, to show the effect.
 */
export function defaultEscalateAfterMs(intervalMs: number): number {
  return Math.max(2 * 60_000, 12 * intervalMs);
}

/** The policy of an environment from plumbline.yaml; anything not there takes its default, then overrides. */
export function policyFromConfig(env: EnvironmentConfig, overrides: PolicyOverrides = {}): PolicyConfig {
  const a = env.actions;
  const remediate = (a.remediate?.restart?.length ?? 0) > 0 || (a.remediate?.commands?.length ?? 0) > 0;
  const { persistence, cooldownMs, configured, ...rest } = overrides;
  const byTier = <T>(r: Partial<Record<'remediate' | 'switch' | 'rollback', T>> | undefined): Partial<Record<Tier, T>> =>
    Object.fromEntries(Object.entries(r ?? {}).map(([kind, v]) => [kind === 'remediate' ? 1 : kind === 'switch' ? 2 : 3, v]));
  const cfg: PolicyConfig = {
    mode: a.mode,
    shadow: a.shadow ?? false,
    thresholds: { ...env.risk },
    escalateAfterMs: a.escalateAfterMs ?? defaultEscalateAfterMs(env.intervalMs),
    maxConcurrent: a.maxConcurrent ?? 1,
    noData: a.noData ?? 'alert',
    ...rest,
    persistence: { ...defaultPersistence(env.intervalMs), ...byTier(a.persistence), ...persistence },
    cooldownMs: { ...DEFAULT_COOLDOWN_MS, ...byTier(a.cooldownMs), ...cooldownMs },
    configured: { remediate, switch: a.switch !== undefined, rollback: a.rollback !== undefined, ...configured },
  };
  if (!(cfg.maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be at least 1, got ${cfg.maxConcurrent}`);
  return cfg;
}
