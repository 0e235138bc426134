/**
 * What a metric means to the detectors: which way is bad, and how small a change is too small to
 * matter even when the baseline never moved (MAD 0). Known metrics by name, then by pattern, then
 * a two-sided default; configuration overrides all three.
 */

/** `up`: only higher is bad (latency, rss, errors); `down`: only lower is bad (health ok); `both`. */
export type Direction = 'up' | 'down' | 'both';

export interface MetricProfile {
  direction: Direction;
  /** The smallest deviation worth a robust z of 1, in the metric's own unit. */
  absFloor: number;
  /** The same as a fraction of the baseline's magnitude (|median|); the larger floor wins. */
  relFloor: number;
}

export const DEFAULT_PROFILE: MetricProfile = { direction: 'both', absFloor: 1e-6, relFloor: 0.02 };

const KNOWN: Record<string, Partial<MetricProfile>> = {
  // app
  rssKiB: { direction: 'up', absFloor: 1024 },
  cpuPct: { direction: 'both', absFloor: 1 },
  fds: { direction: 'up', absFloor: 2 },
  threads: { direction: 'both', absFloor: 1 },
  restarts: { direction: 'up', absFloor: 0.25 },
  healthLatencyMs: { direction: 'up', absFloor: 2 },
  healthOk: { direction: 'down', absFloor: 0.05 },
  errorRate: { direction: 'up', absFloor: 0.005 },
  requestRate: { direction: 'both', absFloor: 0.5 },
  // hardware
  memUsedPct: { direction: 'up', absFloor: 0.5 },
  diskUsedPct: { direction: 'up', absFloor: 0.25 },
  ioLatencyMs: { direction: 'up', absFloor: 0.5 },
  netRxBps: { direction: 'both', absFloor: 1024 },
  netTxBps: { direction: 'both', absFloor: 1024 },
  // os
  load1: { direction: 'up', absFloor: 0.1 },
  load5: { direction: 'up', absFloor: 0.1 },
  processes: { direction: 'both', absFloor: 2 },
};

/** Names not in the table: a suffix or word says enough about the direction. */
const PATTERNS: Array<[RegExp, Partial<MetricProfile>]> = [
  [/latency|duration|wait/i, { direction: 'up' }],
  [/error|fail|restart|drop|retrans|oom/i, { direction: 'up' }],
  [/(^|[a-z])(Ok|Up|Healthy)$/, { direction: 'down' }],
];

export function metricProfile(metric: string, overrides?: Record<string, Partial<MetricProfile>>): MetricProfile {
  const pattern = PATTERNS.find(([re]) => re.test(metric))?.[1];
  return { ...DEFAULT_PROFILE, ...pattern, ...KNOWN[metric], ...overrides?.[metric] };
}
