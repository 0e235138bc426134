import type { PrometheusConfig } from '../../config/types';
import type { HostMetrics } from '../sample';

/**
 * The PromQL that stands for each field of a sample's host metrics, written against
 * node_exporter's metric names, one query per field for every host at once (grouped by the host
 * label), so a tick costs the same few requests for ten hosts or a thousand.
 */

/** Host fields read from a query of their own; rssKiB is derived (MemTotal - MemAvailable). */
export type QueriedField = Exclude<keyof HostMetrics, 'rssKiB' | 'disks'> | 'up';

export interface FieldQuery {
  field: QueriedField;
  /** Without it the host has no sample (the series is missing); optional fields become null. */
  required: boolean;
  query: string;
  /** The series the query reads, for the message when it is missing. */
  series: string;
}

export interface DiskQuery {
  part: 'size' | 'free' | 'avail';
  query: string;
}

/** Block devices that double-count real disks, as the agent skips them. */
const VIRTUAL_DEVICES = 'device!~"(loop|ram|zram|dm-|md).*"';

/** A string as a PromQL double-quoted literal. */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** RE2 metacharacters escaped, so a host name matches only itself. */
export function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The host part of an ssh spec: `deploy@web-1:2222` → `web-1`, `[::1]:22` → `::1`. */
export function hostName(spec: string): string {
  const noUser = spec.includes('@') ? spec.slice(spec.lastIndexOf('@') + 1) : spec;
  const v6 = /^\[([^\]]+)\]/.exec(noUser);
  if (v6) return v6[1];
  return noUser.replace(/:\d+$/, '');
}

/** The label value a host's series carry: configured, else its name; a value without a port matches any port. */
export function hostLabelValue(cfg: PrometheusConfig, host: string): string {
  return cfg.hosts[host] ?? hostName(host);
}

function valuePattern(value: string): string {
  return /:\d+$/.test(value) ? regexEscape(value) : `${regexEscape(value)}(:[0-9]+)?`;
}

/** Maps a series' label value back to its host (or undefined: not one of ours). */
export function hostMatcher(cfg: PrometheusConfig, hosts: string[]): (labelValue: string | undefined) => string | undefined {
  const patterns = hosts.map((h) => [h, new RegExp(`^(?:${valuePattern(hostLabelValue(cfg, h))})$`)] as const);
  return (v) => (v === undefined ? undefined : patterns.find(([, re]) => re.test(v))?.[0]);
}

/** Label matchers that pick the hosts' series: the host label, plus the configured extra matchers. */
export function hostSelector(cfg: PrometheusConfig, hosts: string[], extra = cfg.match): string {
  const values = hosts.map((h) => valuePattern(hostLabelValue(cfg, h)));
  return [`${cfg.label}=~${promString(values.join('|'))}`, ...(extra ? [extra.trim()] : [])].join(', ');
}

/** The queries of one tick for these hosts. */
export function fieldQueries(cfg: PrometheusConfig, hosts: string[]): FieldQuery[] {
  const L = cfg.label;
  const S = hostSelector(cfg, hosts);
  const W = `${Math.max(1, Math.round(cfg.windowMs / 1000))}s`;
  const rate = (metric: string, extra = ''): string => `sum by (${L}) (rate(${metric}{${S}${extra ? `, ${extra}` : ''}}[${W}]))`;
  const gauge = (metric: string, agg = 'max'): string => `${agg} by (${L}) (${metric}{${S}})`;
  const q = (field: QueriedField, required: boolean, query: string, series: string): FieldQuery => ({ field, required, query, series });
  const disk = (m: string): string => rate(m, VIRTUAL_DEVICES);
  return [
    q('up', true, gauge('up'), `up{${S}}`),
    // Percent of one core, summed over cores: the agent's cpuPct (busy ticks of the host's processes).
    q('cpuPct', true, `${rate('node_cpu_seconds_total', 'mode!="idle"')} * 100`, 'node_cpu_seconds_total'),
    q('memTotalKiB', true, `${gauge('node_memory_MemTotal_bytes')} / 1024`, 'node_memory_MemTotal_bytes'),
    q('memAvailableKiB', true, `${gauge('node_memory_MemAvailable_bytes')} / 1024`, 'node_memory_MemAvailable_bytes'),
    q('load1', true, gauge('node_load1'), 'node_load1'),
    // node_exporter's processes collector (--collector.processes); off by default there.
    q('processes', true, gauge('node_processes_pids'), 'node_processes_pids (node_exporter --collector.processes)'),
    q('fds', true, gauge('node_filefd_allocated'), 'node_filefd_allocated'),
    q('diskReadBps', true, disk('node_disk_read_bytes_total'), 'node_disk_read_bytes_total'),
    q('diskWriteBps', true, disk('node_disk_written_bytes_total'), 'node_disk_written_bytes_total'),
    q(
      'ioLatencyMs',
      false,
      `(${disk('node_disk_read_time_seconds_total')} + ${disk('node_disk_write_time_seconds_total')}) / (${disk('node_disk_reads_completed_total')} + ${disk('node_disk_writes_completed_total')}) * 1000`,
      'node_disk_*_time_seconds_total',
    ),
    q('netRxBps', true, rate('node_network_receive_bytes_total', 'device!="lo"'), 'node_network_receive_bytes_total'),
    q('netTxBps', true, rate('node_network_transmit_bytes_total', 'device!="lo"'), 'node_network_transmit_bytes_total'),
  ];
}

/** Size, free and available bytes of the watched mounts (the agent's default is "/"). */
export function diskQueries(cfg: PrometheusConfig, hosts: string[], mounts: string[]): DiskQuery[] {
  const S = hostSelector(cfg, hosts);
  const m = `mountpoint=~${promString((mounts.length > 0 ? mounts : ['/']).map(regexEscape).join('|'))}`;
  const one = (metric: string): string => `max by (${cfg.label}, mountpoint) (${metric}{${S}, ${m}})`;
  return [
    { part: 'size', query: one('node_filesystem_size_bytes') },
    { part: 'free', query: one('node_filesystem_free_bytes') },
    { part: 'avail', query: one('node_filesystem_avail_bytes') },
  ];
}

/**
 * The app's own series (its /metrics, scraped by Prometheus) summed over their labels by name,
 * as the agent sums the endpoint it fetches; Prometheus' own per-target series are left out.
 */
export function appQuery(cfg: PrometheusConfig, hosts: string[]): string | undefined {
  if (!cfg.app) return undefined;
  const S = hostSelector(cfg, hosts, cfg.app);
  return `sum by (${cfg.label}, __name__) ({${S}, __name__!~"up|scrape_.+"})`;
}
