import { clamp01, combineScores, forecastUrgency, persistenceWeight } from './combine';
import { Hysteresis, LEVEL_STATE, sustains, type Level } from './hysteresis';
import type { Finding, Layer, LayerRisk, Reason, RiskOptions, RiskState } from './types';

/** A forecast breach beyond the horizon scores at most this share of the minor threshold. */
const FAR_FORECAST_SHARE = 0.8;

/**
 * The risk of one layer of one host, interval by interval. Three kinds of evidence, each with its
 * own sense of time:
 * - statistics and models (and detectors' own no-data findings) weigh by persistence, so a lone
 *   spike stays minor and a sustained anomaly climbs;
 * - a forecast breach within the horizon counts by its urgency, early, whatever the current value;
 * - config drift counts fully at once, by its severity.
 */
export class LayerTracker {
  private readonly hysteresis: Hysteresis;
  private startTs: number | null = null;
  private lastTs: number | null = null;
  private lastSampleTs: number | null = null;
  private consecutive = 0;
  private cumulative = 0;
  private forecastConsecutive = 0;
  private statsReasons: Reason[] = [];
  private statsValue = 0;
  private forecastReasons: Reason[] = [];
  private forecastValue = 0;
  private value = 0;
  private state: RiskState = 'nodata';
  private since = 0;
  /** Consecutive intervals at each level or worse, by state and by value within the margin (index 0: with data). */
  private atLeast: [number, number, number, number] = [0, 0, 0, 0];
  private noDataHeld = 0;
  /** What raised the state, kept while hysteresis holds the state up after the evidence is gone. */
  private raisedBy: Reason[] = [];

  constructor(
    readonly layer: Layer,
    private readonly o: RiskOptions,
  ) {
    this.hysteresis = new Hysteresis(o.thresholds, o.hysteresisMargin, o.downIntervals);
  }

  /**
   * One interval. `findings` are this layer's; `config` is the standing config drift of this layer
   * (config findings among `findings` count too, for this interval).
   */
  update(ts: number, findings: readonly Finding[], sampleSeen: boolean, config: readonly Finding[]): LayerRisk {
    this.startTs ??= ts;
    if (this.lastTs === null) this.since = ts;
    this.lastTs = ts;
    // Counters decay per interval of time between samples, not per call.
    const elapsed = this.lastSampleTs === null ? 1 : Math.max(1, Math.round((ts - this.lastSampleTs) / this.o.intervalMs));
    if (sampleSeen) this.lastSampleTs = ts;
    const configReasons = mergeConfig(findings, config);

    const silentMs = ts - (this.lastSampleTs ?? this.startTs);
    if (this.lastSampleTs === null || silentMs > this.o.noDataAfterMs) {
      return this.noData(ts, silentMs, configReasons);
    }
    const recovering = this.state === 'nodata';

    if (sampleSeen) this.observe(findings, elapsed);
    const configValue = combineScores(
      configReasons.map((r) => r.score),
      this.o.corroborationCap,
    );
    this.value = combineScores([this.statsValue, this.forecastValue, configValue], this.o.corroborationCap);

    const level = recovering ? this.hysteresis.reset(this.value) : this.hysteresis.step(this.value);
    for (const k of [0, 1, 2, 3] as const) {
      this.atLeast[k] = sustains(k, level, this.value, this.o.thresholds, this.o.hysteresisMargin) ? this.atLeast[k] + 1 : 0;
    }
    this.noDataHeld = 0;
    this.setState(LEVEL_STATE[level], ts);

    let reasons = sortReasons([...this.statsReasons, ...this.forecastReasons, ...configReasons]);
    if (reasons.length > 0) this.raisedBy = reasons;
    else if (level > 0) reasons = this.raisedBy;
    return this.snapshot(reasons, this.atLeast[level as Level]);
  }

