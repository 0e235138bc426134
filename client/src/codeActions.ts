import * as vscode from 'vscode';
import { Commands, type DriftDiagnosticData, type HostDiagnosticData } from '../../server/src/protocol/protocol';

/** The server's diagnostics keep their `data` (vscode-languageclient's ProtocolDiagnostic). */
function dataOf(d: vscode.Diagnostic): DriftDiagnosticData | HostDiagnosticData | undefined {
  if (d.source !== 'plumbline') return undefined;
  const data = (d as vscode.Diagnostic & { data?: unknown }).data as { kind?: string } | undefined;
  return data?.kind === 'drift' || data?.kind === 'host' ? (data as DriftDiagnosticData | HostDiagnosticData) : undefined;
}

/**
 * Quick fixes on drift and risk diagnostics (managed files and host entries): Show diff, Accept
 * live as the new baseline, Roll back, Switch to the known-good colour, Remediate (each asks in a
 * modal with the exact commands first), and Mark as expected on a watched host's risk.
 */
export class DriftCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(_doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const seen = new Set<string>();
    for (const d of context.diagnostics) {
      const data = dataOf(d);
      if (!data) continue;
      const atRisk = data.kind === 'host' && data.risk !== undefined && data.risk !== 'ok';
      if (data.kind === 'host' && data.proposal) {
        const a = new vscode.CodeAction(`Promote release ${data.proposal} as the baseline of ${data.host}`, vscode.CodeActionKind.QuickFix);
        a.command = { title: a.title, command: Commands.promoteRelease, arguments: [{ env: data.env, host: data.host }] };
        a.diagnostics = [d];
        a.isPreferred = true;
        actions.push(a);
      }
      if (data.kind === 'host' && data.state !== 'drift' && !atRisk) continue;
      const key = `${data.env}/${data.host}/${data.kind === 'drift' ? data.remote : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const target = { env: data.env, host: data.host, reason: d.message };
      const add = (title: string, command: string, args: unknown[]) => {
        const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        a.command = { title, command, arguments: args };
        a.diagnostics = [d];
        actions.push(a);
        return a;
      };
      if (data.kind === 'drift' || data.state === 'drift') add(`Accept live state of ${data.host} as its new baseline`, Commands.acceptLive, [{ env: data.env, host: data.host }]);
      add(`Roll back ${data.host} to its pre-deployment snapshot (tier 3)…`, Commands.rollback, [target]);
      add(`Switch ${data.host} to its known-good colour (tier 2)…`, Commands.switchColour, [target]);
      add(`Remediate ${data.host} (tier 1)…`, Commands.remediate, [target]);
      if (atRisk && data.kind === 'host') {
        const metric = data.metric && !data.metric.startsWith('file:') && data.metric !== 'release' ? data.metric : 'all';
        add(`Mark ${metric === 'all' ? 'recent behaviour' : metric} on ${data.host} as expected`, Commands.markExpected, [{ env: data.env, host: data.host, metric }]);
      }
      if (data.kind === 'drift' && data.remote && !data.secret) {
        const diff = new vscode.CodeAction(`Show diff on ${data.host}: baseline ↔ live`, vscode.CodeActionKind.QuickFix);
        diff.command = { title: diff.title, command: Commands.showDiff, arguments: [{ env: data.env, host: data.host, remote: data.remote }] };
        diff.diagnostics = [d];
        diff.isPreferred = true;
        actions.push(diff);
      }
    }
    return actions;
  }
}
