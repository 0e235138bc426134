import type { Finding, Layer, Reason } from '../../risk/types';

export type { Finding, Layer, Reason };

/** One sample of one layer of one host. Metric names are open-ended; `null` is a missing value. */
export interface LayerObservation {
  /** Milliseconds since the epoch. */
  ts: number;
  layer: Layer;
  metrics: Record<string, number | null>;
}

/** Facts about the host that give limits meaning (a leak breaches the host's memory, not a number). */
export interface HostFacts {
  memTotalKiB?: number;
  fdsMax?: number;
}

/** Numbers in sentences: short, but not so short that a baseline and a value look equal. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/** A duration in words for details: "4 min 10 s", "2.5 h". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${(s / 3600).toFixed(1)} h`;
}
