/** The layers risk is tracked for; the same union as the fingerprint's layers. */
export type Layer = 'hardware' | 'os' | 'app';

export const RISK_LAYERS: readonly Layer[] = ['hardware', 'os', 'app'];

/** Why a risk value is what it is. Carried as data all the way to the UI and the audit log. */
export interface Reason {
  layer: Layer;
  /**
   * Which kind of evidence: robust statistics, a forecast of a limit, a learned model, drift of the
   * configuration against the baseline, or the absence of samples.
   */
  source: 'stats' | 'forecast' | 'model' | 'config' | 'nodata';
  metric: string;
  value: number | string | null;
  baseline?: number | string | null;
  threshold?: number | null;
  /** Contribution in [0, 1]. In a finding: as the detector scored it; in a risk: after persistence and urgency. */
  score: number;
  /** `rangeMs`: the 90 % interval of the time to breach. */
  forecast?: { limit: number; timeToBreachMs: number | null; slopePerSec: number; rangeMs?: [number, number] };
  /** One human sentence. */
  detail: string;
  /** Something benign explains this finding (traffic above its baseline): counted damped, never as harm. */
  explainedBy?: 'traffic';
}

/** What detectors emit each interval: one per (layer, source, metric) that is anomalous. Score 0 means normal. */
export interface Finding extends Reason {
  /** Milliseconds since the epoch. */
  ts: number;
}

export type RiskState = 'ok' | 'minor' | 'moderate' | 'severe' | 'nodata';

export interface RiskThresholds {
  minor: number;
  moderate: number;
  severe: number;
}

export interface LayerRisk {
  layer: Layer;
  /** In [0, 1]. While the layer has no data, the last value computed from data. */
  value: number;
  state: RiskState;
  /** Sorted by score, highest first. */
  reasons: Reason[];
  /** Milliseconds when the state last changed. */
  since: number;
  /** Consecutive intervals with an anomalous statistic or model finding. */
  consecutive: number;
  /** Anomalous intervals, each one decaying by a constant factor per interval. */
  cumulative: number;
  lastSampleTs: number | null;
  /**
   * Consecutive intervals (updates) the layer has been at this state or worse with its value at
   * least the state's threshold minus the hysteresis margin; 0 while hysteresis alone holds the
   * state up. For `nodata`, consecutive intervals without data. The policy's persistence counts this.
   */
  held: number;
}

export interface HostRisk {
  host: string;
  ts: number;
  /** Maximum over the layers. */
  value: number;
  state: RiskState;
  layers: Record<Layer, LayerRisk>;
  /** The strongest reasons across layers; `nodata` reasons first. */
  reasons: Reason[];
  /** As `LayerRisk.held`, for the host's state and value. */
  held: number;
}

/** How risk turns findings into values and states. Every duration is in milliseconds. */
export interface RiskOptions {
  thresholds: RiskThresholds;
  /** The sampling interval; counters decay per interval of elapsed time. */
  intervalMs: number;
  /** Without a sample for longer than this, a layer is `nodata`. */
  noDataAfterMs: number;
  /** A forecast breach within this horizon raises risk now. */
  forecastHorizonMs: number;
  /** A breach this close scores `forecastCeiling`; at the horizon, `forecastFloor`. */
  forecastUrgentMs: number;
  forecastFloor: number;
  forecastCeiling: number;
  /** Weight of a forecast breach on its first interval; from the second on, it counts fully. */
  forecastFirstWeight: number;
  /** A state comes down only once the value is below its threshold minus this margin... */
  hysteresisMargin: number;
  /** ...for this many consecutive intervals. */
  downIntervals: number;
  /** Weight of a statistic or model finding on its first anomalous interval... */
  firstIntervalWeight: number;
  /** ...rising linearly to 1 after this many anomalous intervals. */
  rampIntervals: number;
  /** Factor applied to the cumulative count per elapsed interval. */
  cumulativeDecay: number;
  /** Statistic and model findings below this combined score do not count as an anomalous interval. */
  anomalyFloor: number;
  /** Corroborating reasons add at most this much above the strongest one. */
  corroborationCap: number;
}
