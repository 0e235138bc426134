import type { ManagedFile } from '../config/types';
import { diffManagedFiles } from './diffFiles';
import type { LineRange } from './diffRanges';
import { highestSeverity, severityOf, type Severity, type SeverityRule } from './diffSeverity';
import { LAYERS, type AppLayer, type Fingerprint, type HardwareLayer, type HealthCheck, type Layer, type OsLayer, type ServiceState } from './types';

export type { Severity } from './diffSeverity';
export { SEVERITY_RULES } from './diffSeverity';

export type DiffKind =
  | 'cpu'
  | 'memory'
  | 'disk'
  | 'nic'
  | 'hostname'
  | 'kernel'
  | 'distribution'
  | 'package'
  | 'sysctl'
  | 'service'
  | 'port'
  | 'mount'
  | 'file'
  | 'release'
  | 'process'
  | 'health';

/** Items sort by layer, then by kind in this order, then by path. */
const KIND_ORDER: readonly DiffKind[] = [
  'cpu',
  'memory',
  'disk',
  'nic',
  'hostname',
  'kernel',
  'distribution',
  'package',
  'sysctl',
  'service',
  'port',
  'mount',
  'file',
  'release',
  'process',
  'health',
];

/** Where a managed file drifted: lines in the workspace file (`ranges`) and in the baseline content. */
export interface FileDiff {
  local?: string;
  remote: string;
  secret: boolean;
  /** 1-based inclusive lines in the workspace file (`local`). */
  ranges: LineRange[];
  /** 1-based inclusive lines in the baseline content. */
  baselineRanges: LineRange[];
  /** Why ranges are empty or approximate. */
  note?: string;
}

export interface DiffItem {
  layer: Layer;
  kind: DiffKind;
  change: 'added' | 'removed' | 'changed';
  /**
   * Where, for people and for sorting: "os.sysctl.net.core.somaxconn", "os.packages.nginx",
   * "app.files./etc/nginx/conf.d/app.conf" (content or existence), "app.files./etc/x.conf#mode".
   */
  path: string;
  old?: unknown;
  new?: unknown;
  severity: Severity;
  file?: FileDiff;
}

export interface HostDiff {
  host: string;
  baselineVersion?: number;
  items: DiffItem[];
  byLayer: Record<Layer, DiffItem[]>;
  /** True when any item is above `info` (info items only say the watch list changed). */
  drift: boolean;
  highest?: Severity;
}

export interface DiffOptions {
  /** The environment's managed files, to find each remote file's workspace copy. */
  files?: ManagedFile[];
  /** Reads a workspace file (as written in `files[].local`); undefined when it cannot. */
  readLocal?: (local: string) => string | undefined;
  baselineVersion?: number;
}

/**
 * Compares a live fingerprint with its baseline: configuration only. Volatile measurements
 * (perf, process pids/RSS/CPU/threads/fds, health latency, capture time, agent version) are
 * ignored; the process and health check count only as running or not and by status class.
 */
export function diffFingerprints(baseline: Fingerprint, live: Fingerprint, opts: DiffOptions = {}): HostDiff {
  const items = [
    ...diffHardware(baseline.hardware, live.hardware),
    ...diffOs(baseline.os, live.os),
    ...diffApp(baseline.app, live.app, opts),
  ].sort(compareItems);
  const byLayer = Object.fromEntries(LAYERS.map((l) => [l, items.filter((i) => i.layer === l)])) as Record<Layer, DiffItem[]>;
  const highest = highestSeverity(items.map((i) => i.severity));
  return {
    host: live.host,
    ...(opts.baselineVersion !== undefined ? { baselineVersion: opts.baselineVersion } : {}),
    items,
    byLayer,
    drift: items.some((i) => i.severity !== 'info'),
    ...(highest ? { highest } : {}),
  };
}

export function compareItems(a: DiffItem, b: DiffItem): number {
  return (
    LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    compareStrings(a.path, b.path) ||
    compareStrings(a.change, b.change)
  );
}

