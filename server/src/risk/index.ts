export type { Finding, HostRisk, Layer, LayerRisk, Reason, RiskOptions, RiskState, RiskThresholds } from './types';
export { RISK_LAYERS } from './types';
export { DEFAULT_RISK_OPTIONS, NO_DATA_INTERVALS, resolveRiskOptions, riskOptionsFromConfig } from './options';
export { RiskTracker, MAX_HOST_REASONS, type UpdateOptions } from './tracker';
export { SEVERITY_SCORE, configFindings } from './configDrift';
export { combineScores, forecastUrgency, persistenceWeight } from './combine';
