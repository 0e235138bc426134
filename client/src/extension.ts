/**
 * The extension's entry: wires the language client, model, views, commands and providers. No logic here.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ServerStatus, TrustGranted, type ActivationTimings, type PlumblineApi, type PlumblineTestApi } from '../../server/src/protocol/protocol';
import { registerActionCommands } from './actionCommands';
import { registerApprovals } from './actions';
import { DriftCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { BASELINE_SCHEME, BaselineContentProvider } from './contentProvider';
import { DashboardPanel } from './dashboard';
import { createLanguageClient } from './languageClient';
import { Modals } from './modal';
import { FleetModel } from './model';
import { EnvironmentStatus } from './status';
import { ActivityTree } from './trees/activity';
import { EnvironmentsTree } from './trees/environments';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): PlumblineApi | PlumblineTestApi {
  const timings: ActivationTimings = { activateStart: performance.now(), activateEnd: 0 };
  const output = vscode.window.createOutputChannel('Plumbline', { log: true });
  const lc = createLanguageClient(context, output);
  client = lc;
  const getClient = () => lc;
  const modals = new Modals();
  registerApprovals(lc, { modals, output });

  const model = new FleetModel(lc, context.workspaceState);
  const status = new EnvironmentStatus(model);
  let rendered: (t: number) => void = () => undefined;
  const firstTreeRender = new Promise<number>((resolve) => (rendered = resolve));
  const environments = new EnvironmentsTree(model, () => {
    timings.firstTreeRender = performance.now();
    rendered(timings.firstTreeRender);
  });
  const activity = new ActivityTree(model, getClient);

  const commandDeps = {
    client: getClient,
    model,
    output,
    restart: async () => {
      status.setServer({ state: 'warning', message: 'restarting the Plumbline server…' });
      await lc.restart();
      model.refresh(0);
    },
    openDashboard: () => void DashboardPanel.show(context.extensionUri, model, getClient),
  };
  context.subscriptions.push(
    output,
    model,
    status,
    environments,
    activity,
    vscode.window.createTreeView('plumbline.environments', { treeDataProvider: environments, showCollapseAll: true }),
    vscode.window.createTreeView('plumbline.activity', { treeDataProvider: activity }),
    vscode.workspace.registerTextDocumentContentProvider(BASELINE_SCHEME, new BaselineContentProvider(getClient)),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new DriftCodeActions(), { providedCodeActionKinds: DriftCodeActions.kinds }),
    ...registerCommands(commandDeps),
    ...registerActionCommands({ ...commandDeps, modals }),
    lc.onNotification(ServerStatus.type, (s) => status.setServer(s)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void lc.sendNotification(TrustGranted.type, {});
    }),
  );

  // Not awaited: activation stays cheap; views show "Starting…" until the server answers.
  lc.start().then(
    () => model.attach(lc),
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      output.error(`the Plumbline server did not start: ${message}`);
      status.setServer({ state: 'error', message });
    },
  );

  timings.activateEnd = performance.now();
  const api: PlumblineApi = {
    timings,
    onDidChange: model.onDidChange,
    settled: () => model.settled(),
    view: () => model.view,
    environmentsTree: () => environments.render(),
    statusText: () => status.text,
    firstTreeRender,
    activityTree: () => activity.render(),
    dashboardCharts: () => DashboardPanel.open?.charts,
  };
  // Test hooks exist only while the extension host runs tests; the published API has none.
  if (context.extensionMode !== vscode.ExtensionMode.Test) return api;
  return { ...api, setModalHook: (hook) => modals.setHook(hook) } satisfies PlumblineTestApi;
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