/** By code unit, not locale: the same order on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function item(layer: Layer, kind: DiffKind, change: DiffItem['change'], path: string, rule: SeverityRule, old?: unknown, now?: unknown): DiffItem {
  return {
    layer,
    kind,
    change,
    path,
    ...(old !== undefined ? { old } : {}),
    ...(now !== undefined ? { new: now } : {}),
    severity: severityOf(rule),
  };
}

function diffHardware(b: HardwareLayer, l: HardwareLayer): DiffItem[] {
  const out: DiffItem[] = [];
  const hw = (kind: DiffKind, change: DiffItem['change'], path: string, rule: SeverityRule, old?: unknown, now?: unknown) =>
    out.push(item('hardware', kind, change, `hardware.${path}`, rule, old, now));

  if (b.cpu.model !== l.cpu.model) hw('cpu', 'changed', 'cpu.model', 'cpu.changed', b.cpu.model, l.cpu.model);
  if (b.cpu.cores !== l.cpu.cores) hw('cpu', 'changed', 'cpu.cores', 'cpu.changed', b.cpu.cores, l.cpu.cores);
  if (memoryChanged(b.memory.totalKiB, l.memory.totalKiB)) {
    hw('memory', 'changed', 'memory.totalKiB', 'memory.changed', b.memory.totalKiB, l.memory.totalKiB);
  }

  keyedDiff(b.disks, l.disks, (d) => d.name, {
    added: (d) => hw('disk', 'added', `disks.${d.name}`, 'disk.added', undefined, { sizeBytes: d.sizeBytes, rotational: d.rotational }),
    removed: (d) => hw('disk', 'removed', `disks.${d.name}`, 'disk.removed', { sizeBytes: d.sizeBytes, rotational: d.rotational }),
    both: (x, y) => {
      for (const f of ['sizeBytes', 'rotational'] as const) {
        if (x[f] !== y[f]) hw('disk', 'changed', `disks.${x.name}.${f}`, 'disk.changed', x[f], y[f]);
      }
    },
  });

  keyedDiff(b.nics, l.nics, (n) => n.name, {
    added: (n) => hw('nic', 'added', `nics.${n.name}`, 'nic.added', undefined, { mac: n.mac, mtu: n.mtu, addresses: sortedUnique(n.addresses) }),
    removed: (n) => hw('nic', 'removed', `nics.${n.name}`, 'nic.removed', { mac: n.mac, mtu: n.mtu, addresses: sortedUnique(n.addresses) }),
    both: (x, y) => {
      if (x.mac.toLowerCase() !== y.mac.toLowerCase()) hw('nic', 'changed', `nics.${x.name}.mac`, 'nic.changed', x.mac, y.mac);
      if (x.mtu !== y.mtu) hw('nic', 'changed', `nics.${x.name}.mtu`, 'nic.changed', x.mtu, y.mtu);
      const xa = sortedUnique(x.addresses);
      const ya = sortedUnique(y.addresses);
      if (xa.join(' ') !== ya.join(' ')) hw('nic', 'changed', `nics.${x.name}.addresses`, 'nic.addresses', xa, ya);
    },
  });
  return out;
}

/** Memory counts as changed past 1%: kernels report slightly different totals across boots. */
function memoryChanged(before: number, after: number): boolean {
  if (before === after) return false;
  if (before <= 0) return true;
  return Math.abs(after - before) / before > 0.01;
}

