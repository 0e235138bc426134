import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../common/paths';

/** What one capture reads on a host; mirrors the agent's command-line options. */
export interface CaptureArgvOptions {
  packages: boolean;
  sysctl: string[];
  services: string[];
  files: Array<{ remote: string; secret: boolean }>;
  release?: string;
  process?: string;
  health?: string;
  /** Perf window in ms; 0 disables sampling. The agent defaults to 250 when absent. */
  perfMs?: number;
}

let cachedScript: string | undefined;

/** Where the agent ships beside the bundles: scripts/build.mjs assembles it from agent/src/. */
export function agentScriptPath(): string {
  return path.join(packageRoot(), 'dist', 'plumbline-agent.sh');
}

/** The agent's text, read once. It travels as one `sh -c` argument, so nothing is installed on hosts. */
export function agentScript(): string {
  if (cachedScript === undefined) {
    const file = agentScriptPath();
    try {
      cachedScript = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`the agent script ${file} is missing: run \`npm run build\` (scripts/build.mjs assembles it from agent/src/): ${(e as Error).message}`);
    }
  }
  return cachedScript;
}

/**
 * The argv of one capture: `sh -c SCRIPT plumbline-agent capture [options]`. Every value is its own
 * element; the SSH layer quotes each one, and the agent never evaluates them.
 */
export function captureArgv(opts: CaptureArgvOptions): string[] {
  const argv = ['sh', '-c', agentScript(), 'plumbline-agent', 'capture'];
  const add = (flag: string, value: string): void => {
    // argv cannot carry NUL; failing here names the culprit instead of a spawn error later.
    if (value.includes('\0')) throw new RangeError(`${flag} value contains a NUL byte: ${JSON.stringify(value)}`);
    argv.push(flag, value);
  };
  if (opts.packages) argv.push('--packages');
  for (const name of opts.sysctl) add('--sysctl', name);
  for (const name of opts.services) add('--service', name);
  for (const f of opts.files) add(f.secret ? '--secret-file' : '--file', f.remote);
  if (opts.release !== undefined) add('--release', opts.release);
  if (opts.process !== undefined) add('--process', opts.process);
  if (opts.health !== undefined) add('--health', opts.health);
  if (opts.perfMs !== undefined) {
    const ms = Number.isFinite(opts.perfMs) ? Math.min(60_000, Math.max(0, Math.round(opts.perfMs))) : 0;
    argv.push('--perf-ms', String(ms));
  }
  return argv;
}

/** What the streaming agent reads each interval; mirrors `plumbline-agent stream` options. */
export interface StreamArgvOptions {
  intervalMs: number;
  /** The agent numbers its samples from fromSeq + 1. */
  fromSeq?: number;
  files: Array<{ remote: string; secret: boolean }>;
  release?: string;
  process?: string;
  health?: string;
  metrics?: string;
  /** Disks to report; the agent reports / when none are given. */
  mounts?: string[];
}

/** Where `plumbline agent install` puts the agent on a host. */
export const AGENT_DIR = '/var/lib/plumbline/agent';

function checkedPush(argv: string[], flag: string, value: string): void {
  if (value.includes('\0')) throw new RangeError(`${flag} value contains a NUL byte: ${JSON.stringify(value)}`);
  argv.push(flag, value);
}

/** The stream options as agent arguments (after the mode word). */
export function streamOptionArgs(opts: StreamArgvOptions): string[] {
  const argv: string[] = [];
  const ms = Number.isFinite(opts.intervalMs) ? Math.min(3_600_000, Math.max(1000, Math.round(opts.intervalMs))) : 5000;
  argv.push('--interval-ms', String(ms));
  for (const f of opts.files) checkedPush(argv, f.secret ? '--secret-file' : '--file', f.remote);
  if (opts.release !== undefined) checkedPush(argv, '--release', opts.release);
  if (opts.process !== undefined) checkedPush(argv, '--process', opts.process);
  if (opts.health !== undefined) checkedPush(argv, '--health', opts.health);
  if (opts.metrics !== undefined) checkedPush(argv, '--metrics', opts.metrics);
  for (const m of opts.mounts ?? []) checkedPush(argv, '--mount', m);
  return argv;
}

function seqArg(fromSeq: number | undefined): string {
  return String(Number.isSafeInteger(fromSeq) && (fromSeq as number) > 0 ? fromSeq : 0);
}

/** `sh -c SCRIPT plumbline-agent stream [options]`: one JSON sample per interval on stdout, until the channel closes. */
export function streamArgv(opts: StreamArgvOptions): string[] {
  return ['sh', '-c', agentScript(), 'plumbline-agent', 'stream', '--from-seq', seqArg(opts.fromSeq), ...streamOptionArgs(opts)];
}

/** Follows the installed agent's buffer: every buffered sample with seq > fromSeq, then new ones. */
export function followArgv(fromSeq: number, dir: string = AGENT_DIR): string[] {
  return ['sh', '-c', agentScript(), 'plumbline-agent', 'follow', '--dir', dir, '--from-seq', seqArg(fromSeq)];
}

/**
 * Runs argv as root: directly when the SSH user is root, else through `sudo -n` (never a
 * password prompt). The wrapper is a fixed string; argv travels as its arguments.
 */
export function asRootArgv(argv: string[]): string[] {
  return ['sh', '-c', 'if [ "$(id -u)" = 0 ]; then exec "$@"; else exec sudo -n -- "$@"; fi', 'plumbline-as-root', ...argv];
}

/** Installs (or reinstalls) the agent as a service; the script itself must be sent on stdin. */
export function installArgv(opts: StreamArgvOptions, dir: string = AGENT_DIR): string[] {
  return asRootArgv(['sh', '-c', agentScript(), 'plumbline-agent', 'install', '--dir', dir, ...streamOptionArgs(opts)]);
}

export function uninstallArgv(dir: string = AGENT_DIR): string[] {
  return asRootArgv(['sh', '-c', agentScript(), 'plumbline-agent', 'uninstall', '--dir', dir]);
}

export function statusArgv(dir: string = AGENT_DIR): string[] {
  return asRootArgv(['sh', '-c', agentScript(), 'plumbline-agent', 'status', '--dir', dir]);
}
