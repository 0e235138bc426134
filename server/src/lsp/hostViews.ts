/**
 * Pure conversions from engine results to what the UI shows about a host: state, reason,
 * findings with printable values. No LSP, no engine calls.
 */
import type { DiffResult, HostInfo } from '../engine/engine';
import type { HostOutcome } from '../engine/outcome';
import type { DiffItem, HostDiff } from '../fingerprint/diff';
import type { BaselineRecord } from '../store/store';
import type { BaselineInfo, DriftSeverity, FindingView, HostStateKind, HostView } from '../protocol/protocol';

const SEVERITY_ORDER: readonly DriftSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];
/** Worst last: the order hosts and environments are ranked in. */
const STATE_ORDER: readonly HostStateKind[] = ['clean', 'unknown', 'noBaseline', 'drift', 'unreachable', 'error'];

export function severityRank(s: DriftSeverity | undefined): number {
  return s ? SEVERITY_ORDER.indexOf(s) : -1;
}

/** Higher is worse: state first, then drift severity. */
export function hostRank(h: HostView): number {
  return STATE_ORDER.indexOf(h.state) * 10 + Math.max(0, severityRank(h.highest));
}

export function baselineInfo(b: BaselineRecord | Pick<BaselineRecord, 'version' | 'promotedAt' | 'promotedBy' | 'reason'>): BaselineInfo {
  return { version: b.version, promotedAt: b.promotedAt, promotedBy: b.promotedBy, reason: b.reason };
}

/** A value as one short printable string. */
export function printable(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function findingView(i: DiffItem): FindingView {
  const secret = i.file?.secret === true;
  return {
    layer: i.layer,
    kind: i.kind,
    change: i.change,
    path: i.path,
    // Secret files carry only shortened hashes in old/new; even those stay out of the UI.
    ...(!secret && i.old !== undefined ? { old: printable(i.old) } : {}),
    ...(!secret && i.new !== undefined ? { new: printable(i.new) } : {}),
    severity: i.severity,
    ...(i.file
      ? {
          file: {
            ...(i.file.local ? { local: i.file.local } : {}),
            remote: i.file.remote,
            secret,
            ranges: i.file.ranges,
            ...(i.file.note ? { note: i.file.note } : {}),
          },
        }
      : {}),
  };
}

/** A host that was diffed: drift or clean, with its findings. */
export function fromDiff(prev: HostView | undefined, diff: HostDiff, baseline: BaselineInfo, at: string): HostView {
  const findings = diff.items.map(findingView);
  const drifting = diff.items.filter((i) => i.severity !== 'info');
  const highest = drifting.reduce<DriftSeverity | undefined>((m, i) => (severityRank(i.severity) > severityRank(m) ? i.severity : m), undefined);
  return {
    host: diff.host || (prev?.host ?? ''),
    state: diff.drift ? 'drift' : 'clean',
    reason: diff.drift
      ? `${drifting.length} drift item${drifting.length === 1 ? '' : 's'} against baseline v${baseline.version} (highest: ${highest})`
      : `matches baseline v${baseline.version}`,
    reachable: true,
    ...(prev?.keyFingerprint ? { keyFingerprint: prev.keyFingerprint } : {}),
    baseline,
    checkedAt: at,
    ...(diff.drift && highest ? { highest } : {}),
    findings,
  };
}

/** What a failed outcome says about the host. */
export function fromFailure(prev: HostView | undefined, host: string, error: { kind: string; message: string }, at: string): HostView {
  const state: HostStateKind = error.kind === 'NoBaseline' ? 'noBaseline' : error.kind === 'Unreachable' || error.kind === 'Timeout' ? 'unreachable' : 'error';
  return {
    host,
    state,
    reason: error.message,
    reachable: state === 'noBaseline' ? true : state === 'unreachable' ? false : prev?.reachable,
    ...(prev?.keyFingerprint ? { keyFingerprint: prev.keyFingerprint } : {}),
    ...(prev?.baseline ? { baseline: prev.baseline } : {}),
    checkedAt: at,
    findings: [],
  };
}

export function applyDiffOutcome(prev: HostView | undefined, o: HostOutcome<DiffResult>, at: string): HostView {
  return o.ok ? fromDiff(prev, o.value.diff, baselineInfo(o.value.baseline), at) : fromFailure(prev, o.host, o.error, at);
}

/** After a new baseline the host matches it by definition. */
export function applyBaselineOutcome(prev: HostView | undefined, o: HostOutcome<{ baseline: BaselineRecord }>, at: string): HostView {
  if (!o.ok) return fromFailure(prev, o.host, o.error, at);
  const baseline = baselineInfo(o.value.baseline);
  return { host: o.host, state: 'clean', reason: `baseline v${baseline.version} just captured`, reachable: true, ...(prev?.keyFingerprint ? { keyFingerprint: prev.keyFingerprint } : {}), baseline, checkedAt: at, findings: [] };
}

/** A reachability check keeps what the last diff found, and updates reachability, key and baseline. */
export function applyCheckOutcome(prev: HostView | undefined, o: HostOutcome<HostInfo>, at: string): HostView {
  if (!o.ok) return fromFailure(prev, o.host, o.error, at);
  const info = o.value;
  const base: HostView = prev ?? { host: o.host, state: 'unknown', findings: [] };
  if (!info.reachable) {
    const error = info.error ?? 'unreachable';
    const kind = /key/i.test(error) && !/timed out|refused|unreachable/i.test(error) ? 'error' : 'unreachable';
    return { ...base, state: kind, reason: error, reachable: false, ...(info.baseline ? { baseline: info.baseline } : {}), checkedAt: at };
  }
  const keyFingerprint = info.keyFingerprint;
  if (!info.baseline) {
    return { ...base, state: 'noBaseline', reason: 'reachable; no baseline yet', reachable: true, ...(keyFingerprint ? { keyFingerprint } : {}), checkedAt: at, findings: [] };
  }
  // Reachable again: a host that was unreachable or unknown is not known to drift or not until the next diff.
  const state: HostStateKind = base.state === 'unreachable' || base.state === 'error' || base.state === 'noBaseline' ? 'unknown' : base.state;
  const reason = state === 'unknown' ? `reachable; baseline v${info.baseline.version}; not diffed yet` : base.reason;
  return { ...base, state, ...(reason ? { reason } : {}), reachable: true, ...(keyFingerprint ? { keyFingerprint } : {}), baseline: info.baseline, checkedAt: at };
}

/** A host known only from plumbline.yaml and the store, before anything connected. */
export function initialView(host: string, baseline: BaselineInfo | undefined): HostView {
  if (!baseline) return { host, state: 'noBaseline', reason: 'no baseline yet', findings: [] };
  return { host, state: 'unknown', reason: `baseline v${baseline.version}; not diffed in this session`, baseline, findings: [] };
}

/** One line per host for summaries: "web-1: drift (medium)". */
export function describeState(h: HostView): string {
  switch (h.state) {
    case 'drift':
      return `drift (${h.highest ?? 'low'})`;
    case 'noBaseline':
      return 'no baseline';
    default:
      return h.state;
  }
}
