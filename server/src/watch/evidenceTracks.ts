import type { HostDetectors } from '../detect/layer/hosts';
import type { Finding } from '../risk/types';
import { RISK_LAYERS } from '../risk/types';

/** A finding run survives this many intervals without the metric scoring (a noisy metric flickers). */
export const RUN_GAP_INTERVALS = 3;

/**
 * Evidence as people read it: each metric's normal range in the baseline window, and since when
 * it has been off it. Bands come from the trained detectors' statistics (p01–p99); runs from the
 * findings of each interval.
 */
export class EvidenceTracks {
  private runs = new Map<string, { since: number; lastSeen: number }>();
  private bandMap: Record<string, { low: number; high: number }> = {};

  constructor(private readonly intervalMs: number) {}

  /** Bands from the detectors (after training, loading or relearning a layer). */
  setBands(detectors: HostDetectors | null): void {
    const out: Record<string, { low: number; high: number }> = {};
    if (detectors) {
      for (const layer of RISK_LAYERS) {
        for (const [metric, band] of Object.entries(detectors[layer].bands())) out[`${layer}.${metric}`] = band;
      }
    }
    this.bandMap = out;
  }

  /** One interval's findings (score above 0). */
  update(findings: readonly Finding[], now: number): void {
    for (const f of findings) {
      if (f.score <= 0 || f.source === 'config' || f.source === 'nodata') continue;
      const k = `${f.layer}.${f.metric}`;
      const run = this.runs.get(k);
      if (run && now - run.lastSeen <= RUN_GAP_INTERVALS * this.intervalMs) run.lastSeen = now;
      else this.runs.set(k, { since: f.ts, lastSeen: now });
    }
    for (const [k, run] of this.runs) if (now - run.lastSeen > RUN_GAP_INTERVALS * this.intervalMs) this.runs.delete(k);
  }

  bands(): Record<string, { low: number; high: number }> {
    return this.bandMap;
  }

  since(): Record<string, number> {
    return Object.fromEntries([...this.runs].map(([k, r]) => [k, r.since]));
  }

  /** Whether any metric of these layers has been off its normal within the last interval. */
  activeIn(layers: readonly string[], now: number): boolean {
    for (const [k, run] of this.runs) if (layers.includes(k.slice(0, k.indexOf('.'))) && now - run.lastSeen <= this.intervalMs) return true;
    return false;
  }
}
