/**
 * The episode families: fault and benign events injected into a lab host, each with its right
 * outcome written down before anything is recorded. Parameters (rates, colour, durations) are
 * drawn from a seeded generator, so a seed gives the same library on every run.
 */
import { LAB_CACHE_DIR, LAB_DATA_MOUNT } from '../../../server/src/lab/templates';
import { shellQuote } from '../../../server/src/ssh/quote';
import { faultyReleaseScript } from '../../../server/src/lab/faultyRelease';
import { setFaults, sh, trafficSpike } from '../scenarios/labOps';
import type { LabelTier } from './episode';

export interface FamilyCtx {
  dir: string;
  host: string;
  address: string;
  r: () => number;
}

export interface Running {
  /** Ends the event's own activity; resolves once it has ended. */
  stop: () => Promise<void>;
  /** When the event's own activity ended by itself (a burst), ms; null while it runs. */
  endedAt: () => number | null;
}

export interface Family {
  name: string;
  kind: 'harmful' | 'benign';
  tier: LabelTier;
  cause: string;
  why: string;
  /** Seconds recorded after the onset. */
  recordS: number;
  /** What failing means: a limit reached (rss, latency SLO, disk) or harm from the onset; none for benign. */
  failure?: 'rss' | 'latency' | 'disk' | 'immediate';
  /** A deployment between the snapshot and the baseline (the fault comes with the baseline's release). */
  beforeBaseline?: (ctx: FamilyCtx, p: Params) => Promise<void>;
  draw: (r: () => number) => Params;
  inject: (ctx: FamilyCtx, p: Params) => Promise<Running>;
}

export type Params = Record<string, number | string | boolean>;

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const between = (r: () => number, lo: number, hi: number, digits = 2): number => Number((lo + (hi - lo) * r()).toFixed(digits));

/** Runs `body` (which loops until `stopped()`), and stops it on request. */
function loop(body: (stopped: () => boolean) => Promise<void>): Running {
  let stopped = false;
  let ended: number | null = null;
  const done = body(() => stopped)
    .catch(() => undefined)
    .finally(() => {
      ended = Date.now();
    });
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
    endedAt: () => ended,
  };
}

/** A command on the host that runs to its end by itself (a neighbour); stop waits for it. */
function background(ctx: FamilyCtx, script: string): Promise<Running> {
  return Promise.resolve(
    loop(async () => {
      await sh(ctx.dir, ctx.host, script);
    }),
  );
}

/** Fault switches that ramp: `at(k)` is the switch state at step k, written every `everyMs`. */
function ramp(ctx: FamilyCtx, everyMs: number, at: (k: number) => Record<string, unknown>): Promise<Running> {
  return setFaults(ctx.dir, ctx.host, at(0)).then(() =>
    loop(async (stopped) => {
      for (let k = 1; !stopped(); k++) {
        const until = Date.now() + everyMs;
        while (!stopped() && Date.now() < until) await sleep(200);
        if (!stopped()) await setFaults(ctx.dir, ctx.host, at(k));
      }
    }),
  );
}

const once = async (work: Promise<unknown>): Promise<Running> => {
  await work;
  const at = Date.now();
  return { stop: async () => undefined, endedAt: () => at };
};

const NODE = shellQuote(process.execPath);

/**
 * A CPU-bound busy loop for `seconds` in one process of the host (a shell builtin loop: a loop
 * that forks `date` each turn spends its CPU in children that exit between samples).
 */
function busyLoop(seconds: number): string {
  return `timeout ${Math.round(seconds)} sh -c 'while :; do :; done' || true`;
}

