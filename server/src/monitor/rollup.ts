import type { Sample } from './sample';

/** min / mean / max of one numeric field over the samples of one minute that had it. */
export interface FieldStats {
  n: number;
  min: number;
  mean: number;
  max: number;
}

/** One minute of one host's samples, as kept after the raw samples are gone. */
export interface SampleRollup {
  /** Epoch ms of the minute's start (host clock). */
  minute: number;
  n: number;
  firstSeq: number;
  lastSeq: number;
  /** By flattened field name: `host.cpuPct`, `host.disks[/].usedPct`, `app.metrics.errors_total`... */
  fields: Record<string, FieldStats>;
}

export const MINUTE_MS = 60_000;

/** Every numeric value of a sample under a stable flat name (nulls are left out). */
export function flattenSample(s: Sample): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | null | undefined): void => {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  };
  const h = s.host;
  put('host.cpuPct', h.cpuPct);
  put('host.rssKiB', h.rssKiB);
  put('host.memAvailableKiB', h.memAvailableKiB);
  put('host.memTotalKiB', h.memTotalKiB);
  put('host.load1', h.load1);
  put('host.processes', h.processes);
  put('host.fds', h.fds);
  put('host.diskReadBps', h.diskReadBps);
  put('host.diskWriteBps', h.diskWriteBps);
  put('host.ioLatencyMs', h.ioLatencyMs);
  put('host.netRxBps', h.netRxBps);
  put('host.netTxBps', h.netTxBps);
  for (const d of h.disks) {
    put(`host.disks[${d.mount}].usedPct`, d.usedPct);
    put(`host.disks[${d.mount}].availKiB`, d.availKiB);
  }
  const p = s.app.process;
  if (p) {
    put('app.process.count', p.pids.length);
    put('app.process.rssKiB', p.rssKiB);
    put('app.process.cpuPct', p.cpuPct);
    put('app.process.threads', p.threads);
    put('app.process.fds', p.fds);
    put('app.process.restarts', p.restarts);
  }
  if (s.app.health) {
    put('app.health.status', s.app.health.status);
    put('app.health.latencyMs', s.app.health.latencyMs);
    put('app.health.ok', s.app.health.status !== null && s.app.health.status < 400 ? 1 : 0);
  }
  for (const [k, v] of Object.entries(s.app.metrics ?? {})) put(`app.metrics.${k}`, v);
  return out;
}

/** Groups samples (any order) by minute and summarises each minute. */
export function rollUp(samples: Sample[]): SampleRollup[] {
  const byMinute = new Map<number, SampleRollup & { sums: Record<string, number> }>();
  for (const s of samples) {
    const minute = Math.floor(s.ts / MINUTE_MS) * MINUTE_MS;
    let r = byMinute.get(minute);
    if (!r) {
      r = { minute, n: 0, firstSeq: s.seq, lastSeq: s.seq, fields: {}, sums: {} };
      byMinute.set(minute, r);
    }
    r.n++;
    r.firstSeq = Math.min(r.firstSeq, s.seq);
    r.lastSeq = Math.max(r.lastSeq, s.seq);
    for (const [k, v] of Object.entries(flattenSample(s))) {
      const f = r.fields[k];
      if (!f) r.fields[k] = { n: 1, min: v, mean: v, max: v };
      else {
        f.n++;
        f.min = Math.min(f.min, v);
        f.max = Math.max(f.max, v);
      }
      r.sums[k] = (r.sums[k] ?? 0) + v;
    }
  }
  return [...byMinute.values()]
    .sort((a, b) => a.minute - b.minute)
    .map(({ sums, ...r }) => {
      for (const [k, f] of Object.entries(r.fields)) f.mean = sums[k] / f.n;
      return r;
    });
}

/** Two summaries of the same minute as one (late samples arriving after a minute was rolled up). */
export function mergeRollups(a: SampleRollup, b: SampleRollup): SampleRollup {
  const fields: Record<string, FieldStats> = { ...a.fields };
  for (const [k, g] of Object.entries(b.fields)) {
    const f = fields[k];
    fields[k] = f ? { n: f.n + g.n, min: Math.min(f.min, g.min), max: Math.max(f.max, g.max), mean: (f.mean * f.n + g.mean * g.n) / (f.n + g.n) } : g;
  }
  return { minute: a.minute, n: a.n + b.n, firstSeq: Math.min(a.firstSeq, b.firstSeq), lastSeq: Math.max(a.lastSeq, b.lastSeq), fields };
}
