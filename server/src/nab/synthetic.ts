import type { CorpusFile } from './corpus';
import { probationLength } from './probation';
import type { WindowRange } from './rowWeights';

/**
 * A labelled corpus of what NAB lacks and monitoring data has: daily and weekly seasons, a level
 * shift after a deploy, flat metrics with rare spikes or one step, counters that reset, gaps, and
 * irregular sampling. Generated from a seed (nothing is committed); labelled with NAB's window
 * rule (10 % of the file's rows shared among its anomalies, centred on each), so NAB's scorer
 * scores it. Counter resets, gaps and the season itself are never labelled: they are normal.
 */

/** mulberry32: a small, fast, seedable generator; good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2024, 0, 1);

interface Draft {
  key: string;
  times: number[];
  values: number[];
  /** Row indices where an anomaly starts. */
  anomalies: number[];
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/** NAB's labelling: each anomaly's window is 10 % of the rows divided by the anomaly count, centred on it. */
function windowsFor(rows: number, anomalies: readonly number[]): WindowRange[] {
  if (anomalies.length === 0) return [];
  const width = Math.floor((0.1 * rows) / anomalies.length);
  const out: WindowRange[] = [];
  for (const a of [...anomalies].sort((x, y) => x - y)) {
    const start = Math.max(0, a - Math.floor(width / 2));
    const end = Math.min(rows - 1, a + Math.floor(width / 2));
    const prev = out[out.length - 1];
    if (prev && start <= prev.end) out[out.length - 1] = { start: prev.start, end };
    else out.push({ start, end });
  }
  return out;
}

function finish(d: Draft): CorpusFile {
  return {
    key: d.key,
    timestamps: d.times.map(iso),
    times: Float64Array.from(d.times),
    values: Float64Array.from(d.values),
    windows: windowsFor(d.values.length, d.anomalies),
    probation: probationLength(d.values.length),
  };
}

/** A row index in [lo, hi) of n, as a share of the series. */
function at(r: () => number, n: number, lo: number, hi: number): number {
  return Math.floor(n * (lo + (hi - lo) * r()));
}

/** A daily shape in [0, 1]: low at night, a morning rise, an afternoon plateau, an evening fall. */
function dailyShape(t: number): number {
  const h = ((t % DAY) + DAY) % DAY / HOUR;
  return 0.5 - 0.5 * Math.cos((2 * Math.PI * (h - 3)) / 24) + 0.15 * Math.sin((4 * Math.PI * h) / 24);
}

function seasonal(seed: number, weekly: boolean): Draft {
  const r = rng(seed);
  const g = gaussian(r);
  const n = 4032 + Math.floor(r() * 1000);
  const base = 50 + 200 * r();
  const amp = base * (0.5 + r());
  const sigma = amp * (0.03 + 0.05 * r());
  const times = Array.from({ length: n }, (_, i) => START + i * 5 * MIN);
  const values = times.map((t) => {
    const day = Math.floor((t - START) / DAY) % 7;
    const week = weekly && day >= 5 ? 0.35 : 1;
    return base + amp * week * dailyShape(t) + sigma * g();
  });
  // A night that stays at the day's level for two hours (ordinary for the series, not for the hour)...
  let a = at(r, n, 0.3, 0.55);
  while ((times[a] - START) % DAY !== 0) a++;
  for (let i = a; i < a + 24 && i < n; i++) values[i] += amp * (0.7 - dailyShape(times[i]));
  // ...and a short burst.
  const b = at(r, n, 0.65, 0.95);
  for (let i = b; i < b + 3; i++) values[i] += amp * (0.6 + 0.4 * r());
  return { key: `seasonal/${weekly ? 'weekly' : 'daily'}_${seed}.csv`, times, values, anomalies: [a, b] };
}

function deployShift(seed: number): Draft {
  const r = rng(seed);
  const g = gaussian(r);
  const n = 3000 + Math.floor(r() * 2000);
  const median = 20 + 80 * r();
  const spread = 0.1 + 0.15 * r();
  const times = Array.from({ length: n }, (_, i) => START + i * MIN);
  const shiftAt = at(r, n, 0.35, 0.75);
  const factor = 1.6 + r();
  // Latency-like: log-normal noise around a level that rises with the deploy and stays there.
  const values = times.map((_, i) => median * (i >= shiftAt ? factor : 1) * Math.exp(spread * g()));
  return { key: `deploy/level_shift_${seed}.csv`, times, values, anomalies: [shiftAt] };
}