function diffOs(b: OsLayer, l: OsLayer): DiffItem[] {
  const out: DiffItem[] = [];
  const os = (kind: DiffKind, change: DiffItem['change'], path: string, rule: SeverityRule, old?: unknown, now?: unknown) =>
    out.push(item('os', kind, change, `os.${path}`, rule, old, now));

  if (b.hostname !== l.hostname) os('hostname', 'changed', 'hostname', 'hostname.changed', b.hostname, l.hostname);
  if (b.kernel !== l.kernel) os('kernel', 'changed', 'kernel', 'kernel.changed', b.kernel, l.kernel);
  if (b.distribution.id !== l.distribution.id || b.distribution.version !== l.distribution.version) {
    os('distribution', 'changed', 'distribution', 'distribution.changed', describeDistribution(b.distribution), describeDistribution(l.distribution));
  }

  if (b.packages && l.packages) {
    recordDiff(b.packages, l.packages, {
      added: (name, v) => os('package', 'added', `packages.${name}`, 'package.added', undefined, v),
      removed: (name, v) => os('package', 'removed', `packages.${name}`, 'package.removed', v),
      both: (name, x, y) => {
        if (x !== y) os('package', 'changed', `packages.${name}`, 'package.changed', x, y);
      },
    });
  } else if (b.packages || l.packages) {
    const count = (p: Record<string, string> | null) => (p ? `${Object.keys(p).length} packages` : 'not captured');
    os('package', 'changed', 'packages', 'package.capture', count(b.packages), count(l.packages));
  }

  recordDiff(b.sysctl, l.sysctl, {
    added: (name, v) => os('sysctl', 'added', `sysctl.${name}`, 'coverage', undefined, v),
    removed: (name, v) => os('sysctl', 'removed', `sysctl.${name}`, 'coverage', v),
    both: (name, x, y) => {
      if (x === null && y === null) return;
      if (x === null) os('sysctl', 'added', `sysctl.${name}`, 'sysctl.appeared', undefined, y);
      else if (y === null) os('sysctl', 'removed', `sysctl.${name}`, 'sysctl.disappeared', x);
      else if (normalizeSpace(x) !== normalizeSpace(y)) os('sysctl', 'changed', `sysctl.${name}`, 'sysctl.changed', x, y);
    },
  });

  recordDiff(b.services, l.services, {
    added: (name, s) => os('service', 'added', `services.${name}`, 'coverage', undefined, s.state),
    removed: (name, s) => os('service', 'removed', `services.${name}`, 'coverage', s.state),
    both: (name, x, y) => {
      if (x.state !== y.state) os('service', 'changed', `services.${name}`, serviceRule(x.state, y.state), x.state, y.state);
    },
  });

  keyedDiff(b.ports, l.ports, portKey, {
    added: (p) => os('port', 'added', `ports.${portKey(p)}`, 'port.added', undefined, portKey(p)),
    removed: (p) => os('port', 'removed', `ports.${portKey(p)}`, 'port.removed', portKey(p)),
    both: () => undefined,
  });

  // Keyed by target: with stacked mounts the last one listed is the one in effect.
  keyedDiff(b.mounts, l.mounts, (m) => m.target, {
    added: (m) => os('mount', 'added', `mounts.${m.target}`, 'mount.added', undefined, describeMount(m)),
    removed: (m) => os('mount', 'removed', `mounts.${m.target}`, 'mount.removed', describeMount(m)),
    both: (x, y) => {
      if (x.source !== y.source) os('mount', 'changed', `mounts.${x.target}.source`, 'mount.changed', x.source, y.source);
      if (x.fstype !== y.fstype) os('mount', 'changed', `mounts.${x.target}.fstype`, 'mount.changed', x.fstype, y.fstype);
      if (normalizeOptions(x.options) !== normalizeOptions(y.options)) {
        os('mount', 'changed', `mounts.${x.target}.options`, 'mount.changed', x.options, y.options);
      }
    },
  });
  return out;
}

function serviceRule(before: ServiceState['state'], after: ServiceState['state']): SeverityRule {
  if (before === 'active' && (after === 'inactive' || after === 'failed')) return 'service.stopped';
  if (after === 'failed') return 'service.failed';
  if (after === 'unknown') return 'service.unknown';
  return 'service.started';
}

