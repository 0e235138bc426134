import type { Sample } from '../../../server/src/monitor/sample';
import type { Tier } from '../../../server/src/policy';
import { LAB_CACHE_DIR, LAB_DATA_MOUNT } from '../../../server/src/lab/templates';
import { deployFaultyRelease, setFaults, sh } from './labOps';

export const LIMIT_RSS_MIB = 512;
export const SLO_LATENCY_MS = 500;
/** The most the disk scenario may write on a host, whatever its disk. */
export const DISK_FILL_CAP_MB = 300;
/** The lab's data filesystem, its limit in plumbline.yaml, and the cache folder the remediation empties. */
const DATA_MOUNT = LAB_DATA_MOUNT;
const DISK_LIMIT_PCT = 90;
const CACHE_DIR = LAB_CACHE_DIR;

export interface ScenarioCtx {
  dir: string;
  host: string;
  address: string;
  /** The target host's samples since the watcher started, oldest first. */
  samples: Sample[];
  log: (line: string) => void;
}

export interface Injection {
  /** Ends the fault's own activity (loops, writers); the fault switches are reset between scenarios anyway. */
  stop?: () => Promise<void>;
  /** When the failure condition would be reached without action (slow faults), or null if unknown. */
  projectedFailureAt?: (now: number, samples: Sample[]) => number | null;
  note?: () => string;
}

