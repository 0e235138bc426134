import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { printableDeep } from '../../server/src/common/printable';
import { seal } from '../../server/src/common/sealed';
import { ConfirmHostKey, Passphrase, PassphraseChecked, type InitializationOptions } from '../../server/src/protocol/protocol';

/** Fixed so `.vscode/launch.json` can attach to the server. */
export const SERVER_INSPECT_PORT = 6011;

/** The language client for the analysis server (dist/server.js) over IPC. */
export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', `--inspect=${SERVER_INSPECT_PORT}`] } },
  };
  const initializationOptions: InitializationOptions = { trusted: vscode.workspace.isTrusted };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', pattern: '**/plumbline.yaml' }],
    outputChannel: output,
    initializationOptions,
    synchronize: { configurationSection: 'plumbline' },
    // Every message from the server carries host text somewhere (reasons, errors, file lines):
    // all of it is made printable here, once, before any view, diagnostic or webview shows it.
    connectionOptions: { messageStrategy: { handleMessage: (message, next) => next(printableDeep(message, { keep: '\n\t\r' })) } },
  };
  const client = new LanguageClient('plumbline', 'Plumbline', serverOptions, clientOptions);
  client.onRequest(ConfirmHostKey.type, async ({ host, keyType, fingerprint }) => {
    const trust = 'Trust and Connect';
    const answer = await vscode.window.showWarningMessage(
      `Plumbline: ${host} offered a host key that is not in known_hosts.`,
      { modal: true, detail: `${keyType} key fingerprint:\n${fingerprint}\n\nCompare it with the host's own (ssh-keygen -l -f /etc/ssh/ssh_host_*_key.pub) before you trust it. Trusting adds it to known_hosts.` },
      trust,
    );
    return { trust: answer === trust };
  });
  // Passphrases live in SecretStorage (the OS keychain where there is one), never in settings, and
  // only once the server said they open the key. They cross the connection sealed for the server.
  const pending = new Map<string, string>();
  const secretKey = (identityFile: string): string => `plumbline.passphrase:${identityFile}`;
  client.onRequest(Passphrase.type, async ({ identityFile, publicKey, previousWrong }) => {
    if (previousWrong) await context.secrets.delete(secretKey(identityFile));
    const stored = previousWrong ? undefined : await context.secrets.get(secretKey(identityFile));
    if (stored !== undefined) return { sealed: seal(publicKey, stored) };
    const entered = await vscode.window.showInputBox({
      title: 'Plumbline: SSH key passphrase',
      prompt: `${previousWrong ? 'That passphrase did not open the key. ' : ''}Passphrase for ${identityFile} (kept in VS Code's secret storage once it works)`,
      password: true,
      ignoreFocusOut: true,
    });
    if (entered === undefined) return {};
    pending.set(identityFile, entered);
    return { sealed: seal(publicKey, entered) };
  });
  client.onNotification(PassphraseChecked.type, ({ identityFile, good }) => {
    const entered = pending.get(identityFile);
    pending.delete(identityFile);
    if (good && entered !== undefined) void context.secrets.store(secretKey(identityFile), entered);
    else if (!good) void context.secrets.delete(secretKey(identityFile));
  });
  return client;
}