function flatSpikes(seed: number): Draft {
  const r = rng(seed);
  const n = 2500 + Math.floor(r() * 2500);
  const level = Math.round(2 + 30 * r());
  const jitter = r() < 0.5;
  const times = Array.from({ length: n }, (_, i) => START + i * 30_000);
  const values = times.map(() => level + (jitter && r() < 0.05 ? (r() < 0.5 ? -1 : 1) : 0));
  const anomalies = [at(r, n, 0.25, 0.5), at(r, n, 0.6, 0.95)];
  for (const a of anomalies) values[a] = level + Math.max(3, Math.round(level * (0.5 + r())));
  return { key: `flat/spikes_${seed}.csv`, times, values, anomalies };
}

function flatStep(seed: number): Draft {
  const r = rng(seed);
  const n = 2500 + Math.floor(r() * 2500);
  const level = Math.round(5 + 100 * r());
  const times = Array.from({ length: n }, (_, i) => START + i * 30_000);
  const stepAt = at(r, n, 0.3, 0.7);
  const values = times.map((_, i) => (i >= stepAt ? level + Math.max(1, Math.round(level * 0.1)) : level));
  return { key: `flat/one_step_${seed}.csv`, times, values, anomalies: [stepAt] };
}

function counterResets(seed: number): Draft {
  const r = rng(seed);
  const g = gaussian(r);
  const n = 4000 + Math.floor(r() * 1500);
  const rate = 5 + 50 * r();
  const times = Array.from({ length: n }, (_, i) => START + i * MIN);
  const burst = at(r, n, 0.4, 0.9);
  const resetEvery = Math.floor(600 + 900 * r());
  const values: number[] = [];
  let c = Math.floor(1000 * r());
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % resetEvery === 0) c = 0;
    const burstFactor = i >= burst && i < burst + 60 ? 4 : 1;
    c += Math.max(0, Math.round(60 * rate * burstFactor * (1 + 0.1 * g())));
    values.push(c);
  }
  return { key: `counter/resets_${seed}.csv`, times, values, anomalies: [burst] };
}

function withGaps(seed: number): Draft {
  const r = rng(seed);
  const g = gaussian(r);
  const n = 4000 + Math.floor(r() * 1500);
  const level = 10 + 90 * r();
  const sigma = level * 0.05;
  const times: number[] = [];
  const values: number[] = [];
  let t = START;
  let ar = 0;
  const gaps = new Set([at(r, n, 0.2, 0.3), at(r, n, 0.45, 0.55), at(r, n, 0.7, 0.8)]);
  const spike = at(r, n, 0.35, 0.44);
  const shift = at(r, n, 0.82, 0.95);
  for (let i = 0; i < n; i++) {
    t += gaps.has(i) ? (2 + 22 * r()) * HOUR : 5 * MIN;
    ar = 0.7 * ar + g();
    let v = level + sigma * ar;
    if (i === spike) v += 12 * sigma;
    if (i >= shift) v += 6 * sigma;
    times.push(t);
    values.push(v);
  }
  return { key: `gaps/ar1_${seed}.csv`, times, values, anomalies: [spike, shift] };
}

function irregular(seed: number): Draft {
  const r = rng(seed);
  const g = gaussian(r);
  const n = 3000 + Math.floor(r() * 2000);
  const level = 100 + 400 * r();
  const sigma = level * 0.04;
  const times: number[] = [];
  const values: number[] = [];
  let t = START;
  let ar = 0;
  const spike = at(r, n, 0.3, 0.55);
  const shift = at(r, n, 0.65, 0.95);
  for (let i = 0; i < n; i++) {
    // Exponential spacing around 30 s, and now and then a burst of samples close together.
    t += Math.max(1000, -30_000 * Math.log(1 - r()));
    ar = 0.5 * ar + g();
    let v = level + sigma * ar;
    if (i >= spike && i < spike + 2) v -= 10 * sigma;
    if (i >= shift) v += 5 * sigma;
    times.push(t);
    values.push(v);
  }
  return { key: `irregular/ar1_${seed}.csv`, times, values, anomalies: [spike, shift] };
}

/** The corpus for one seed: six families, 4 series each (flat: 2 with spikes, 2 with one step). */
export function syntheticCorpus(seed = 1): CorpusFile[] {
  const drafts: Draft[] = [];
  for (let k = 0; k < 4; k++) {
    const s = seed * 1000 + k;
    drafts.push(seasonal(s, k % 2 === 1), deployShift(s), k < 2 ? flatSpikes(s) : flatStep(s), counterResets(s), withGaps(s), irregular(s));
  }
  return drafts.map(finish).sort((a, b) => a.key.localeCompare(b.key));
}
