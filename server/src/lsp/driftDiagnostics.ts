/**
 * Drift as diagnostics: on the workspace files mapped in `files:` at the exact drifted lines, and
 * on each host entry of plumbline.yaml. Pure: takes the environment, the last diffs and readers,
 * returns diagnostics per file path.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver';
import type { EnvironmentConfig } from '../config/types';
import type { DiffItem } from '../fingerprint/diff';
import type { DriftDiagnosticData, DriftSeverity, HostDiagnosticData, HostView } from '../protocol/protocol';
import { riskPhrase } from '../protocol/riskWords';
import { describeState } from './hostViews';

export const SOURCE = 'plumbline';
/** URI scheme of the client's content provider for baseline and live copies of managed files. */
export const CONTENT_SCHEME = 'plumbline-baseline';

export function severityOfDrift(s: DriftSeverity): DiagnosticSeverity {
  switch (s) {
    case 'critical':
    case 'high':
      return DiagnosticSeverity.Error;
    case 'medium':
      return DiagnosticSeverity.Warning;
    case 'low':
      return DiagnosticSeverity.Information;
    default:
      return DiagnosticSeverity.Hint;
  }
}

/** `plumbline-baseline:/<env>/<host><remote>?side=baseline` — what the client's content provider serves. */
export function contentUri(env: string, host: string, remote: string, side: 'baseline' | 'live'): string {
  const p = `/${encodeURIComponent(env)}/${encodeURIComponent(host)}${remote.split('/').map(encodeURIComponent).join('/')}`;
  return `${CONTENT_SCHEME}:${p}?side=${side}`;
}

export interface HostDrift {
  host: string;
  baselineVersion: number;
  items: DiffItem[];
}

export interface DriftReaders {
  /** Workspace file text by its `local` path as written in plumbline.yaml. */
  readLocal(local: string): string | undefined;
  /** Lines (without terminators) of a managed file on a host, baseline or last live capture. */
  hostLines(host: string, remote: string, side: 'baseline' | 'live'): string[] | undefined;
}

const quoteLines = (lines: string[] | undefined, r: { start: number; end: number }): string => {
  if (!lines) return '(not captured)';
  const picked = lines.slice(r.start - 1, r.end);
  if (picked.length === 0) return '(no line)';
  const text = picked.map((l) => l.trim()).join(' ⏎ ');
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
};

/**
 * Diagnostics for the managed files of one environment, keyed by absolute file path. Every
 * file the environment maps gets an entry (possibly empty) so stale diagnostics clear.
 */
export function fileDiagnostics(env: EnvironmentConfig, workspaceDir: string, drifts: HostDrift[], readers: DriftReaders): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const f of env.layers.app.files) out.set(path.resolve(workspaceDir, f.local), []);
  for (const d of drifts) {
    for (const item of d.items) {
      if (item.kind !== 'file' || !item.file?.local || item.severity === 'info') continue;
      const file = path.resolve(workspaceDir, item.file.local);
      const list = out.get(file) ?? [];
      out.set(file, list);
      const localLines = (readers.readLocal(item.file.local) ?? '').split('\n');
      const lineEnd = (line0: number): number => (localLines[line0] ?? '').replace(/\r$/, '').length;
      const data: DriftDiagnosticData = { kind: 'drift', env: env.name, host: d.host, path: item.path, remote: item.file.remote, secret: item.file.secret };
      const attr = item.path.includes('#') ? item.path.slice(item.path.indexOf('#') + 1) : undefined;

      if (item.file.secret || item.file.ranges.length === 0) {
        // No line to point at (secret, permissions, missing file): the first line, and never content.
        const what = attr
          ? `${attr} changed: ${String(item.old)} → ${String(item.new)}`
          : item.file.secret
            ? 'secret file changed on the host (content is never shown)'
            : `${item.change}${item.file.note ? `: ${item.file.note}` : ''}`;
        list.push({
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: lineEnd(0) } },
          severity: severityOfDrift(item.severity),
          source: SOURCE,
          code: item.kind,
          message: `${d.host}: ${item.file.remote} ${what} (baseline v${d.baselineVersion}, ${item.severity})`,
          data,
        });
        continue;
      }
      const baseline = readers.hostLines(d.host, item.file.remote, 'baseline');
      const live = readers.hostLines(d.host, item.file.remote, 'live');
      item.file.ranges.forEach((r, i) => {
        const br = item.file!.baselineRanges[i] ?? r;
        const lr = liveRange(baseline, live, br);
        const related: DiagnosticRelatedInformation[] = [
          {
            location: { uri: contentUri(env.name, d.host, item.file!.remote, 'baseline'), range: lineRange(br) },
            message: `baseline v${d.baselineVersion} on ${d.host}: ${quoteLines(baseline, br)}`,
          },
          {
            location: { uri: contentUri(env.name, d.host, item.file!.remote, 'live'), range: lineRange(lr) },
            message: `live on ${d.host}: ${quoteLines(live, lr)}`,
          },
        ];
        const startLine = Math.max(0, r.start - 1);
        const endLine = Math.max(startLine, r.end - 1);
        list.push({
          range: { start: { line: startLine, character: 0 }, end: { line: endLine, character: lineEnd(endLine) } },
          severity: severityOfDrift(item.severity),
          source: SOURCE,
          code: item.kind,
          message: `${d.host}: drifted from baseline v${d.baselineVersion} (${item.severity}): live has "${quoteLines(live, lr)}"`,
          relatedInformation: related,
          data,
        });
      });
    }
  }
  return out;
}

