/**
 * How host states look everywhere in the client (trees, status bar, dashboard): words, icons,
 * theme colours. One place so the sidebar and the status bar never disagree.
 */
import * as vscode from 'vscode';
import type { DriftSeverity, EnvironmentView, HostView } from '../../server/src/protocol/protocol';

const STATE_ORDER = ['clean', 'unknown', 'noBaseline', 'drift', 'unreachable', 'error'] as const;
const SEVERITY_ORDER: readonly DriftSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

export function hostRank(h: HostView): number {
  return STATE_ORDER.indexOf(h.state) * 10 + Math.max(0, h.highest ? SEVERITY_ORDER.indexOf(h.highest) : 0);
}

export function worstFirst(hosts: HostView[]): HostView[] {
  return [...hosts].sort((a, b) => hostRank(b) - hostRank(a) || a.host.localeCompare(b.host));
}

export function stateWords(h: HostView): string {
  switch (h.state) {
    case 'drift':
      return `drift (${h.highest ?? 'low'})`;
    case 'noBaseline':
      return 'no baseline';
    case 'unknown':
      return 'not checked';
    default:
      return h.state;
  }
}

export function riskWords(h: HostView): string {
  return h.risk ? `risk ${h.risk.tier} (${h.risk.value.toFixed(2)})` : 'risk not scored yet';
}

export function severityColor(s: DriftSeverity | undefined): vscode.ThemeColor | undefined {
  if (s === 'critical' || s === 'high') return new vscode.ThemeColor('list.errorForeground');
  if (s === 'medium' || s === 'low') return new vscode.ThemeColor('list.warningForeground');
  return undefined;
}

export function hostIcon(h: HostView): vscode.ThemeIcon {
  switch (h.state) {
    case 'clean':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'drift':
      return new vscode.ThemeIcon('warning', severityColor(h.highest));
    case 'unreachable':
      return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.warningForeground'));
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    case 'noBaseline':
      return new vscode.ThemeIcon('circle-large-outline');
    default:
      return new vscode.ThemeIcon('question');
  }
}

/** "1 drift (medium), 2 clean" — counts by state, worst first. */
export function summarize(env: EnvironmentView): string {
  const counts = new Map<string, number>();
  for (const h of worstFirst(env.hosts)) counts.set(stateWords(h), (counts.get(stateWords(h)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no hosts';
}
