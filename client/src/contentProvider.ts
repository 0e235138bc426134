import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ManagedFileContent } from '../../server/src/protocol/protocol';

export const BASELINE_SCHEME = 'plumbline-baseline';

/** `plumbline-baseline:/<env>/<host><remote>?side=baseline|live` (the server builds the same URIs for related information). */
export function baselineUri(env: string, host: string, remote: string, side: 'baseline' | 'live'): vscode.Uri {
  return vscode.Uri.from({ scheme: BASELINE_SCHEME, path: `/${env}/${host}${remote}`, query: `side=${side}` });
}

function parse(uri: vscode.Uri): { env: string; host: string; remote: string; side: 'baseline' | 'live' } | undefined {
  const m = /^\/([^/]+)\/([^/]+)(\/.*)$/.exec(uri.path);
  if (!m) return undefined;
  return { env: m[1], host: m[2], remote: m[3], side: uri.query.includes('side=live') ? 'live' : 'baseline' };
}

/** Read-only baseline and live copies of managed files, from the server's store. Secret files never have content. */
export class BaselineContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly client: () => LanguageClient) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const p = parse(uri);
    if (!p) return `Not a Plumbline content URI: ${uri.toString()}`;
    const r = await this.client().sendRequest(ManagedFileContent.type, p);
    return r.content ?? `# ${r.note}\n`;
  }
}
