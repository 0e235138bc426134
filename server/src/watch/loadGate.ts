import type { Finding, Layer } from '../detect/layer/types';
import { serviceImpact } from '../policy/cure';

/** Metrics that follow the work a host is given: on a healthy service they rise with its traffic. */
const FOLLOWS_LOAD: Readonly<Record<Layer, ReadonlySet<string>>> = {
  app: new Set(['cpuPct', 'rssKiB', 'threads', 'fds']),
  os: new Set(['fds', 'processes', 'hostRssKiB']),
  hardware: new Set(['cpuPct', 'netRxBps', 'netTxBps', 'memUsedPct']),
};

export interface LoadGateOptions {
  /** Factor on the score of a finding that traffic explains. */
  factor: number;
  /** How long after the request rate was last seen raised its followers still count as explained (rss and fds come down slowly). */
  holdMs: number;
}

export const DEFAULT_LOAD_GATE: LoadGateOptions = { factor: 0.2, holdMs: 60_000 };

/**
 * Traffic is not a fault. While the app serves more requests than its baseline and what users see
 * (health, latency, errors) stays normal, the metrics that follow load (cpu, rss, fds, network)
 * are explained by it: their findings are damped and say so. A change in the request rate alone
 * is never the host's fault while the service is healthy, in either direction. Any service-level
 * finding opens the gate: a busy service that also fails is scored in full.
 */
export class LoadGate {
  private raisedUntil = 0;
  private raisedBy = '';

  constructor(private readonly o: LoadGateOptions = DEFAULT_LOAD_GATE) {}

  apply(findings: readonly Finding[], now: number): Finding[] {
    const healthy = !serviceImpact(findings, Number.MIN_VALUE);
    const rate = findings.find((f) => f.layer === 'app' && f.metric === 'requestRate' && f.score > 0 && f.source !== 'config');
    if (rate && typeof rate.value === 'number' && typeof rate.baseline === 'number' && rate.value > rate.baseline) {
      this.raisedUntil = now + this.o.holdMs;
      this.raisedBy = `${fmt(rate.value)}/s against ${fmt(rate.baseline)}/s`;
    }
    if (!healthy) return [...findings];
    const busy = now <= this.raisedUntil;
    return findings.map((f) => {
      if (f.source === 'config' || f.score <= 0) return f;
      if (f.layer === 'app' && f.metric === 'requestRate') {
        return { ...f, score: f.score * this.o.factor, explainedBy: 'traffic' as const, detail: `${f.detail} Traffic changes alone are not a fault while health and errors stay normal.` };
      }
      if (busy && FOLLOWS_LOAD[f.layer].has(f.metric)) {
        return { ...f, score: f.score * this.o.factor, explainedBy: 'traffic' as const, detail: `${f.detail} Explained by traffic (request rate ${this.raisedBy}) while health and errors stay normal.` };
      }
      return f;
    });
  }
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}