function lineRange(r: { start: number; end: number }) {
  return { start: { line: Math.max(0, r.start - 1), character: 0 }, end: { line: Math.max(0, r.end - 1), character: 10_000 } };
}

/**
 * The live lines that replaced a baseline range: lines around it that both sides share anchor the
 * search. Good enough for quoting; the diff editor shows the exact change.
 */
export function liveRange(baseline: string[] | undefined, live: string[] | undefined, r: { start: number; end: number }): { start: number; end: number } {
  if (!baseline || !live) return r;
  let before = 0; // lines equal before the range
  while (before < r.start - 1 && baseline[before] === live[before]) before++;
  let after = 0; // lines equal at the end
  while (after < baseline.length - r.end && after < live.length - before && baseline[baseline.length - 1 - after] === live[live.length - 1 - after]) after++;
  if (before < r.start - 1) return r;
  const start = r.start;
  const end = Math.max(start, live.length - after);
  return { start, end };
}

/** Diagnostic severity of a watched host's risk: severe → error, minor/moderate/no data → warning. */
function riskSeverity(v: HostView): DiagnosticSeverity | undefined {
  const s = v.risk?.state;
  if (!s || s === 'ok') return undefined;
  return s === 'severe' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
}

/** One diagnostic per host entry of plumbline.yaml whose host is not clean (or not yet known), or is at risk while watched. */
export function hostEntryDiagnostics(env: EnvironmentConfig, views: HostView[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of env.hosts) {
    const v = views.find((h) => h.host === entry.spec);
    const atRisk = v ? riskSeverity(v) : undefined;
    if (!v || ((v.state === 'clean' || v.state === 'unknown') && atRisk === undefined && !v.proposal)) continue;
    const stateSeverity =
      v.state === 'drift'
        ? severityOfDrift(v.highest ?? 'low')
        : v.state === 'error'
          ? DiagnosticSeverity.Error
          : v.state === 'unreachable'
            ? DiagnosticSeverity.Warning
            : v.state === 'clean' || v.state === 'unknown'
              ? DiagnosticSeverity.Hint
              : DiagnosticSeverity.Information;
    // Lower numbers are more severe in LSP.
    const severity = Math.min(stateSeverity, atRisk ?? DiagnosticSeverity.Hint) as DiagnosticSeverity;
    const top = v.findings
      .filter((f) => f.severity !== 'info')
      .slice(0, 3)
      .map((f) => f.path)
      .join(', ');
    const topReason = v.risk?.reasons[0];
    const data: HostDiagnosticData = {
      kind: 'host',
      env: env.name,
      host: v.host,
      state: v.state,
      ...(v.risk ? { risk: v.risk.state } : {}),
      ...(topReason ? { metric: topReason.metric } : {}),
      ...(v.proposal ? { proposal: v.proposal.release.to ?? '(none)' } : {}),
    };
    const risk = v.risk ? `${riskPhrase(v.risk)} ${v.risk.value.toFixed(2)}${topReason ? `: ${topReason.detail}` : ''}` : 'not scored yet';
    out.push({
      range: entry.range,
      severity,
      source: SOURCE,
      code: v.risk && v.risk.state !== 'ok' ? `risk-${v.risk.state}` : v.proposal ? 'proposal' : v.state,
      message: `${v.host} (${env.name}): ${describeState(v)}: ${v.reason ?? ''}${top ? ` — ${top}` : ''}; risk: ${risk}${decisionText(v)}`,
      data,
    });
  }
  return out;
}

/** "; decided: no action (neighbour: cpu taken by pid 4242 …)": the watch's last decision, when there is one. */
function decisionText(v: HostView): string {
  const d = v.decision;
  const p = v.proposal ? `; proposal: ${v.proposal.why} (${v.proposal.command})` : '';
  if (!d) return p;
  const what = d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}${d.blockedBy ? ` (blocked: ${d.blockedBy})` : ''}`;
  return `; decided: ${what} (${d.cause ?? 'no cause'}: ${d.summary})${p}`;
}

export function fileUri(file: string): string {
  return pathToFileURL(file).toString();
}
