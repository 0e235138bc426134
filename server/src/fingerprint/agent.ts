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

/** Where the agent ships beside the code (package root, not the bundle folder). */
export function agentScriptPath(): string {
  return path.join(packageRoot(), 'agent', 'plumbline-agent.sh');
}

/** The agent's text, read once. It travels as one `sh -c` argument, so nothing is installed on hosts. */
export function agentScript(): string {
  cachedScript ??= fs.readFileSync(agentScriptPath(), 'utf8');
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
