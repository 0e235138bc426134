import type { Sample } from '../../../server/src/monitor/sample';
import type { Episode } from './episode';
import { DISK, type Family } from './families';

export const LIMIT_RSS_MIB = 512;
export const SLO_LATENCY_MS = 500;

/** Least-squares slope per ms of the points, or null with fewer than 5. */
function slope(points: Array<[number, number]>): number | null {
  if (points.length < 5) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : null;
}

/** The first sample at or over `limit`, else the limit projected from the last 20 samples' slope. */
function reachesAt(samples: readonly Sample[], value: (s: Sample) => number | null, limit: number): number | null {
  const pts = samples.flatMap((s): Array<[number, number]> => {
    const v = value(s);
    return v === null ? [] : [[s.ts, v]];
  });
  const hit = pts.find(([, v]) => v >= limit);
  if (hit) return hit[0];
  const last = pts.slice(-20);
  const k = slope(last);
  if (k === null || k <= 0) return null;
  const [t, v] = last[last.length - 1];
  return t + (limit - v) / k;
}

/**
 * When the episode's failure condition is (or would be) reached without action: the app's rss at
 * its limit, health latency at the SLO, the data disk at its limit; the onset for faults harmful
 * from the start (plus a stated delay); null for benign episodes.
 */
export function failureTime(fam: Family, e: Episode): number | null {
  const after = e.samples.filter((s) => s.ts >= e.onsetTs);
  switch (fam.failure) {
    case 'rss':
      return reachesAt(after, (s) => (s.app.process && s.app.process.pids.length > 0 ? s.app.process.rssKiB / 1024 : null), LIMIT_RSS_MIB);
    case 'latency':
      return reachesAt(after, (s) => s.app.health?.latencyMs ?? null, SLO_LATENCY_MS);
    case 'disk':
      return reachesAt(after, (s) => s.host.disks.find((d) => d.mount === DISK.mount)?.usedPct ?? null, DISK.limitPct);
    case 'immediate':
      return e.onsetTs + (typeof e.params.delayS === 'number' ? e.params.delayS * 1000 : 0);
    default:
      return null;
  }
}
