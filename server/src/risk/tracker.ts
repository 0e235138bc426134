import { stateRank, sustains, type Level } from './hysteresis';
import { LayerTracker, sortReasons } from './layer';
import { RISK_LAYERS, type Finding, type HostRisk, type Layer, type LayerRisk, type Reason, type RiskOptions, type RiskState } from './types';

/** Host reasons: the strongest across layers, at most this many. */
export const MAX_HOST_REASONS = 10;

export interface UpdateOptions {
  /** Whether a sample arrived this interval (default true). Findings alone do not prove the host is reporting. */
  sampleSeen?: boolean;
}

/**
 * Risk of one host, per layer and overall. Pure and deterministic: time is passed in, every call
 * is one interval, and the same calls give the same risks.
 */
export class RiskTracker {
  private readonly layers: Record<Layer, LayerTracker>;
  private standingConfig: Finding[] = [];
  private last: HostRisk | null = null;
  /** As in a layer: consecutive intervals at each level or worse, by state and value (index 0: with data); and without data. */
  private atLeast = [0, 0, 0, 0];
  private noDataHeld = 0;

  constructor(
    readonly host: string,
    readonly options: RiskOptions,
  ) {
    this.layers = {
      hardware: new LayerTracker('hardware', options),
      os: new LayerTracker('os', options),
      app: new LayerTracker('app', options),
    };
  }

  /**
   * Replaces the standing config drift (all layers), e.g. with `configFindings(diff.items, ts)`
   * after each capture. It counts in every update until replaced; pass [] once drift is resolved.
   */
  setConfigDrift(findings: readonly Finding[]): void {
    this.standingConfig = findings.filter((f) => f.source === 'config');
  }

  /** One interval: this interval's findings for every layer. */
  update(ts: number, findings: readonly Finding[], opts: UpdateOptions = {}): HostRisk {
    const sampleSeen = opts.sampleSeen ?? true;
    const layers = {} as Record<Layer, LayerRisk>;
    for (const layer of RISK_LAYERS) {
      const mine = findings.filter((f) => f.layer === layer);
      const config = this.standingConfig.filter((f) => f.layer === layer);
      layers[layer] = this.layers[layer].update(ts, mine, sampleSeen, config);
    }
    const all = RISK_LAYERS.map((l) => layers[l]);
    const state = all.map((l) => l.state).reduce((a, b) => (stateRank(b) > stateRank(a) ? b : a), 'ok' as RiskState);
    const value = Math.max(...all.map((l) => l.value));
    const host: HostRisk = { host: this.host, ts, value, state, layers, reasons: hostReasons(all), held: this.count(state, value) };
    this.last = host;
    return host;
  }

  private count(state: RiskState, value: number): number {
    if (state === 'nodata') {
      this.atLeast = [0, 0, 0, 0];
      return ++this.noDataHeld;
    }
    this.noDataHeld = 0;
    const level = stateRank(state) as Level;
    const { thresholds, hysteresisMargin } = this.options;
    for (const k of [0, 1, 2, 3] as const) {
      this.atLeast[k] = sustains(k, level, value, thresholds, hysteresisMargin) ? this.atLeast[k] + 1 : 0;
    }
    return this.atLeast[level];
  }

  /** The risk from the last update, if any. */
  current(): HostRisk | null {
    return this.last;
  }
}


function hostReasons(layers: readonly LayerRisk[]): Reason[] {
  const all = layers.flatMap((l) => l.reasons);
  const noData = all.filter((r) => r.source === 'nodata');
  const rest = sortReasons(all.filter((r) => r.source !== 'nodata'));
  return [...noData, ...rest].slice(0, MAX_HOST_REASONS);
}
