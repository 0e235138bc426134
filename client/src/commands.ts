import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { WorkDoneProgress, type WorkDoneProgressBegin, type WorkDoneProgressReport, type WorkDoneProgressEnd } from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-languageserver-protocol';
import {
  AcceptLive,
  PromoteRelease,
  CaptureBaseline,
  CheckHosts,
  Commands,
  DiffEnvironment,
  type EnvironmentParams,
  type OperationResult,
} from '../../server/src/protocol/protocol';
import { baselineUri } from './contentProvider';
import type { FleetModel } from './model';
import { summarize } from './presentation';

export interface CommandDeps {
  client: () => LanguageClient;
  model: FleetModel;
  output: vscode.LogOutputChannel;
  restart: () => Promise<void>;
  openDashboard: () => void;
}

/** Commands that reach hosts are refused in an untrusted workspace, before anything is sent. */
export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('Plumbline connects to hosts only in a trusted workspace. Trust this workspace to capture or diff.', 'Manage Workspace Trust').then((a) => {
    if (a) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/** Environment from the argument (code lens, tree node, dashboard) or the selection, or asks. */
export async function pickEnvironment(model: FleetModel, arg: unknown): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'env' in arg) {
    const env = (arg as { env: unknown }).env;
    if (typeof env === 'string') return env;
    if (env && typeof env === 'object' && 'name' in env) return String((env as { name: unknown }).name);
  }
  return model.selected?.name ?? (await selectEnvironment(model));
}

async function selectEnvironment(model: FleetModel, arg?: unknown): Promise<string | undefined> {
  if (typeof arg === 'string') {
    await model.select(arg);
    return arg;
  }
  const envs = model.view?.environments ?? [];
  if (envs.length === 0) {
    void vscode.window.showInformationMessage(`Plumbline: ${model.view?.message ?? 'no environments in plumbline.yaml'}`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    envs.map((e) => ({ label: e.name, description: summarize(e), picked: e.name === model.selected?.name })),
    { title: 'Plumbline: Select Environment', placeHolder: 'Environment shown in the status bar and Activity view' },
  );
  if (pick) await model.select(pick.label);
  return pick?.label;
}

/**
 * Runs a fleet operation with progress in a cancellable notification; the server reports per
 * host through the work-done token and stops waiting on cancel.
 */
export async function runOperation<P extends EnvironmentParams>(deps: CommandDeps, title: string, type: RequestType<P, OperationResult, void>, params: Omit<P, 'workDoneToken'>): Promise<OperationResult | undefined> {
  const client = deps.client();
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = `plumbline-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    let last = 0;
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
      if (v.kind === 'end') return;
      const pct = v.percentage ?? last;
      progress.report({ ...(v.message ? { message: v.message } : {}), increment: Math.max(0, pct - last) });
      last = pct;
    });
    try {
      const result = await client.sendRequest(type, { ...params, workDoneToken } as P, token);
      report(deps, title, result);
      return result;
    } catch (e) {
      if (token.isCancellationRequested) return undefined;
      const message = e instanceof Error ? e.message : String(e);
      deps.output.error(`${title}: ${message}`);
      void vscode.window.showErrorMessage(`Plumbline: ${title} failed: ${message}`);
      return undefined;
    } finally {
      sub.dispose();
    }
  });
}

function report(deps: CommandDeps, title: string, r: OperationResult): void {
  for (const o of r.outcomes) deps.output.info(`${title}: ${o.host}: ${o.ok ? '' : `${o.errorKind}: `}${o.message}`);
  if (r.cancelled) {
    deps.output.info(`${title}: cancelled; hosts already running finish in the background`);
    return;
  }
  const failed = r.outcomes.filter((o) => !o.ok);
  // Results show in the tree, status bar and Problems; a pop-up only when a person must act.
  if (failed.length > 0) {
    void vscode.window.showWarningMessage(`Plumbline: ${title}: ${failed.length} of ${r.outcomes.length} hosts failed: ${failed.map((f) => `${f.host} (${f.errorKind})`).join(', ')}`, 'Show Log').then((a) => {
      if (a) deps.output.show();
    });
  }
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { model } = deps;
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, fn);
  return [
    reg(Commands.selectEnvironment, (arg) => selectEnvironment(model, arg)),
    reg(Commands.refresh, () => model.refresh(0)),
    reg(Commands.restartServer, () => deps.restart()),
    reg(Commands.openDashboard, () => deps.openDashboard()),
    reg(Commands.showAuditLog, () => vscode.commands.executeCommand('plumbline.activity.focus')),
    reg(Commands.captureBaseline, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return runOperation(deps, `Capture baseline of ${env}`, CaptureBaseline.type, { env, reason: 'captured from VS Code' });
    }),
    reg(Commands.diff, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return runOperation(deps, `Diff ${env} against its baselines`, DiffEnvironment.type, { env });
    }),
    reg(Commands.checkHosts, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return runOperation(deps, `Check the hosts of ${env}`, CheckHosts.type, { env });
    }),
    reg(Commands.acceptLive, async (arg) => {
      if (!requireTrust()) return undefined;
      const target = hostTarget(arg);
      if (!target) return undefined;
      const info = await deps.client().sendRequest(AcceptLive.type, target);
      deps.output.info(`${target.env}/${target.host}: live state accepted as baseline v${info.version}`);
      return info;
    }),
    reg(Commands.promoteRelease, async (arg) => {
      if (!requireTrust()) return undefined;
      const target = hostTarget(arg);
      if (!target) return undefined;
      const info = await deps.client().sendRequest(PromoteRelease.type, target);
      deps.output.info(`${target.env}/${target.host}: release promoted as baseline v${info.version} (${info.reason})`);
      return info;
    }),
    reg(Commands.showDiff, async (arg) => {
      const t = arg as { env: string; host: string; remote: string; local?: string } | undefined;
      if (!t?.remote) return;
      await vscode.commands.executeCommand(
        'vscode.diff',
        baselineUri(t.env, t.host, t.remote, 'baseline'),
        baselineUri(t.env, t.host, t.remote, 'live'),
        `${t.host}:${path.basename(t.remote)} (baseline ↔ live)`,
      );
    }),
    reg('plumbline.revealDrift', async (local: unknown, line: unknown) => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder || typeof local !== 'string') return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, local));
      const l = Math.max(0, Number(line) - 1);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(l, 0, l, 0) });
    }),
  ];
}

/** Host target from a code action argument or an Environments tree host node. */
export function hostTarget(arg: unknown): { env: string; host: string } | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as { env?: unknown; host?: unknown };
  if (typeof a.env !== 'string') return undefined;
  if (typeof a.host === 'string') return { env: a.env, host: a.host };
  if (a.host && typeof a.host === 'object' && 'host' in a.host) return { env: a.env, host: String((a.host as { host: unknown }).host) };
  return undefined;
}