export interface Scenario {
  name: string;
  kind: 'harmful' | 'benign';
  /** The right outcome in words, written before the scenario runs. */
  right: string;
  /** The tier that cures this fault as injected (harmful only). */
  expectTier?: Tier;
  /** Whether that tier's action cures it (checked against its trigger); default true. */
  expectCured?: boolean;
  failure: string;
  slow: boolean;
  timeoutMs: number;
  /** After the pre-deployment snapshot, before the baseline (a deployment). */
  deploy?: (ctx: ScenarioCtx) => Promise<void>;
  /** A reason to skip this scenario on this machine, or null. */
  skip?: (ctx: ScenarioCtx, lastSample: Sample | undefined) => Promise<string | null>;
  inject: (ctx: ScenarioCtx) => Promise<Injection>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope (per ms) of the last `n` points. */
function slope(points: Array<[number, number]>): number | null {
  if (points.length < 5) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : null;
}

/** Projected time the app's rss reaches the limit, from the slope of the last 20 samples. */
function rssBreachAt(now: number, samples: Sample[]): number | null {
  const pts = samples
    .slice(-20)
    .filter((s) => s.app.process && s.app.process.pids.length > 0)
    .map((s): [number, number] => [s.ts, s.app.process!.rssKiB / 1024]);
  const k = slope(pts);
  if (k === null || k <= 0 || pts.length === 0) return null;
  const last = pts[pts.length - 1][1];
  return now + Math.max(0, (LIMIT_RSS_MIB - last) / k);
}

/** Projected time the data disk reaches its limit, from the slope of the last 20 samples. */
function diskBreachAt(now: number, samples: Sample[]): number | null {
  const pts = samples.slice(-20).flatMap((s): Array<[number, number]> => {
    const d = s.host.disks.find((x) => x.mount === DATA_MOUNT);
    return d ? [[s.ts, d.usedPct]] : [];
  });
  const k = slope(pts);
  if (k === null || k <= 0 || pts.length === 0) return null;
  return now + Math.max(0, (DISK_LIMIT_PCT - pts[pts.length - 1][1]) / k);
}

/** A fault switched on in the blue (serving) colour at once: immediately harmful, cured by a switch. */
function blueFault(name: string, failure: string, fault: Record<string, unknown>): Scenario {
  return {
    name,
    kind: 'harmful',
    right: 'switch to green (colour fault), cured',
    expectTier: 2,
    failure,
    slow: false,
    timeoutMs: 150_000,
    inject: async (ctx) => {
      await setFaults(ctx.dir, ctx.host, { blue: fault });
      return {};
    },
  };
}


async function diskSkip(ctx: ScenarioCtx): Promise<string | null> {
  const df = (await sh(ctx.dir, ctx.host, `df -kP ${DATA_MOUNT} | tail -1`)).trim().split(/\s+/);
  const sizeMB = Number(df[1]) / 1024;
  if (df[5] !== DATA_MOUNT) return `${DATA_MOUNT} is not a filesystem of its own on the lab host (df: ${df.join(' ')})`;
  if ((sizeMB * DISK_LIMIT_PCT) / 100 > DISK_FILL_CAP_MB) return `${DATA_MOUNT} is ${sizeMB.toFixed(0)} MB: filling it is more than the ${DISK_FILL_CAP_MB} MB this bench may write`;
  return null;
}

/** 1 MB/s into `file` on the data disk until it is full, stopped, or the file is removed (a clean-up got it). */
async function diskFill(ctx: ScenarioCtx, file: string): Promise<Injection> {
  let stopped = false;
  let written = 0;
  let cleaned = false;
  let full = false;
  await sh(ctx.dir, ctx.host, `mkdir -p "$(dirname ${file})"`);
  const writer = (async () => {
    while (!stopped && written < DISK_FILL_CAP_MB) {
      if (written > 0 && (await sh(ctx.dir, ctx.host, `test -e ${file} && echo yes || echo no`)).trim() === 'no') {
        cleaned = true;
        break;
      }
      try {
        await sh(ctx.dir, ctx.host, `dd if=/dev/zero of=${file} bs=1M count=1 oflag=append conv=notrunc status=none`);
      } catch {
        full = true;
        break;
      }
      written += 1;
      await sleep(1000);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await writer;
      await sh(ctx.dir, ctx.host, `rm -f ${file}`);
    },
    projectedFailureAt: diskBreachAt,
    note: () => `${written} MB written${cleaned ? ', then the file was cleaned up' : ''}${full ? ', until the disk was full' : ''}`,
  };
}

export const HARMFUL: Scenario[] = [
  {
    name: 'slow memory leak',
    kind: 'harmful',
    right: 'rollback to r2 before the limit (release regression), cured',
    expectTier: 3,
    failure: `app rss ≥ ${LIMIT_RSS_MIB} MiB`,
    slow: true,
    timeoutMs: 240_000,
    // A release that leaks: deployed after the snapshot, so rollback returns to r2.
    deploy: async (ctx) => deployFaultyRelease(ctx.dir, ctx.host, { leakMBPerSec: 1 }),
    // The leak starts with the release; "injection" is the moment watching starts.
    inject: async () => ({ projectedFailureAt: rssBreachAt }),
  },
  blueFault('CPU spin (blue)', 'immediately harmful (active colour busy ~90%)', { cpuSpin: true }),
  {
    name: 'latency creep (blue)',
    kind: 'harmful',
    right: 'switch to green before the SLO (colour fault), never a restart first, cured',
    expectTier: 2,
    failure: `health latency ≥ ${SLO_LATENCY_MS} ms`,
    slow: true,
    timeoutMs: 150_000,
    inject: async (ctx) => {
      const stepMs = 50;
      const everyMs = 10_000;
      const t0 = Date.now();
      let latency = stepMs;
      let stopped = false;
      await setFaults(ctx.dir, ctx.host, { blue: { latencyMs: latency } });
      const writer = (async () => {
        while (!stopped) {
          await sleep(everyMs);
          if (stopped) break;
          latency += stepMs;
          await setFaults(ctx.dir, ctx.host, { blue: { latencyMs: latency } }).catch(() => undefined);
        }
      })();
      // Latency reaches the SLO at step SLO/step, (SLO/step - 1) intervals after the first.
      const failAt = t0 + (Math.ceil(SLO_LATENCY_MS / stepMs) - 1) * everyMs;
      return {
        stop: async () => {
          stopped = true;
          await writer;
        },
        projectedFailureAt: () => failAt,
        note: () => `latency reached ${latency} ms`,
      };
    },
  },
  blueFault('error burst (blue 50%)', 'immediately harmful (half the requests fail)', { errorRate: 0.5 }),
  {
    name: 'corrupted config file',
    kind: 'harmful',
    right: 'rollback restores app.conf (config drift), cured',
    expectTier: 3,
    failure: 'immediately harmful (next nginx reload fails)',
    slow: false,
    timeoutMs: 150_000,
    inject: async (ctx) => {
      await sh(ctx.dir, ctx.host, `printf '\\n}}} garbage ;; not nginx\\n' >> /etc/nginx/conf.d/app.conf`);
      return {};
    },
  },
  blueFault('crashed service (blue crashLoop)', 'immediately harmful (active colour down)', { crashLoop: true }),
  {
    name: 'disk filling',
    kind: 'harmful',
    right: 'remediate: the clean-up empties the cache (disk fill), cured',
    expectTier: 1,
    failure: `${DATA_MOUNT} used ≥ ${DISK_LIMIT_PCT}%`,
    slow: true,
    timeoutMs: 150_000,
    skip: diskSkip,
    // A runaway cache: 1 MB/s into the data disk until the remediation empties the cache.
    inject: (ctx) => diskFill(ctx, `${CACHE_DIR}/bench-fill`),
  },
  {
    name: 'disk filling (path the clean-up misses)',
    kind: 'harmful',
    right: 'remediate once, reported NOT cured (the disk still fills), then no other action: a person is asked',
    expectTier: 1,
    expectCured: false,
    failure: `${DATA_MOUNT} used ≥ ${DISK_LIMIT_PCT}%`,
    slow: true,
    timeoutMs: 150_000,
    skip: diskSkip,
    // A spool outside the cache the clean-up empties.
    inject: (ctx) => diskFill(ctx, `${DATA_MOUNT}/spool/bench-fill`),
  },
  {
    name: 'deploy during watch, then errors',
    kind: 'harmful',
    right: 'no action while r3 starts; then rollback to r2 (release regression since r3), cured',
    expectTier: 3,
    failure: 'immediately harmful once settled (30% of requests fail)',
    slow: false,
    timeoutMs: 150_000,
    inject: async (ctx) => {
      await deployFaultyRelease(ctx.dir, ctx.host, { errorRate: 0.3 });
      return {};
    },
  },
  {
    name: 'leak in a release deployed during watch',
    kind: 'harmful',
    right: 'no action while r3 starts and looks healthy; rollback to r2 once the leak is forecast (release regression), before the limit, cured',
    expectTier: 3,
    failure: `app rss ≥ ${LIMIT_RSS_MIB} MiB`,
    slow: true,
    timeoutMs: 240_000,
    inject: async (ctx) => {
      await deployFaultyRelease(ctx.dir, ctx.host, { leakMBPerSec: 1 });
      return { projectedFailureAt: rssBreachAt };
    },
  },
  {
    name: 'error ramp (blue)',
    kind: 'harmful',
    right: 'switch to green (colour fault) while errors are still few, cured',
    expectTier: 2,
    failure: 'errors rise 2% every 3 s to 50%',
    slow: false,
    timeoutMs: 150_000,
    inject: async (ctx) => {
      let rate = 0.02;
      let stopped = false;
      await setFaults(ctx.dir, ctx.host, { blue: { errorRate: rate } });
      const writer = (async () => {
        while (!stopped && rate < 0.5) {
          await sleep(3000);
          if (stopped) break;
          rate = Math.min(0.5, rate + 0.02);
          await setFaults(ctx.dir, ctx.host, { blue: { errorRate: rate } }).catch(() => undefined);
        }
      })();
      return {
        stop: async () => {
          stopped = true;
          await writer;
        },
        note: () => `error rate reached ${(rate * 100).toFixed(0)}%`,
      };
    },
  },
];
