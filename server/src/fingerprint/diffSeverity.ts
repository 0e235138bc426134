/**
 * How bad each kind of drift is. This table is the whole policy: every item the diff reports
 * names one rule, and its severity comes from here and nowhere else.
 *
 * Guiding idea: what breaks the service now is critical (the app process stopped, health not
 * 2xx); what changes how the host behaves is high (kernel, hardware, release, a running service
 * stopped, a secret file changed); configuration that may or may not matter is medium; changes
 * that rarely break anything are low; `info` marks a difference in what was watched (the watch
 * list in plumbline.yaml changed), not in the host, and does not count as drift.
 */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export const SEVERITY_RULES = {
  // hardware
  'cpu.changed': 'high', // model or core count
  'memory.changed': 'high', // total changed by more than 1%
  'disk.added': 'high',
  'disk.removed': 'high',
  'disk.changed': 'high', // size or rotational
  'nic.added': 'high',
  'nic.removed': 'high',
  'nic.changed': 'high', // mac or mtu
  'nic.addresses': 'medium', // addresses move more often than hardware (DHCP, failover)
  // os
  'hostname.changed': 'low',
  'kernel.changed': 'high',
  'distribution.changed': 'high',
  'package.added': 'medium',
  'package.removed': 'medium',
  'package.changed': 'medium', // version
  'package.capture': 'low', // the package list was captured on one side only
  'sysctl.changed': 'medium',
  'sysctl.appeared': 'medium',
  'sysctl.disappeared': 'medium',
  'service.stopped': 'high', // active → inactive or failed
  'service.failed': 'medium', // inactive or unknown → failed
  'service.unknown': 'medium', // the state can no longer be told
  'service.started': 'low', // → active, or inactive ↔ unknown
  'port.added': 'low', // something new listens
  'port.removed': 'medium', // something stopped listening
  'mount.added': 'medium',
  'mount.removed': 'medium',
  'mount.changed': 'medium', // source, type or options
  // app
  'file.content': 'medium',
  'file.secretContent': 'high',
  'file.missing': 'high',
  'file.appeared': 'medium',
  'file.permissions': 'medium', // mode or owner
  'file.secretPermissions': 'high',
  'file.unreadable': 'low', // hashed in the baseline, could not be read now
  'release.changed': 'high',
  'process.stopped': 'critical', // running → no process
  'process.started': 'low', // not running in the baseline, running now
  'health.failing': 'critical', // status class changed to non-2xx or no response
  'health.recovered': 'low', // back to 2xx
  // what was watched changed, not the host
  coverage: 'info',
} as const satisfies Record<string, Severity>;

export type SeverityRule = keyof typeof SEVERITY_RULES;

export function severityOf(rule: SeverityRule): Severity {
  return SEVERITY_RULES[rule];
}

/** Negative when a is less severe than b. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

export function highestSeverity(severities: Iterable<Severity>): Severity | undefined {
  let highest: Severity | undefined;
  for (const s of severities) if (highest === undefined || compareSeverity(s, highest) > 0) highest = s;
  return highest;
}
