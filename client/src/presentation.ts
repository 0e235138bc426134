/**
 * How host states look everywhere in the client (trees, status bar, dashboard): words, icons,
 * theme colours. One place so the sidebar and the status bar never disagree.
 */
import * as vscode from 'vscode';
import type { DriftSeverity, EnvironmentView, HostView, LayerRiskView, RiskStateWord } from '../../server/src/protocol/protocol';
import { riskPhrase, riskRank, stateWord } from '../../server/src/protocol/riskWords';

const STATE_ORDER = ['clean', 'unknown', 'noBaseline', 'drift', 'unreachable', 'error'] as const;
const SEVERITY_ORDER: readonly DriftSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Higher is worse: a watched host's risk first (no data counts worst), then its drift state. */
export function hostRank(h: HostView): number {
  return (riskRank(h.risk) + 1) * 100 + STATE_ORDER.indexOf(h.state) * 10 + Math.max(0, h.highest ? SEVERITY_ORDER.indexOf(h.highest) : 0);
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
  if (!h.risk) return h.watch ? `risk: ${watchWords(h)}` : 'risk not scored yet (not watched)';
  return `risk ${riskPhrase(h.risk)}, ${h.risk.value.toFixed(2)}`;
}

/** The watch itself: learning, stream down, acting. Empty while simply watching. */
export function watchWords(h: HostView): string {
  const w = h.watch;
  if (!w) return '';
  if (w.stream === 'backoff') return `unreachable (${w.streamError ?? 'stream down'})`;
  if (w.acting) return 'acting';
  if (w.phase === 'learning' && w.learning) return `learning ${w.learning.have}/${w.learning.need}`;
  if (w.phase === 'training') return 'training';
  if (w.stream === 'connecting' || w.stream === 'starting') return 'connecting';
  return w.stream === 'stopped' ? 'stopped' : '';
}

/** Tree description of a host: drift state, then risk while watched ("clean · minor risk (tier 1) 0.45"). */
export function hostDescription(h: HostView): string {
  const parts = [stateWords(h)];
  if (h.risk) parts.push(`${riskPhrase(h.risk)} ${h.risk.value.toFixed(2)}`);
  const w = watchWords(h);
  if (w) parts.push(w);
  return parts.join(' · ');
}

export function riskColor(state: RiskStateWord | undefined): vscode.ThemeColor | undefined {
  if (state === 'severe') return new vscode.ThemeColor('list.errorForeground');
  if (state === 'minor' || state === 'moderate' || state === 'nodata') return new vscode.ThemeColor('list.warningForeground');
  if (state === 'ok') return new vscode.ThemeColor('testing.iconPassed');
  return undefined;
}

export function riskIcon(state: RiskStateWord): vscode.ThemeIcon {
  const id = state === 'ok' ? 'pass' : state === 'nodata' ? 'circle-slash' : state === 'severe' ? 'error' : 'warning';
  return new vscode.ThemeIcon(id, riskColor(state));
}

export function layerDescription(l: LayerRiskView): string {
  return `${stateWord(l.state)} ${l.value.toFixed(2)}`;
}

export function severityColor(s: DriftSeverity | undefined): vscode.ThemeColor | undefined {
  if (s === 'critical' || s === 'high') return new vscode.ThemeColor('list.errorForeground');
  if (s === 'medium' || s === 'low') return new vscode.ThemeColor('list.warningForeground');
  return undefined;
}

export function hostIcon(h: HostView): vscode.ThemeIcon {
  if (h.watch?.stream === 'backoff') return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.warningForeground'));
  // While watched, risk outranks drift unless the drift is worse.
  if (h.risk && h.risk.state !== 'ok') return riskIcon(h.risk.state);
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
