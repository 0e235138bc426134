import type { LayerObservation } from '../detect/layer/types';
import type { Sample } from '../monitor/sample';

/** Request and error counters from the app's Prometheus endpoint, when it has the usual names. */
const REQUESTS = ['requests_total', 'http_requests_total'];
const ERRORS = ['errors_total', 'http_errors_total'];

function counter(metrics: Record<string, number> | null, names: string[]): number | null {
  if (!metrics) return null;
  for (const n of names) if (typeof metrics[n] === 'number') return metrics[n];
  return null;
}

/** A counter's increase per second between two samples; null across a reset or without both. */
function rate(now: number | null, before: number | null, dtSec: number): number | null {
  if (now === null || before === null || dtSec <= 0 || now < before) return null;
  return (now - before) / dtSec;
}

/**
 * One sample as three layer observations, the metric vectors the detectors score. Counters
 * become per-interval rates against the previous sample of the same agent run.
 */
export function observationsOf(sample: Sample, previous: Sample | undefined): LayerObservation[] {
  const h = sample.host;
  const a = sample.app;
  const dtSec = previous ? (sample.ts - previous.ts) / 1000 : 0;
  // Memory as the share the host's own processes hold: MemAvailable, load and /proc/diskstats are
  // kernel-wide, so in a container (or a lab host) they move with the neighbours and would blame
  // this host for them. They stay in the stored samples; the detectors score host-own metrics.
  const memUsedPct = h.memTotalKiB > 0 ? (100 * h.rssKiB) / h.memTotalKiB : null;
  const diskUsedPct = h.disks.length > 0 ? Math.max(...h.disks.map((d) => d.usedPct)) : null;

  const requests = counter(a.metrics, REQUESTS);
  const errors = counter(a.metrics, ERRORS);
  const prevRequests = previous ? counter(previous.app.metrics, REQUESTS) : null;
  const prevErrors = previous ? counter(previous.app.metrics, ERRORS) : null;
  const requestRate = rate(requests, prevRequests, dtSec);
  const errorRate = rate(errors, prevErrors, dtSec);
  const errorRatio = requestRate !== null && errorRate !== null ? (requestRate > 0 ? errorRate / requestRate : 0) : null;

  const proc = a.process;
  const restarts = proc && previous?.app.process ? Math.max(0, proc.restarts - previous.app.process.restarts) : 0;
  const health = a.health;
  const healthOk = health ? (health.status !== null && health.status >= 200 && health.status < 300 ? 1 : 0) : null;

  return [
    {
      ts: sample.ts,
      layer: 'hardware',
      metrics: {
        cpuPct: h.cpuPct,
        memUsedPct,
        diskUsedPct,
        netRxBps: h.netRxBps,
        netTxBps: h.netTxBps,
      },
    },
    {
      ts: sample.ts,
      layer: 'os',
      metrics: { processes: h.processes, fds: h.fds, hostRssKiB: h.rssKiB },
    },
    {
      ts: sample.ts,
      layer: 'app',
      metrics: {
        processRunning: proc ? (proc.pids.length > 0 ? 1 : 0) : null,
        rssKiB: proc && proc.pids.length > 0 ? proc.rssKiB : null,
        cpuPct: proc && proc.pids.length > 0 ? proc.cpuPct : null,
        threads: proc && proc.pids.length > 0 ? proc.threads : null,
        fds: proc && proc.pids.length > 0 ? proc.fds : null,
        restarts: proc ? restarts : null,
        healthOk,
        healthLatencyMs: health?.latencyMs ?? null,
        requestRate,
        errorRatio,
      },
    },
  ];
}
