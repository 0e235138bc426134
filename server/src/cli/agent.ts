import type { Command } from 'commander';
import type { HostOutcome } from '../engine/outcome';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';
import { print, printErr, printJson } from './output';

function report<T>(envName: string, outcomes: Array<HostOutcome<T>>, json: boolean, columns: string[], row: (host: string, v: T) => string[]): number {
  if (json) {
    printJson({
      environment: envName,
      hosts: outcomes.map((o) => (o.ok ? { host: o.host, status: 'ok', ...o.value } : { host: o.host, status: 'error', error: o.error })),
    });
  } else {
    print(renderTable(['HOST', ...columns], outcomes.map((o) => (o.ok ? [o.host, ...row(o.host, o.value)] : [o.host, ...columns.map((_, i) => (i === 0 ? `error: ${o.error.kind}` : ''))]))));
    for (const o of outcomes) if (!o.ok) printErr(`error: ${o.error.message}`);
  }
  return outcomes.every((o) => o.ok) ? EXIT_OK : EXIT_ERROR;
}

/** `agent install|uninstall|status ENV`: the installed agent that buffers samples on each host. */
export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('the installed agent: buffers samples on each host so a network cut loses none');

  workspaceOptions(
    agent.command('install <env>').description("install the agent as a service on ENV's hosts (systemd, else a supervised process; needs root or sudo -n)"),
  ).action(async (envName: string, flags: WorkspaceFlags) => {
    process.exitCode = await withEngine(flags, envName, 'installed', async (engine, progress) =>
      report(envName, await engine.agentInstall(envName, progress), Boolean(flags.json), ['SERVICE', 'PID', 'DIR'], (_h, v) => [v.service, String(v.pid ?? '-'), v.dir]),
    );
  });

  workspaceOptions(agent.command('uninstall <env>').description("stop the agent on ENV's hosts and remove every file it had")).action(
    async (envName: string, flags: WorkspaceFlags) => {
      process.exitCode = await withEngine(flags, envName, 'uninstalled', async (engine, progress) =>
        report(envName, await engine.agentUninstall(envName, progress), Boolean(flags.json), ['REMOVED'], (_h, v) => [v.wasInstalled ? 'yes' : 'was not installed']),
      );
    },
  );

  workspaceOptions(agent.command('status <env>').description("installed, running and last sequence number of the agent on ENV's hosts")).action(
    async (envName: string, flags: WorkspaceFlags) => {
      process.exitCode = await withEngine(flags, envName, 'checked', async (engine, progress) =>
        report(
          envName,
          await engine.agentStatus(envName, progress),
          Boolean(flags.json),
          ['INSTALLED', 'RUNNING', 'SERVICE', 'LAST SEQ (HOST)', 'LAST SEQ (STORED)', 'BUFFERED'],
          (_h, v) => [v.installed ? 'yes' : 'no', v.running ? 'yes' : 'NO', v.service ?? '-', String(v.lastSeq ?? '-'), String(v.storedSeq), `${v.bufferedSamples} (${v.bufferBytes} B)`],
        ),
      );
    },
  );
}
