/**
 * Variants of a recorded episode from a seeded generator: the event moved in time, played faster
 * or slower, stronger or weaker, and noisier. The right outcome stays the recorded one: a leak
 * played at 1.4× is still a leak on that release, a neighbour at 0.7× is still a neighbour.
 */
import type { Sample } from '../../../server/src/monitor/sample';
import { gauss, rng } from '../../support/random';
import type { Episode } from './episode';
import { failureTime } from './failure';
import { FAMILIES } from './families';

export interface Variation {
  /** Quiet samples added (>0) or removed (<0) before the onset. */
  shift: number;
  /** Event time runs this many times as fast (a leak of 1 MB/s at 1.5 is 1.5 MB/s). */
  rate: number;
  /** The event's deviation from the quiet state, times this. */
  amplitude: number;
  /** Relative noise on gauges (cpu, latency, io, network), for every sample. */
  noise: number;
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));

/** Draws a variation; harmful events are not weakened below 0.8 (they must stay harmful). */
export function drawVariation(r: () => number, e: Episode): Variation {
  const quietBefore = e.samples.filter((s) => s.ts < e.onsetTs).length - e.warmup;
  return {
    shift: e.onsetTs <= e.samples[0].ts ? 0 : Math.round(-Math.max(0, quietBefore - 3) * r() + 20 * r() * r()),
    rate: round(0.6 + r()),
    amplitude: round(e.kind === 'harmful' ? 0.8 + 0.6 * r() : 0.6 + 0.9 * r()),
    noise: round(0.12 * r() * r(), 3),
  };
}

