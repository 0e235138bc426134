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

// Floors are the noise a healthy host shows between two intervals (measured on lab hosts that
// share a busy 2-core machine): below them a change is not worth a robust z of 1, however flat
// the baseline window happened to be. Kernel-wide counters (load, disk IO, memory in a container)
// get wide floors because neighbours move them too.
const KNOWN: Record<string, Partial<MetricProfile>> = {
  // app
  // A runtime's rss wanders by 10–15 % under steady load (heap growth, GC); leaks are the
  // forecast's to catch, so the statistics only speak up for a jump well beyond that.
  rssKiB: { direction: 'up', absFloor: 8192, relFloor: 0.15 },
  cpuPct: { direction: 'both', absFloor: 2, relFloor: 0.1 },
  fds: { direction: 'up', absFloor: 4, relFloor: 0.1 },
  threads: { direction: 'both', absFloor: 2, relFloor: 0.2 },
  restarts: { direction: 'up', absFloor: 0.25 },
  processRunning: { direction: 'down', absFloor: 0.05 },
  healthLatencyMs: { direction: 'up', absFloor: 10, relFloor: 0.25 },
  healthOk: { direction: 'down', absFloor: 0.05 },
  errorRate: { direction: 'up', absFloor: 0.005 },
  errorRatio: { direction: 'up', absFloor: 0.01 },
  requestRate: { direction: 'both', absFloor: 1, relFloor: 0.3 },
  // hardware
  memUsedPct: { direction: 'up', absFloor: 2 },
  diskUsedPct: { direction: 'up', absFloor: 0.25 },
  ioLatencyMs: { direction: 'up', absFloor: 5, relFloor: 0.5 },
  diskReadBps: { direction: 'up', absFloor: 4 * 1024 * 1024, relFloor: 0.5 },
  diskWriteBps: { direction: 'up', absFloor: 4 * 1024 * 1024, relFloor: 0.5 },
  netRxBps: { direction: 'both', absFloor: 64 * 1024, relFloor: 0.5 },
  netTxBps: { direction: 'both', absFloor: 64 * 1024, relFloor: 0.5 },
  // os
  load1: { direction: 'up', absFloor: 0.5, relFloor: 0.15 },
  load5: { direction: 'up', absFloor: 0.5, relFloor: 0.15 },
  processes: { direction: 'both', absFloor: 5, relFloor: 0.1 },
  hostRssKiB: { direction: 'up', absFloor: 64 * 1024, relFloor: 0.1 },
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

/** Whether Plumbline knows `metric` by name or pattern (else it gets the two-sided default). */
export function isKnownMetric(metric: string): boolean {
  return metric in KNOWN || PATTERNS.some(([re]) => re.test(metric));
}

/** The metric detector's options for `metric`: its bad direction and floors. Counters are already rates in watch. */
export function detectorOptionsFor(metric: string, overrides?: Record<string, Partial<MetricProfile>>): { metric: string; direction: Direction; absFloor: number; relFloor: number; counters: false } {
  const p = metricProfile(metric, overrides);
  return { metric, direction: p.direction, absFloor: p.absFloor, relFloor: p.relFloor, counters: false };
}
