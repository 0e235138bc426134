import * as vscode from 'vscode';
import { Commands, type DriftDiagnosticData, type HostDiagnosticData } from '../../server/src/protocol/protocol';

/** The server's diagnostics keep their `data` (vscode-languageclient's ProtocolDiagnostic). */
function dataOf(d: vscode.Diagnostic): DriftDiagnosticData | HostDiagnosticData | undefined {
  if (d.source !== 'plumbline') return undefined;
  const data = (d as vscode.Diagnostic & { data?: unknown }).data as { kind?: string } | undefined;
  return data?.kind === 'drift' || data?.kind === 'host' ? (data as DriftDiagnosticData | HostDiagnosticData) : undefined;
}

/**
 * Quick fixes on drift diagnostics (managed files and host entries): Accept live as the new
 * baseline, Show diff. Remediate / Switch / Roll back join when the server can act (issue 4).
 */
export class DriftCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(_doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const seen = new Set<string>();
    for (const d of context.diagnostics) {
      const data = dataOf(d);
      if (!data) continue;
      if (data.kind === 'host' && data.state !== 'drift') continue;
      const key = `${data.env}/${data.host}/${data.kind === 'drift' ? data.remote : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const accept = new vscode.CodeAction(`Accept live state of ${data.host} as its new baseline`, vscode.CodeActionKind.QuickFix);
      accept.command = { title: accept.title, command: Commands.acceptLive, arguments: [{ env: data.env, host: data.host }] };
      accept.diagnostics = [d];
      actions.push(accept);
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