function diffApp(b: AppLayer, l: AppLayer, opts: DiffOptions): DiffItem[] {
  const out: DiffItem[] = [];
  const app = (kind: DiffKind, change: DiffItem['change'], path: string, rule: SeverityRule, old?: unknown, now?: unknown) =>
    out.push(item('app', kind, change, `app.${path}`, rule, old, now));

  if (b.release && l.release) {
    if (b.release.path !== l.release.path) app('release', 'changed', 'release.path', 'coverage', b.release.path, l.release.path);
    else if (b.release.target !== l.release.target) app('release', 'changed', 'release', 'release.changed', b.release.target, l.release.target);
  } else if (b.release || l.release) {
    app('release', b.release ? 'removed' : 'added', 'release', 'coverage', b.release?.path, l.release?.path);
  }

  out.push(...diffManagedFiles(b.files, l.files, opts));

  if (b.process && l.process) {
    const was = b.process.pids.length > 0;
    const is = l.process.pids.length > 0;
    if (b.process.pattern !== l.process.pattern) app('process', 'changed', 'process.pattern', 'coverage', b.process.pattern, l.process.pattern);
    else if (was !== is) app('process', 'changed', 'process', is ? 'process.started' : 'process.stopped', runState(was), runState(is));
  } else if (b.process || l.process) {
    app('process', b.process ? 'removed' : 'added', 'process', 'coverage', b.process?.pattern, l.process?.pattern);
  }

  if (b.health && l.health) {
    if (b.health.url !== l.health.url) app('health', 'changed', 'health.url', 'coverage', b.health.url, l.health.url);
    else if (statusClass(b.health) !== statusClass(l.health)) {
      app('health', 'changed', 'health', statusClass(l.health) === '2xx' ? 'health.recovered' : 'health.failing', describeHealth(b.health), describeHealth(l.health));
    }
  } else if (b.health || l.health) {
    app('health', b.health ? 'removed' : 'added', 'health', 'coverage', b.health?.url, l.health?.url);
  }
  return out;
}

function runState(running: boolean): string {
  return running ? 'running' : 'not running';
}

/** "2xx", "5xx" ..., or "no response". */
function statusClass(h: HealthCheck): string {
  return h.status === null ? 'no response' : `${Math.floor(h.status / 100)}xx`;
}

function describeHealth(h: HealthCheck): string | number {
  if (h.status !== null) return h.status;
  return h.error ? `no response: ${h.error}` : 'no response';
}

function describeDistribution(d: OsLayer['distribution']): string {
  return `${d.id} ${d.version}`.trim();
}

function describeMount(m: OsLayer['mounts'][number]): string {
  return `${m.source} ${m.fstype} ${m.options}`;
}

function portKey(p: OsLayer['ports'][number]): string {
  const address = p.address.includes(':') && !p.address.startsWith('[') ? `[${p.address}]` : p.address;
  return `${p.proto}/${address}:${p.port}`;
}

function normalizeSpace(s: string): string {
  return s.trim().split(/\s+/).join(' ');
}

/** Mount options as a set: the same options in another order are the same mount. */
function normalizeOptions(options: string): string {
  return sortedUnique(options.split(',').map((o) => o.trim()).filter(Boolean)).join(',');
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

function keyedDiff<T>(
  before: readonly T[],
  after: readonly T[],
  key: (t: T) => string,
  on: { added: (t: T) => void; removed: (t: T) => void; both: (b: T, a: T) => void },
): void {
  const b = new Map(before.map((t) => [key(t), t]));
  const a = new Map(after.map((t) => [key(t), t]));
  for (const [k, t] of b) {
    const other = a.get(k);
    if (other === undefined) on.removed(t);
    else on.both(t, other);
  }
  for (const [k, t] of a) if (!b.has(k)) on.added(t);
}

function recordDiff<T>(
  before: Record<string, T>,
  after: Record<string, T>,
  on: { added: (name: string, v: T) => void; removed: (name: string, v: T) => void; both: (name: string, b: T, a: T) => void },
): void {
  for (const [name, v] of Object.entries(before)) {
    if (Object.hasOwn(after, name)) on.both(name, v, after[name]);
    else on.removed(name, v);
  }
  for (const [name, v] of Object.entries(after)) if (!Object.hasOwn(before, name)) on.added(name, v);
}
