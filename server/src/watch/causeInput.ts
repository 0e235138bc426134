import { activeColour } from '../act/upstream';
import type { HostDetectors } from '../detect/layer/hosts';
import type { Sample } from '../monitor/sample';
import type { CauseInput, Colour, ReleaseChange } from '../policy/causeTypes';
import type { HostRisk } from '../risk/types';
import type { EvidenceTracks } from './evidenceTracks';

/** A new release's start-up (restarts, a few busy seconds, caches warming) is not judged before this... */
export const SETTLE_MIN_MS = 30_000;
/** ...nor before this many intervals. */
export const SETTLE_INTERVALS = 10;
/** Harm that starts this long after a release change is no longer blamed on it. */
export const BLAME_MS = 60 * 60_000;

export function settleMs(intervalMs: number): number {
  return Math.max(SETTLE_MIN_MS, SETTLE_INTERVALS * intervalMs);
}

export interface CauseSources {
  risk: HostRisk;
  sample: Sample | undefined;
  detectors: HostDetectors | null;
  evidence: EvidenceTracks;
  release: { now: string | null; baseline: string | null; snapshot: string | null; change: ReleaseChange | null } | null;
  colours: CauseInput['colours'];
  cleanup: CauseInput['cleanup'];
  switchFile?: string;
  intervalMs: number;
}

/** Everything the watch knows about one host this interval, as the plain data cause attribution reads. */
export function causeInputOf(s: CauseSources): CauseInput {
  const sample = s.sample;
  const median = (layer: 'hardware' | 'os' | 'app', metric: string): number | null => s.detectors?.[layer].baselineOf(metric) ?? null;
  const proc = sample?.app.process;
  return {
    host: s.risk.host,
    now: s.risk.ts,
    reasons: s.risk.reasons,
    bands: s.evidence.bands(),
    since: s.evidence.since(),
    release: s.release,
    settleMs: settleMs(s.intervalMs),
    blameMs: BLAME_MS,
    colours: s.colours,
    processes: sample
      ? {
          app: proc && proc.pids.length > 0 ? { cpuPct: proc.cpuPct, rssKiB: proc.rssKiB } : null,
          host: { cpuPct: sample.host.cpuPct, rssKiB: sample.host.rssKiB },
          baseline: {
            appCpuPct: median('app', 'cpuPct'),
            appRssKiB: median('app', 'rssKiB'),
            hostCpuPct: median('hardware', 'cpuPct'),
            hostRssKiB: median('os', 'hostRssKiB'),
          },
          top: (sample.host.top ?? []).map((t) => ({ pid: t.pid, command: t.comm, cpuPct: t.cpuPct, rssKiB: t.rssKiB })),
        }
      : null,
    cleanup: s.cleanup,
    switchFile: s.switchFile,
  };
}

/** The serving colour from the upstream file's content in a fingerprint; null when it cannot tell. */
export function servingColour(upstreamText: string | undefined, addresses: Record<Colour, string> | null): Colour | null {
  if (!upstreamText || !addresses) return null;
  const c = activeColour(upstreamText, addresses);
  return c.ok ? c.value : null;
}