const GAUGES_HOST = ['cpuPct', 'load1', 'diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const;

/** The episode with `v` applied; the id gets `~vN`. */
export function vary(e: Episode, v: Variation, seed: number, n: number): Episode {
  const r = rng(seed);
  const dt = e.intervalMs;
  const pre = e.samples.filter((s) => s.ts < e.onsetTs);
  const event = e.samples.filter((s) => s.ts >= e.onsetTs);
  // Timing: drop quiet samples after the warm-up, or repeat the last quiet stretch.
  let quiet = pre.slice();
  if (v.shift < 0) quiet = [...pre.slice(0, e.warmup), ...pre.slice(e.warmup - v.shift)];
  else if (v.shift > 0) {
    const tail = pre.slice(Math.max(e.warmup, pre.length - 10));
    for (let i = 0; i < v.shift && tail.length > 0; i++) quiet.push(tail[i % tail.length]);
  }
  const ref = median(pre.slice(Math.max(0, pre.length - 20)));
  const t0 = e.samples[0].ts;
  const onsetIndex = quiet.length;
  const onsetTs = pre.length === 0 ? t0 : t0 + onsetIndex * dt;
  // Rate: sample k after the onset shows the recording at k·rate intervals in.
  const warped: Sample[] = [];
  for (let k = 0; ; k++) {
    const at = e.onsetTs + k * dt * v.rate;
    const src = nearest(event, at);
    if (!src || at > event[event.length - 1].ts + dt / 2) break;
    warped.push(src);
  }
  const sources = [...quiet, ...warped];
  const counters = rebuildCounters(e.samples, sources, dt, onsetIndex, v.amplitude);
  const out = sources.map((s, i): Sample => {
    const c: Sample = structuredClone(s);
    c.seq = i + 1;
    c.ts = t0 + i * dt;
    if (c.app.metrics) c.app.metrics = counters[i];
    if (i >= onsetIndex && ref) scale(c, ref, v.amplitude);
    if (v.noise > 0) {
      for (const k of GAUGES_HOST) c.host[k] = Math.max(0, c.host[k] * (1 + v.noise * gauss(r)));
      if (c.app.health?.latencyMs != null) c.app.health.latencyMs = Math.max(0.1, c.app.health.latencyMs * (1 + v.noise * gauss(r)));
      if (c.app.process) c.app.process.cpuPct = Math.max(0, c.app.process.cpuPct * (1 + v.noise * gauss(r)));
    }
    return c;
  });
  const varied: Episode = {
    ...e,
    id: `${e.id}~v${n}`,
    params: { ...e.params, variation: { ...v } },
    onsetTs,
    endTs: e.endTs === null ? null : onsetTs + (e.endTs - e.onsetTs) / v.rate,
    samples: out,
  };
  const fam = FAMILIES.find((f) => f.name === e.family);
  varied.failureTs = fam ? failureTime(fam, varied) : null;
  return varied;
}

/** Moves the sample's gauges away from (or towards) the quiet state by `a`. */
function scale(c: Sample, ref: Sample, a: number): void {
  const mix = (x: number, base: number): number => Math.max(0, base + a * (x - base));
  for (const k of [...GAUGES_HOST, 'rssKiB', 'ioLatencyMs', 'fds', 'processes'] as const) {
    const x = c.host[k];
    const b = ref.host[k];
    if (typeof x === 'number' && typeof b === 'number') (c.host as unknown as Record<string, number>)[k] = mix(x, b);
  }
  for (const d of c.host.disks) {
    const b = ref.host.disks.find((x) => x.mount === d.mount);
    if (b) d.usedPct = Math.min(100, mix(d.usedPct, b.usedPct));
  }
  if (c.app.process && ref.app.process && c.app.process.pids.length > 0) {
    c.app.process.rssKiB = mix(c.app.process.rssKiB, ref.app.process.rssKiB);
    c.app.process.cpuPct = mix(c.app.process.cpuPct, ref.app.process.cpuPct);
  }
  const lat = c.app.health?.latencyMs;
  const refLat = ref.app.health?.latencyMs;
  if (c.app.health && lat != null && refLat != null) c.app.health.latencyMs = mix(lat, refLat);
}

/**
 * The app's counters (requests, errors, histogram buckets) for the new sequence: each output
 * sample adds what its source sample added per second in the recording, times the interval, so
 * repeated or skipped samples keep the recorded rates (traffic stays traffic); after the onset the
 * error rate is scaled by the amplitude, never above the request rate.
 */
const COUNTER = /_(total|count|sum|bucket)$/;

function rebuildCounters(recorded: readonly Sample[], sources: readonly Sample[], dt: number, onsetIndex: number, a: number): Array<Record<string, number> | null> {
  const index = new Map(recorded.map((s, i) => [s, i]));
  const out: Array<Record<string, number> | null> = [];
  let acc: Record<string, number> | null = null;
  sources.forEach((s, i) => {
    const m = s.app.metrics;
    if (!m) {
      out.push(null);
      return;
    }
    if (!acc) {
      acc = { ...m };
      out.push({ ...acc });
      return;
    }
    const prev = recorded[(index.get(s) ?? 0) - 1];
    const pm = prev?.app.metrics;
    const span = prev ? (s.ts - prev.ts) / 1000 : 0;
    const perSec = (k: string): number => (pm && span > 0 && typeof pm[k] === 'number' && m[k] >= pm[k] ? (m[k] - pm[k]) / span : 0);
    for (const k of Object.keys(m)) {
      if (!COUNTER.test(k)) {
        acc[k] = m[k];
        continue;
      }
      let add = perSec(k) * (dt / 1000);
      if (k === 'errors_total' && i >= onsetIndex) add = Math.min(a * add, perSec('requests_total') * (dt / 1000));
      acc[k] = (acc[k] ?? m[k]) + add;
    }
    out.push({ ...acc });
  });
  return out;
}

function nearest(samples: readonly Sample[], ts: number): Sample | undefined {
  let best: Sample | undefined;
  for (const s of samples) if (!best || Math.abs(s.ts - ts) < Math.abs(best.ts - ts)) best = s;
  return best;
}

/** A sample whose gauges are the medians of `xs` (the quiet state before the onset). */
function median(xs: readonly Sample[]): Sample | null {
  if (xs.length === 0) return null;
  const med = (f: (s: Sample) => number | null | undefined): number | null => {
    const v = xs.map(f).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  };
  const c: Sample = structuredClone(xs[xs.length - 1]);
  for (const k of [...GAUGES_HOST, 'rssKiB', 'ioLatencyMs', 'fds', 'processes'] as const) {
    const m = med((s) => s.host[k]);
    if (m !== null) (c.host as unknown as Record<string, number>)[k] = m;
  }
  for (const d of c.host.disks) d.usedPct = med((s) => s.host.disks.find((x) => x.mount === d.mount)?.usedPct) ?? d.usedPct;
  if (c.app.process) {
    c.app.process.rssKiB = med((s) => s.app.process?.rssKiB) ?? c.app.process.rssKiB;
    c.app.process.cpuPct = med((s) => s.app.process?.cpuPct) ?? c.app.process.cpuPct;
  }
  if (c.app.health) c.app.health.latencyMs = med((s) => s.app.health?.latencyMs);
  return c;
}

/** `count` variants of each episode, each from its own seed (the base seed, the episode's place and the variant number). */
export function variants(episodes: readonly Episode[], count: number, seed: number): Episode[] {
  return episodes.flatMap((e, i) =>
    Array.from({ length: count }, (_, n) => {
      const s = seed * 100_003 + i * 101 + n;
      return vary(e, drawVariation(rng(s), e), s + 1, n + 1);
    }),
  );
}
