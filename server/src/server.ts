/**
 * The analysis server's entry: wires LSP handlers to the workspace session and nothing else.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createConnection,
  DidChangeConfigurationNotification,
  MessageType,
  ProposedFeatures,
  ShowMessageNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseConfig } from './config/load';
import { environmentLenses } from './lsp/codeLens';
import { hostHover } from './lsp/hover';
import { DiagnosticsPublisher } from './lsp/publisher';
import { WorkspaceSession } from './lsp/session';
import { SettingsCache } from './lsp/settings';
import {
  AcceptLive,
  PromoteRelease,
  FleetApprovals,
  AnswerFleetApproval,
  ApproveDecision,
  AuditAppended,
  AuditEntries,
  InstallAgent,
  MarkExpected,
  PlanAction,
  RiskUpdated,
  RunAction,
  StartWatching,
  StopWatching,
  TakeSnapshot,
  WatchSample,
  WatchSeries,
  BaselineHistory,
  CaptureBaseline,
  CheckHosts,
  ConfirmHostKey,
  Passphrase,
  PassphraseChecked,
  DiffEnvironment,
  ManagedFileContent,
  ServerStatus,
  StateChanged,
  TrustGranted,
  WorkspaceState,
  type InitializationOptions,
} from './protocol/protocol';
import { SealKeys } from './common/sealed';

/** Made on the first passphrase request; the private half never leaves this process. */
let sealKeys: SealKeys | undefined;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const settings = new SettingsCache(connection);
const log = (line: string) => connection.console.log(line);

let session: WorkspaceSession | undefined;
let publisher: DiagnosticsPublisher | undefined;
let configFile: string | undefined;
let folderUri: string | undefined;

const isConfig = (uri: string): boolean => uri.startsWith('file:') && path.basename(fileURLToPath(uri)) === 'plumbline.yaml';
const openText = (file: string) => documents.get(pathUri(file))?.getText();
const pathUri = (file: string) => pathToFileURL(file).toString();

connection.onInitialize((params) => {
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  folderUri = folder ?? undefined;
  configFile = folder ? path.join(fileURLToPath(folder), 'plumbline.yaml') : undefined;
  const init = (params.initializationOptions ?? {}) as Partial<InitializationOptions>;
  if (configFile) {
    session = new WorkspaceSession(
      {
        configFile,
        settings: () => settings.get(folderUri!),
        confirmHostKey: async (p) => (await connection.sendRequest(ConfirmHostKey.type, p)).trust,
        passphrase: async (identityFile, attempt) => {
          sealKeys ??= new SealKeys();
          const r = await connection.sendRequest(Passphrase.type, { identityFile, publicKey: sealKeys.publicKey, previousWrong: attempt.previousWrong });
          if (r.sealed === undefined) return undefined;
          try {
            return sealKeys.open(r.sealed);
          } catch {
            log(`the passphrase answer for ${identityFile} could not be opened; ignored`);
            return undefined;
          }
        },
        passphraseChecked: (identityFile, good) => void connection.sendNotification(PassphraseChecked.type, { identityFile, good }),
        log,
        // A notification, not a request: nothing to answer, and a client that cannot show it fails nothing.
        warn: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
        changed: () => {
          if (configFile) publisher?.publish(configFile);
          void connection.sendNotification(StateChanged.type, {});
        },
        watch: {
          risk: (env, host, risk, watch) => void connection.sendNotification(RiskUpdated.type, { env, host, ...(risk ? { risk } : {}), watch }),
          sample: (env, host, point, bands, forecasts) => void connection.sendNotification(WatchSample.type, { env, host, point, bands, forecasts }),
          audited: (env) => void connection.sendNotification(AuditAppended.type, { env }),
          approve: async (p) => (await connection.sendRequest(ApproveDecision.type, p)).approved,
          log,
        },
      },
      init.trusted === true,
    );
    publisher = new DiagnosticsPublisher(connection, session, openText);
  }
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'plumbline' },
  };
});

connection.onInitialized(() => {
  void connection.client.register(DidChangeConfigurationNotification.type, { section: 'plumbline' });
  void (session?.reopen() ?? Promise.resolve()).then(() => {
    const view = session?.view();
    void connection.sendNotification(ServerStatus.type, {
      state: view?.configErrors ? 'warning' : 'ok',
      message: view?.message ?? 'Plumbline server ready',
    });
  });
});

connection.onDidChangeConfiguration(() => {
  settings.invalidate();
  void session?.reopen();
});

connection.onNotification(TrustGranted.type, () => {
  void session?.trust();
});