  /** Folds this interval's statistic, model and forecast findings into the persistence counters. */
  private observe(findings: readonly Finding[], elapsed: number): void {
    const o = this.o;
    const steady: Finding[] = [];
    const breaches: { f: Finding; urgency: number }[] = [];
    for (const f of findings) {
      if (f.source === 'config') continue;
      // An explained forecast (a trend that follows traffic) keeps its damped score: urgency must not undo the damping.
      const urgency = f.source === 'forecast' && !f.explainedBy ? forecastUrgency(f.forecast?.timeToBreachMs ?? null, o) : 0;
      if (urgency > 0) breaches.push({ f, urgency });
      // A breach beyond the risk horizon is worth knowing, not acting on: it stays below minor.
      else if (f.source === 'forecast' && f.score > 0) steady.push({ ...f, score: Math.min(f.score, o.thresholds.minor * FAR_FORECAST_SHARE) });
      else if (f.score > 0) steady.push(f);
    }

    const raw = combineScores(
      steady.map((f) => f.score),
      o.corroborationCap,
    );
    const anomalous = raw >= o.anomalyFloor;
    this.cumulative = this.cumulative * o.cumulativeDecay ** elapsed + (anomalous ? 1 : 0);
    this.consecutive = anomalous ? this.consecutive + 1 : 0;
    const persisted = Math.max(this.consecutive, this.cumulative);
    const weight = persistenceWeight(persisted, o);
    this.statsReasons = steady.map((f) => asReason(f, f.score * weight)).filter((r) => r.score > 0);
    this.statsValue = combineScores(
      this.statsReasons.map((r) => r.score),
      o.corroborationCap,
    );
    // A lone spike must never reach moderate, whatever the thresholds.
    if (persisted < 2) this.statsValue = Math.min(this.statsValue, o.thresholds.moderate - 1e-9);

    this.forecastConsecutive = breaches.length > 0 ? this.forecastConsecutive + 1 : 0;
    const fw = this.forecastConsecutive <= 1 ? o.forecastFirstWeight : 1;
    this.forecastReasons = breaches.map(({ f, urgency }) => asReason(f, Math.max(f.score, urgency) * fw));
    this.forecastValue = combineScores(
      this.forecastReasons.map((r) => r.score),
      o.corroborationCap,
    );
  }

  private noData(ts: number, silentMs: number, configReasons: Reason[]): LayerRisk {
    this.consecutive = 0;
    this.forecastConsecutive = 0;
    this.atLeast = [0, 0, 0, 0];
    this.noDataHeld += 1;
    this.setState('nodata', ts);
    const seconds = silentMs / 1000;
    const limit = this.o.noDataAfterMs / 1000;
    const detail =
      this.lastSampleTs === null
        ? `No sample from the ${this.layer} layer since watching began ${fmt(seconds)} s ago.`
        : `No sample from the ${this.layer} layer for ${fmt(seconds)} s (no data after ${fmt(limit)} s).`;
    const reason: Reason = { layer: this.layer, source: 'nodata', metric: 'samples', value: seconds, threshold: limit, score: 0, detail };
    return this.snapshot([reason, ...sortReasons(configReasons)], this.noDataHeld);
  }

  private setState(state: RiskState, ts: number): void {
    if (state !== this.state) {
      this.state = state;
      this.since = ts;
    }
  }

  private snapshot(reasons: Reason[], held: number): LayerRisk {
    return {
      layer: this.layer,
      value: this.value,
      state: this.state,
      reasons,
      since: this.since,
      consecutive: this.consecutive,
      cumulative: this.cumulative,
      lastSampleTs: this.lastSampleTs,
      held,
    };
  }
}

/** Standing drift and this interval's config findings, one reason per metric (the higher score wins). */
function mergeConfig(findings: readonly Finding[], standing: readonly Finding[]): Reason[] {
  const byMetric = new Map<string, Reason>();
  for (const f of [...standing, ...findings]) {
    if (f.source !== 'config' || !(f.score > 0)) continue;
    const prev = byMetric.get(f.metric);
    if (!prev || f.score > prev.score) byMetric.set(f.metric, asReason(f, f.score));
  }
  return [...byMetric.values()];
}

function asReason(f: Finding, score: number): Reason {
  const reason: Reason & { ts?: number } = { ...f, score: clamp01(score) };
  delete reason.ts;
  return reason;
}

/** Highest score first; ties by source and metric so the order is deterministic. */
export function sortReasons(reasons: Reason[]): Reason[] {
  return reasons.sort(
    (a, b) => b.score - a.score || a.layer.localeCompare(b.layer) || a.source.localeCompare(b.source) || a.metric.localeCompare(b.metric),
  );
}

function fmt(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
}