export const FAMILIES: Family[] = [
  // ---- harmful ----------------------------------------------------------------------------
  {
    name: 'release-leak',
    failure: 'rss',
    kind: 'harmful',
    tier: 3,
    cause: 'release-regression',
    why: 'a release deployed during watch leaks memory towards the limit; the release before it is the cure',
    recordS: 110,
    draw: (r) => ({ leakMBPerSec: between(r, 0.6, 2.5) }),
    inject: (ctx, p) => once(sh(ctx.dir, ctx.host, faultyReleaseScript({ leakMBPerSec: p.leakMBPerSec }))),
  },
  {
    name: 'release-leak-baselined',
    failure: 'rss',
    kind: 'harmful',
    tier: 3,
    cause: 'release-regression',
    why: 'the baselined release (deployed after the snapshot) leaks from the start; rollback returns to the snapshot',
    recordS: 100,
    draw: (r) => ({ leakMBPerSec: between(r, 0.6, 2.0) }),
    beforeBaseline: async (ctx, p) => void (await sh(ctx.dir, ctx.host, faultyReleaseScript({ leakMBPerSec: p.leakMBPerSec }))),
    inject: () => once(Promise.resolve()),
  },
  {
    name: 'deploy-then-degrade',
    failure: 'immediate',
    kind: 'harmful',
    tier: 3,
    cause: 'release-regression',
    why: 'a deploy during watch, then errors or latency on both colours: the new release is the change',
    recordS: 90,
    draw: (r) => ({ delayS: Math.round(between(r, 10, 35)), fault: pick(r, ['errorRate', 'latencyMs']), errorRate: between(r, 0.1, 0.4), latencyMs: Math.round(between(r, 150, 450)) }),
    inject: async (ctx, p) => {
      await sh(ctx.dir, ctx.host, faultyReleaseScript({}));
      return loop(async (stopped) => {
        const until = Date.now() + Number(p.delayS) * 1000;
        while (!stopped() && Date.now() < until) await sleep(200);
        if (!stopped()) await setFaults(ctx.dir, ctx.host, p.fault === 'errorRate' ? { errorRate: p.errorRate } : { latencyMs: p.latencyMs });
      });
    },
  },
  {
    name: 'colour-error-ramp',
    failure: 'immediate',
    kind: 'harmful',
    tier: 2,
    cause: 'colour-fault',
    why: 'errors ramp on the serving colour only; the idle colour is the cure',
    recordS: 80,
    draw: (r) => ({ start: between(r, 0.02, 0.08), step: between(r, 0.03, 0.1), everyS: Math.round(between(r, 6, 14)) }),
    inject: (ctx, p) => ramp(ctx, Number(p.everyS) * 1000, (k) => ({ blue: { errorRate: Math.min(0.7, Number(p.start) + k * Number(p.step)) } })),
  },
  {
    name: 'colour-latency-creep',
    failure: 'latency',
    kind: 'harmful',
    tier: 2,
    cause: 'colour-fault',
    why: 'latency creeps up on the serving colour only, towards the SLO',
    recordS: 100,
    draw: (r) => ({ stepMs: Math.round(between(r, 30, 90)), everyS: Math.round(between(r, 6, 12)) }),
    inject: (ctx, p) => ramp(ctx, Number(p.everyS) * 1000, (k) => ({ blue: { latencyMs: (k + 1) * Number(p.stepMs) } })),
  },
  {
    name: 'colour-crash-loop',
    failure: 'immediate',
    kind: 'harmful',
    tier: 2,
    cause: 'colour-fault',
    why: 'the serving colour exits on every start; the idle colour is healthy',
    recordS: 60,
    draw: (r) => ({ variant: pick(r, ['crashLoop', 'cpuSpin']) }),
    inject: (ctx, p) => once(setFaults(ctx.dir, ctx.host, { blue: { [String(p.variant)]: true } })),
  },
  {
    // The crash-loop family draws a spin too, but its recordings drew crash loops only: a runaway
    // process on the serving colour, with no traffic to explain its CPU, is a class of its own
    // (users may see no harm yet; its capacity is gone).
    name: 'colour-cpu-spin',
    failure: 'immediate',
    kind: 'harmful',
    tier: 2,
    cause: 'app-resource',
    why: "the serving colour's process spins at full CPU with no traffic to explain it; the idle colour runs a fresh process",
    recordS: 60,
    draw: () => ({ variant: 'cpuSpin' }),
    inject: (ctx) => once(setFaults(ctx.dir, ctx.host, { blue: { cpuSpin: true } })),
  },
  {
    name: 'disk-fill',
    failure: 'disk',
    kind: 'harmful',
    tier: 1,
    cause: 'disk-fill',
    why: 'a runaway cache fills the data disk; the configured clean-up empties it',
    recordS: 100,
    draw: (r) => ({ mbPerSec: between(r, 0.6, 1.6) }),
    inject: (ctx, p) =>
      Promise.resolve(
        loop(async (stopped) => {
          const file = `${LAB_CACHE_DIR}/episode-fill`;
          await sh(ctx.dir, ctx.host, `mkdir -p ${LAB_CACHE_DIR}`);
          const gapMs = 1000 / Number(p.mbPerSec);
          // Stop short of the filesystem's end: the failure is the limit, not ENOSPC.
          for (let mb = 0; !stopped() && mb < 85; mb++) {
            await sh(ctx.dir, ctx.host, `dd if=/dev/zero of=${file} bs=1M count=1 oflag=append conv=notrunc status=none`);
            await sleep(gapMs);
          }
        }),
      ),
  },
  {
    name: 'config-corruption',
    failure: 'immediate',
    kind: 'harmful',
    tier: 3,
    cause: 'config-drift',
    why: 'a managed nginx file is corrupted (the next reload fails); a rollback restores the snapshot copy',
    recordS: 50,
    draw: (r) => ({ file: '/etc/nginx/conf.d/app.conf', garbage: pick(r, ['}}} garbage ;; not nginx', 'location / { proxy_pass http://nowhere'] as const) }),
    inject: (ctx, p) => once(sh(ctx.dir, ctx.host, `printf '\\n%s\\n' ${shellQuote(String(p.garbage))} >> ${shellQuote(String(p.file))}`)),
  },
  // ---- benign -----------------------------------------------------------------------------
  {
    name: 'healthy-deploy',
    kind: 'benign',
    tier: 0,
    cause: 'deploy',
    why: 'a healthy release deployed outside Plumbline: a new baseline to propose, not a fault',
    recordS: 80,
    draw: () => ({}),
    inject: (ctx) => once(sh(ctx.dir, ctx.host, faultyReleaseScript({}))),
  },
  {
    name: 'app-restart',
    kind: 'benign',
    tier: 0,
    cause: 'none',
    why: 'both colours restarted by someone (the supervisor brings them back): no harm',
    recordS: 60,
    draw: (r) => ({ colours: pick(r, ['blue green', 'blue', 'green']) }),
    inject: (ctx, p) => once(sh(ctx.dir, ctx.host, `for c in ${p.colours}; do kill "$(cat /run/plumbline-app-$c.pid)"; done`)),
  },
  {
    name: 'cpu-neighbour',
    kind: 'benign',
    tier: 0,
    cause: 'neighbour',
    why: 'a batch job (not the app) busy-loops; the app is not the cause and users see no harm',
    recordS: 90,
    draw: (r) => ({ seconds: Math.round(between(r, 30, 70)), loops: pick(r, [1, 1, 2]) }),
    inject: (ctx, p) => background(ctx, Array.from({ length: Number(p.loops) }, () => `(${busyLoop(Number(p.seconds))}) &`).join('\n') + '\nwait'),
  },
  {
    name: 'memory-neighbour',
    kind: 'benign',
    tier: 0,
    cause: 'neighbour',
    why: 'another process holds a few hundred MiB for a while; not the app',
    recordS: 90,
    draw: (r) => ({ mb: Math.round(between(r, 120, 400)), seconds: Math.round(between(r, 30, 70)) }),
    inject: (ctx, p) =>
      background(ctx, `exec ${NODE} -e ${shellQuote(`const b=[];for(let i=0;i<${p.mb};i++)b.push(Buffer.alloc(1<<20,1));setTimeout(()=>b.length,${Number(p.seconds) * 1000})`)}`),
  },
  {
    name: 'backup-io',
    kind: 'benign',
    tier: 0,
    cause: 'neighbour',
    why: 'a nightly backup writes and reads a large archive: an I/O burst, nothing to cure',
    recordS: 80,
    draw: (r) => ({ mb: Math.round(between(r, 80, 250)), passes: pick(r, [1, 2]) }),
    inject: (ctx, p) =>
      background(
        ctx,
        [
          `for i in $(seq 1 ${p.passes}); do`,
          `  dd if=/dev/zero of=/var/tmp/episode-backup bs=1M count=${p.mb} conv=fsync status=none`,
          '  tar cf - /srv/app /etc 2>/dev/null | gzip -1 > /var/tmp/episode-backup.tgz',
          '  cat /var/tmp/episode-backup > /dev/null',
          'done',
          'rm -f /var/tmp/episode-backup /var/tmp/episode-backup.tgz',
        ].join('\n'),
      ),
  },
  {
    name: 'log-burst',
    kind: 'benign',
    tier: 0,
    cause: 'neighbour',
    why: 'a chatty job writes a burst of log lines, then the log is rotated',
    recordS: 70,
    draw: (r) => ({ lines: Math.round(between(r, 50_000, 400_000, 0)) }),
    inject: (ctx, p) =>
      background(
        ctx,
        [
          // One process writes the lines (a loop forking per line crawls on a busy machine).
          `yes 'job line with some words to fill the log, as a chatty batch job writes them' | head -n ${p.lines} >> /var/log/episode-burst.log`,
          'mv /var/log/episode-burst.log /var/log/episode-burst.log.1 && gzip -f /var/log/episode-burst.log.1 && rm -f /var/log/episode-burst.log.1.gz',
        ].join('\n'),
      ),
  },
  {
    name: 'traffic-surge',
    kind: 'benign',
    tier: 0,
    cause: 'traffic',
    why: 'many more requests than usual, all answered: load, not a fault',
    recordS: 70,
    draw: (r) => ({ requests: Math.round(between(r, 1500, 5000, 0)), concurrency: pick(r, [4, 8, 12]) }),
    inject: (ctx, p) =>
      Promise.resolve(
        loop(async () => {
          await trafficSpike(ctx.address, Number(p.requests), Number(p.concurrency));
        }),
      ),
  },
  {
    name: 'cron-burst',
    kind: 'benign',
    tier: 0,
    cause: 'neighbour',
    why: 'a cron job spins the CPU for a few seconds, a few times',
    recordS: 70,
    draw: (r) => ({ seconds: Math.round(between(r, 3, 9)), times: pick(r, [1, 2, 3]), gapS: Math.round(between(r, 10, 20)) }),
    inject: (ctx, p) => background(ctx, Array.from({ length: Number(p.times) }, () => busyLoop(Number(p.seconds))).join(`\nsleep ${p.gapS}\n`)),
  },
  {
    name: 'idle-colour-fault',
    kind: 'benign',
    tier: 0,
    cause: 'colour-fault',
    why: 'the idle colour (green) fails while blue serves everyone: switching would hurt, nothing else cures it; a person should look',
    recordS: 70,
    draw: (r) => ({ fault: pick(r, ['errorRate', 'crashLoop', 'latencyMs']) }),
    inject: (ctx, p) => once(setFaults(ctx.dir, ctx.host, { green: p.fault === 'errorRate' ? { errorRate: 0.5 } : p.fault === 'latencyMs' ? { latencyMs: 400 } : { crashLoop: true } })),
  },
];

/** The data filesystem and its limit, for the disk family's failure time. */
export const DISK = { mount: LAB_DATA_MOUNT, limitPct: 90 } as const;
