/**
 * The extension's entry: starts the analysis server over IPC and wires presentation to it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ServerStatus } from '../../server/src/protocol/protocol';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const output = vscode.window.createOutputChannel('Plumbline', { log: true });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', pattern: '**/plumbline.yaml' }],
    outputChannel: output,
  };
  const status = vscode.window.createStatusBarItem('plumbline.server', vscode.StatusBarAlignment.Left, 10);
  status.name = 'Plumbline';
  status.text = '$(loading~spin) Plumbline';
  status.show();
  context.subscriptions.push(output, status);

  client = new LanguageClient('plumbline', 'Plumbline', serverOptions, clientOptions);
  context.subscriptions.push(
    client.onNotification(ServerStatus.type, ({ state, message }) => {
      status.text = state === 'ok' ? '$(pass) Plumbline' : '$(warning) Plumbline';
      status.tooltip = message;
      status.backgroundColor = state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }),
    vscode.commands.registerCommand('plumbline.restartServer', async () => {
      await client?.restart();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
