import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { formatConfigError } from '../config/format';
import type { Engine, OnHostDone } from '../engine/engine';
import { EXIT_ERROR } from './exitCodes';
import { hostProgress } from './progress';
import { printErr } from './output';

export interface WorkspaceFlags {
  config?: string;
  data?: string;
  store?: string;
  json?: boolean;
  quiet?: boolean;
  sshConfig?: string;
  knownHosts?: string;
}

/** Adds the flags every workspace command shares. */
export function workspaceOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'plumbline.yaml (default: the nearest one from the current folder up)')
    .option('--data <dir>', 'data folder for the store (default: .plumbline beside plumbline.yaml)')
    .option('--ssh-config <file>', 'ssh_config file (default: $PLUMBLINE_SSH_CONFIG, else ~/.ssh/config); plumbline.yaml cannot choose it')
    .option('--known-hosts <file>', 'known_hosts file (default: $PLUMBLINE_KNOWN_HOSTS, else the ssh config\'s UserKnownHostsFile)')
    .option('--store <url>', 'a shared store: postgresql://… (default: $PLUMBLINE_STORE_URL, else SQLite in the data folder)')
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no progress on stderr');
}

export function findConfig(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'plumbline.yaml');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export class CliExit extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `exit ${code}`);
  }
}

/**
 * Opens the engine for a command, runs it and always closes it. Config errors are printed with
 * file:line:column and end the command with EXIT_ERROR.
 */
export async function withEngine<T>(
  flags: WorkspaceFlags,
  envName: string,
  verb: string,
  fn: (engine: Engine, progress: OnHostDone) => Promise<T>,
  extra: { actor?: string } = {},
): Promise<T> {
  const configFile = flags.config ?? findConfig(process.cwd());
  if (!configFile) throw new CliExit(EXIT_ERROR, 'no plumbline.yaml here or in any parent folder (use --config FILE)');
  const ssh = { ...(flags.sshConfig ? { config: path.resolve(flags.sshConfig) } : {}), ...(flags.knownHosts ? { knownHosts: path.resolve(flags.knownHosts) } : {}) };
  // Loaded here, not at start-up: a command that never opens the engine never loads it.
  const { Engine, UnknownEnvironment } = await import('../engine/engine');
  const opened = await Engine.open({ configFile, dataDir: flags.data, store: flags.store, ssh, ...extra }).catch((e: unknown) => {
    // The store could not be opened (unreachable PostgreSQL, a newer schema, a bad URL, a damaged file): a message, not a crash.
    throw new CliExit(EXIT_ERROR, e instanceof Error ? e.message : String(e));
  });
  if (!opened.ok) {
    for (const e of opened.error) printErr(`${formatConfigError(e)}`);
    throw new CliExit(EXIT_ERROR, `${opened.error.length} error(s) in ${configFile}`);
  }
  const engine = opened.value;
  if (!flags.quiet) for (const n of engine.notes) printErr(`note: ${n}`);
  try {
    let total: number;
    try {
      total = engine.environment(envName).hosts.length;
    } catch (e) {
      if (e instanceof UnknownEnvironment) throw new CliExit(EXIT_ERROR, e.message);
      throw e;
    }
    // An action this store started and never finished (a crash, kill -9): say so first, once.
    for (const n of await engine.closeInterrupted(envName)) printErr(`plumbline: INTERRUPTED: ${n}`);
    return await fn(engine, hostProgress(verb, total, Boolean(flags.quiet)));
  } finally {
    await engine.close();
  }
}
