import type { RangeSeries } from './client';
import type { DiskQuery, FieldQuery, QueriedField } from './queries';
import type { HostMetrics, Sample } from '../sample';

/** What the range queries of one tick answered, before it becomes samples. */
export interface TickResults {
  fields: Array<{ q: FieldQuery; series: RangeSeries[] }>;
  disks: Array<{ q: DiskQuery; series: RangeSeries[] }>;
  app?: RangeSeries[];
}

/** Why a host has no sample at a step: Prometheus cannot scrape it, or a series is not there. */
export type HostProblem = { kind: 'TargetDown' } | { kind: 'NoTarget' } | { kind: 'MissingSeries'; series: string[] };

export interface Assembled {
  /** Per host, its samples in time order. */
  samples: Map<string, Sample[]>;
  /** Per host without a sample at the last step: why. */
  problems: Map<string, HostProblem>;
}

type Values = Map<string, Map<number, number>>;

/** Prometheus' text values: numbers, and NaN / ±Inf spelt out; only finite numbers count. */
function parseValue(v: string): number | null {
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}

/** host → ts(ms) → value, for one field's series. */
function byHost(series: RangeSeries[], label: string, toHost: (v: string | undefined) => string | undefined): Values {
  const out: Values = new Map();
  for (const s of series) {
    const host = toHost(s.metric[label]);
    if (!host) continue;
    let m = out.get(host);
    if (!m) out.set(host, (m = new Map()));
    for (const [t, v] of s.values) {
      const x = parseValue(v);
      if (x !== null) m.set(Math.round(t * 1000), x);
    }
  }
  return out;
}

/**
 * Turns a tick's range results into one Sample per host and step where every required series
 * has a value, with seq = ts / interval (the same instant always gets the same seq, so two
 * readers of one Prometheus store the same sample once). A step where a host lacks a required
 * series is no sample: the gap shows as "no data" downstream, never as a made-up value.
 */
export function assembleSamples(
  r: TickResults,
  opts: { hosts: string[]; label: string; toHost: (v: string | undefined) => string | undefined; steps: number[]; intervalMs: number; windowMs: number; mounts: string[] },
): Assembled {
  const values = new Map<QueriedField, Values>(r.fields.map(({ q, series }) => [q.field, byHost(series, opts.label, opts.toHost)]));
  const disks = new Map<DiskQuery['part'], Map<string, Values>>();
  for (const { q, series } of r.disks) {
    const perMount = new Map<string, Values>();
    for (const s of series) {
      const mount = s.metric.mountpoint;
      if (mount === undefined) continue;
      const one = byHost([s], opts.label, opts.toHost);
      const acc = perMount.get(mount) ?? new Map<string, Map<number, number>>();
      for (const [h, m] of one) acc.set(h, m);
      perMount.set(mount, acc);
    }
    disks.set(q.part, perMount);
  }
  const app = new Map<string, Map<number, Record<string, number>>>();
  for (const s of r.app ?? []) {
    const host = opts.toHost(s.metric[opts.label]);
    const name = s.metric.__name__;
    if (!host || !name) continue;
    const m = app.get(host) ?? new Map<number, Record<string, number>>();
    for (const [t, v] of s.values) {
      const x = parseValue(v);
      if (x === null) continue;
      const ts = Math.round(t * 1000);
      (m.get(ts) ?? m.set(ts, {}).get(ts)!)[name] = x;
    }
    app.set(host, m);
  }

  const samples = new Map<string, Sample[]>();
  const problems = new Map<string, HostProblem>();
  const watchedMounts = opts.mounts.length > 0 ? opts.mounts : ['/'];
  const get = (field: QueriedField, host: string, ts: number): number | null => values.get(field)?.get(host)?.get(ts) ?? null;
  for (const host of opts.hosts) {
    const list: Sample[] = [];
    let lastProblem: HostProblem | undefined;
    for (const ts of opts.steps) {
      const up = get('up', host, ts);
      if (up === null) {
        lastProblem = { kind: 'NoTarget' };
        continue;
      }
      if (up < 1) {
        lastProblem = { kind: 'TargetDown' };
        continue;
      }
      const missing = r.fields.filter(({ q }) => q.required && get(q.field, host, ts) === null).map(({ q }) => q.series);
      if (missing.length > 0) {
        lastProblem = { kind: 'MissingSeries', series: missing };
        continue;
      }
      lastProblem = undefined;
      const n = (f: QueriedField): number => get(f, host, ts)!;
      const notes: string[] = ['prometheus: app health, app process, managed files and the release are not seen through Prometheus'];
      const diskList: HostMetrics['disks'] = [];
      for (const mount of watchedMounts) {
        const part = (p: DiskQuery['part']): number | null => disks.get(p)?.get(mount)?.get(host)?.get(ts) ?? null;
        const [size, free, avail] = [part('size'), part('free'), part('avail')];
        if (size === null || free === null || avail === null) continue;
        const used = size - free;
        diskList.push({ mount, usedPct: used + avail > 0 ? Math.round((1000 * used) / (used + avail)) / 10 : 0, availKiB: Math.round(avail / 1024) });
      }
      if (diskList.length < watchedMounts.length) notes.push(`prometheus: node_filesystem_* answered for ${diskList.length} of ${watchedMounts.length} mounts`);
      const memTotal = n('memTotalKiB');
      const memAvail = n('memAvailableKiB');
      const appMetrics = app.get(host)?.get(ts) ?? null;
      list.push({
        type: 'sample',
        schema: 1,
        seq: Math.round(ts / opts.intervalMs),
        ts,
        intervalMs: opts.intervalMs,
        windowMs: opts.windowMs,
        source: 'prometheus',
        host: {
          cpuPct: round1(n('cpuPct')),
          // node_exporter has no per-process memory: used memory (total - available) stands for it.
          rssKiB: Math.round(memTotal - memAvail),
          memAvailableKiB: Math.round(memAvail),
          memTotalKiB: Math.round(memTotal),
          load1: n('load1'),
          processes: Math.round(n('processes')),
          fds: Math.round(n('fds')),
          diskReadBps: Math.round(n('diskReadBps')),
          diskWriteBps: Math.round(n('diskWriteBps')),
          ioLatencyMs: get('ioLatencyMs', host, ts),
          netRxBps: Math.round(n('netRxBps')),
          netTxBps: Math.round(n('netTxBps')),
          disks: diskList,
        },
        app: { process: null, health: null, metrics: appMetrics },
        // Not seen through Prometheus (observedConfig() says null): neither files nor the release.
        config: { files: {}, release: null },
        notes,
      });
    }
    if (list.length > 0) samples.set(host, list);
    if (lastProblem) problems.set(host, lastProblem);
  }
  return { samples, problems };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A host's problem as a sentence for its state and the log. */
export function describeProblem(host: string, p: HostProblem, selector: string): string {
  switch (p.kind) {
    case 'NoTarget':
      return `${host}: Prometheus has no target for this host (no "up" series matching {${selector}})`;
    case 'TargetDown':
      return `${host}: Prometheus cannot scrape this host (up = 0)`;
    case 'MissingSeries':
      return `${host}: Prometheus has no ${p.series.join(', ')} for this host`;
  }
}
