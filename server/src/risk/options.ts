import type { EnvironmentConfig } from '../config/types';
import type { RiskOptions } from './types';

/**
 * Defaults, tuned against the default thresholds (minor 0.3, moderate 0.6, severe 0.85): a lone
 * spike scores at most 0.4 (minor), a sustained one reaches moderate on its third interval and
 * severe on its fourth.
 */
export const DEFAULT_RISK_OPTIONS = {
  forecastHorizonMs: 10 * 60_000,
  forecastUrgentMs: 60_000,
  forecastFloor: 0.5,
  forecastCeiling: 0.95,
  forecastFirstWeight: 0.75,
  hysteresisMargin: 0.1,
  downIntervals: 3,
  firstIntervalWeight: 0.4,
  rampIntervals: 5,
  cumulativeDecay: 0.8,
  anomalyFloor: 0.1,
  corroborationCap: 0.2,
} as const satisfies Partial<RiskOptions>;

/** Missing samples for this many intervals means no data. */
export const NO_DATA_INTERVALS = 3;

/** Risk options for an environment: its thresholds and interval, defaults for the rest, then overrides. */
export function riskOptionsFromConfig(env: Pick<EnvironmentConfig, 'risk' | 'intervalMs'>, overrides: Partial<RiskOptions> = {}): RiskOptions {
  return resolveRiskOptions({ thresholds: { ...env.risk }, intervalMs: env.intervalMs, ...overrides });
}

/** Fills in defaults; `noDataAfterMs` defaults to three intervals. */
export function resolveRiskOptions(partial: Partial<RiskOptions> & Pick<RiskOptions, 'thresholds' | 'intervalMs'>): RiskOptions {
  const o: RiskOptions = { ...DEFAULT_RISK_OPTIONS, noDataAfterMs: NO_DATA_INTERVALS * partial.intervalMs, ...partial };
  const t = o.thresholds;
  if (!(0 < t.minor && t.minor < t.moderate && t.moderate < t.severe && t.severe <= 1)) {
    throw new RangeError(`risk thresholds must rise 0 < minor < moderate < severe <= 1, got ${t.minor}, ${t.moderate}, ${t.severe}`);
  }
  if (!(o.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${o.intervalMs}`);
  if (o.rampIntervals < 1 || o.downIntervals < 1) throw new RangeError('rampIntervals and downIntervals must be at least 1');
  return o;
}
