/**
 * What the dashboard charts for one watched host: a bounded series of points (risk per layer and
 * the charted metrics), the baseline band of each metric (median ± MAD) and the forecast lines.
 * Pure: samples, findings and risk in; views out.
 */
import type { Finding, HostRisk } from '../risk/types';
import type { LayerObservation } from '../detect/layer/types';
import { CHART_METRICS, type BaselineBand, type ChartMetricKey, type ForecastLine, type HostSeries, type SeriesPoint } from '../protocol/protocol';

/** Points kept per host: 30 minutes at a 2 s interval. */
export const MAX_POINTS = 900;
/** Samples the band is computed from when the detectors report no baseline: the first ones watched. */
export const BAND_SAMPLES = 30;

export class HostSeriesBuffer {
  private readonly points: SeriesPoint[] = [];
  private readonly first = new Map<ChartMetricKey, number[]>();
  private readonly detectorMedian = new Map<ChartMetricKey, number>();
  private forecasts: ForecastLine[] = [];

  constructor(
    readonly host: string,
    private readonly limits: HostSeries['limits'],
  ) {}

  /** One sample's observations and the risk it produced; returns the point added. */
  add(observations: LayerObservation[], risk: HostRisk | null): SeriesPoint {
    const ts = observations[0]?.ts ?? Date.now();
    const metrics: SeriesPoint['metrics'] = {};
    for (const m of CHART_METRICS) {
      const v = observations.find((o) => o.layer === m.layer)?.metrics[m.metric];
      const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
      metrics[m.key] = value;
      const firsts = this.first.get(m.key) ?? [];
      if (value !== null && firsts.length < BAND_SAMPLES) this.first.set(m.key, [...firsts, value]);
    }
    const point: SeriesPoint = {
      ts,
      risk: risk ? { host: risk.value, hardware: risk.layers.hardware.value, os: risk.layers.os.value, app: risk.layers.app.value } : null,
      metrics,
    };
    this.points.push(point);
    if (this.points.length > MAX_POINTS) this.points.splice(0, this.points.length - MAX_POINTS);
    if (risk) this.forecasts = forecastLines(risk, point);
    return point;
  }

  /** A silent interval: a point with the risk only (no data is drawn as a gap, never as zero). */
  addSilence(risk: HostRisk): SeriesPoint {
    const point: SeriesPoint = { ts: risk.ts, risk: { host: risk.value, hardware: risk.layers.hardware.value, os: risk.layers.os.value, app: risk.layers.app.value }, metrics: {} };
    this.points.push(point);
    if (this.points.length > MAX_POINTS) this.points.splice(0, this.points.length - MAX_POINTS);
    return point;
  }

  /** Findings name the detectors' baseline median of a metric: it replaces the first-samples median. */
  noteFindings(findings: Finding[]): void {
    for (const f of findings) {
      if (typeof f.baseline !== 'number' || f.source === 'config') continue;
      const key = `${f.layer}.${f.metric}` as ChartMetricKey;
      if (CHART_METRICS.some((m) => m.key === key)) this.detectorMedian.set(key, f.baseline);
    }
  }

  bands(): HostSeries['bands'] {
    const out: HostSeries['bands'] = {};
    for (const m of CHART_METRICS) {
      const values = this.first.get(m.key) ?? [];
      const fromDetector = this.detectorMedian.get(m.key);
      if (values.length < 5 && fromDetector === undefined) continue;
      const median = fromDetector ?? medianOf(values);
      const mad = values.length > 0 ? medianOf(values.map((v) => Math.abs(v - medianOf(values)))) : 0;
      const band: BaselineBand = { median, mad, source: fromDetector !== undefined ? 'detector' : 'first-samples' };
      out[m.key] = band;
    }
    return out;
  }

  view(): HostSeries {
    return { host: this.host, points: [...this.points], bands: this.bands(), forecasts: [...this.forecasts], limits: { ...this.limits } };
  }

  get currentForecasts(): ForecastLine[] {
    return [...this.forecasts];
  }
}

/** Forecast reasons of the charted metrics as lines from the latest value to the limit. */
export function forecastLines(risk: HostRisk, point: SeriesPoint): ForecastLine[] {
  const out: ForecastLine[] = [];
  for (const layer of Object.values(risk.layers)) {
    for (const r of layer.reasons) {
      if (r.source !== 'forecast' || !r.forecast) continue;
      const key = `${r.layer}.${r.metric}` as ChartMetricKey;
      const from = point.metrics[key];
      if (!CHART_METRICS.some((m) => m.key === key) || typeof from !== 'number') continue;
      const t = r.forecast.timeToBreachMs;
      out.push({ metric: key, fromTs: point.ts, fromValue: from, limit: r.forecast.limit, breachTs: t === null ? null : point.ts + t, slopePerSec: r.forecast.slopePerSec });
    }
  }
  return out;
}

export function medianOf(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
