import * as vscode from 'vscode';
import {
  Commands,
  InstallAgent,
  MarkExpected,
  StartWatching,
  StopWatching,
  TakeSnapshot,
  type ActionKindName,
  type EnvironmentView,
  type HostView,
} from '../../server/src/protocol/protocol';
import { answerFleetApproval, runHostAction, type ActionDeps } from './actions';
import { hostTarget, pickEnvironment, requireTrust, runOperation, type CommandDeps } from './commands';
import { worstFirst } from './presentation';

/** Watching, snapshots, the agent and the tiered actions: everything that reaches hosts after a baseline. */
export function registerActionCommands(deps: CommandDeps & ActionDeps): vscode.Disposable[] {
  const { model } = deps;
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, fn);

  /** Host from a code action / tree node, else picked from the selected environment (riskiest first). */
  const pickHost = async (arg: unknown, verb: string): Promise<{ env: string; host: string; reasons: string[] } | undefined> => {
    const t = hostTarget(arg);
    const reason = arg && typeof arg === 'object' && 'reason' in arg && typeof arg.reason === 'string' ? [arg.reason] : [];
    if (t) return { ...t, reasons: reason.length ? reason : [`started from VS Code on ${t.host}`] };
    const envName = await pickEnvironment(model, arg);
    const env: EnvironmentView | undefined = model.view?.environments.find((e) => e.name === envName);
    if (!env) return undefined;
    const pick = await vscode.window.showQuickPick(
      worstFirst(env.hosts).map((h: HostView) => ({ label: h.host, description: h.risk ? `${h.risk.state} ${h.risk.value.toFixed(2)}` : h.state })),
      { title: `Plumbline: ${verb}`, placeHolder: `Host in ${env.name}` },
    );
    return pick && { env: env.name, host: pick.label, reasons: [`started from the command palette on ${pick.label}`] };
  };

  const act = (kind: ActionKindName, verb: string) => async (arg: unknown) => {
    if (!requireTrust()) return undefined;
    const t = await pickHost(arg, verb);
    if (!t) return undefined;
    try {
      return await runHostAction(deps, kind, { env: t.env, host: t.host }, t.reasons);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      deps.output.error(`${verb} ${t.host}: ${message}`);
      void vscode.window.showErrorMessage(`Plumbline: ${verb} ${t.host} failed: ${message}`);
      return undefined;
    }
  };

  return [
    reg(Commands.startWatching, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      const warmup = arg && typeof arg === 'object' && 'warmup' in arg && typeof arg.warmup === 'number' ? arg.warmup : undefined;
      const r = await deps.client().sendRequest(StartWatching.type, { env, ...(warmup !== undefined ? { warmup } : {}) });
      deps.output.info(`watching ${env}`);
      model.refresh(0);
      return r;
    }),
    reg(Commands.stopWatching, async (arg) => {
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      const r = await deps.client().sendRequest(StopWatching.type, { env });
      model.refresh(0);
      return r;
    }),
    reg(Commands.takeSnapshot, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return runOperation(deps, `Take snapshots of ${env}`, TakeSnapshot.type, { env });
    }),
    reg(Commands.installAgent, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return runOperation(deps, `Install the agent on ${env}`, InstallAgent.type, { env });
    }),
    reg(Commands.remediate, act('remediate', 'Remediate')),
    reg(Commands.switchColour, act('switch', 'Switch to the known-good colour')),
    reg(Commands.rollback, act('rollback', 'Roll back')),
    reg(Commands.fleetApprovals, async (arg) => {
      if (!requireTrust()) return undefined;
      const env = await pickEnvironment(model, arg);
      if (!env) return undefined;
      return answerFleetApproval(deps, env, arg);
    }),
    reg(Commands.markExpected, async (arg) => {
      if (!requireTrust()) return undefined;
      const a = (arg ?? {}) as { env?: unknown; host?: unknown; metric?: unknown; reason?: { metric?: unknown } };
      const t = hostTarget(arg);
      const metric = typeof a.metric === 'string' ? a.metric : typeof a.reason?.metric === 'string' ? a.reason.metric : 'all';
      if (!t) return undefined;
      const r = await deps.client().sendRequest(MarkExpected.type, { ...t, metric });
      deps.output.info(r.message);
      vscode.window.setStatusBarMessage(`Plumbline: ${r.message}`, 5000);
      return r;
    }),
  ];
}