documents.onDidChangeContent(({ document }) => {
  if (isConfig(document.uri) && configFile) publisher?.publish(configFile);
});

documents.onDidSave(({ document }) => {
  if (isConfig(document.uri)) void session?.reopen();
});

connection.onHover(({ textDocument, position }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc || !isConfig(textDocument.uri) || !session) return undefined;
  const s = session;
  const envs = parseConfig(doc.getText(), fileURLToPath(textDocument.uri)).config?.environments ?? [];
  return hostHover(envs, (e) => s.hostViews(e), position);
});

connection.onCodeLens(({ textDocument }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc || !isConfig(textDocument.uri) || !session) return [];
  const s = session;
  const envs = parseConfig(doc.getText(), fileURLToPath(textDocument.uri)).config?.environments ?? [];
  return environmentLenses(envs, (e) => s.hostViews(e), s.isTrusted());
});

const noSession = () => new Error('no plumbline.yaml in this workspace');
const progressFor = (token: string | number | undefined): Promise<WorkDoneProgressReporter> =>
  token !== undefined ? Promise.resolve(connection.window.attachWorkDoneProgress(token)) : connection.window.createWorkDoneProgress();

connection.onRequest(WorkspaceState.type, () => session?.view() ?? { configErrors: 0, trusted: false, environments: [], message: 'no workspace folder' });
connection.onRequest(CaptureBaseline.type, async (p, token) => {
  if (!session) throw noSession();
  return session.baseline(p.env, p.reason, token, await progressFor(p.workDoneToken));
});
connection.onRequest(DiffEnvironment.type, async (p, token) => {
  if (!session) throw noSession();
  return session.diff(p.env, token, await progressFor(p.workDoneToken));
});
connection.onRequest(CheckHosts.type, async (p, token) => {
  if (!session) throw noSession();
  return session.checkHosts(p.env, token, await progressFor(p.workDoneToken));
});
connection.onRequest(AcceptLive.type, async (p) => {
  if (!session) throw noSession();
  return session.acceptLive(p.env, p.host, p.reason);
});
connection.onRequest(PromoteRelease.type, async (p) => {
  if (!session) throw noSession();
  return session.promoteRelease(p.env, p.host);
});
connection.onRequest(FleetApprovals.type, async (p) => {
  if (!session) throw noSession();
  return session.fleetApprovals(p.env);
});
connection.onRequest(AnswerFleetApproval.type, async (p) => {
  if (!session) throw noSession();
  return session.answerFleetApproval(p.env, p.id, p.approve);
});
connection.onRequest(TakeSnapshot.type, async (p, token) => {
  if (!session) throw noSession();
  return session.snapshot(p.env, token, await progressFor(p.workDoneToken));
});
connection.onRequest(InstallAgent.type, async (p, token) => {
  if (!session) throw noSession();
  return session.installAgent(p.env, token, await progressFor(p.workDoneToken));
});
connection.onRequest(StartWatching.type, async (p) => {
  if (!session) throw noSession();
  await session.startWatching(p.env, p.warmup);
  return { env: p.env, watching: true };
});
connection.onRequest(StopWatching.type, async (p) => {
  await session?.stopWatching(p.env);
  return { env: p.env, watching: false };
});
connection.onRequest(WatchSeries.type, (p) => session?.series(p.env) ?? { env: p.env, watching: false, hosts: [] });
connection.onRequest(PlanAction.type, (p) => {
  if (!session) throw noSession();
  return session.planAction(p);
});
connection.onRequest(RunAction.type, async (p) => {
  if (!session) throw noSession();
  const progress = await progressFor(p.workDoneToken);
  progress.begin('Running the approved action and verifying the host', undefined, undefined, false);
  try {
    return await session.runAction(p.planId);
  } finally {
    progress.done();
  }
});
connection.onRequest(MarkExpected.type, async (p) => {
  if (!session) throw noSession();
  await session.markExpected(p.env, p.host, p.metric);
  return { ok: true, message: `${p.host}: ${p.metric === 'all' ? 'recent behaviour' : p.metric} marked as expected; its detectors learned it` };
});
connection.onRequest(AuditEntries.type, (p) => session?.audit(p.env, p.limit) ?? []);
connection.onRequest(BaselineHistory.type, (p) => session?.history(p.env) ?? []);
connection.onRequest(ManagedFileContent.type, (p) => session?.fileContent(p) ?? { note: 'no workspace' });

connection.onShutdown(async () => {
  await session?.close();
});

documents.listen(connection);
connection.listen();
