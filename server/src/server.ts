/**
 * The analysis server's entry: wires LSP handlers to the engine and nothing else.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseConfig } from './config/load';
import { configDiagnostics } from './lsp/configDiagnostics';
import { Environments, ServerStatus } from './protocol/protocol';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

const isWorkspaceFile = (uri: string): boolean => uri.startsWith('file:') && path.basename(fileURLToPath(uri)) === 'plumbline.yaml';

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'plumbline' },
}));

connection.onInitialized(() => {
  void connection.sendNotification(ServerStatus.type, { state: 'ok', message: 'Plumbline server ready' });
});

documents.onDidChangeContent(({ document }) => {
  if (!isWorkspaceFile(document.uri)) return;
  void connection.sendDiagnostics({ uri: document.uri, diagnostics: configDiagnostics(document.getText(), fileURLToPath(document.uri)) });
});

connection.onRequest(Environments.type, ({ uri }) => {
  const doc = documents.get(uri);
  if (!doc) return [];
  const { config } = parseConfig(doc.getText(), fileURLToPath(uri));
  return (config?.environments ?? []).map((e) => ({ name: e.name, hosts: e.hosts.map((h) => h.spec) }));
});

documents.listen(connection);
connection.listen();
