import type { EnvironmentConfig } from '../config/types';
import { err, type Result } from '../common/result';
import type { SshError } from '../ssh/errors';
import type { ExecResult } from '../ssh/pool';
import { captureArgv } from './agent';
import { parseCapture, type AgentOutputError } from './parse';
import type { Fingerprint } from './types';

/** The one thing capture needs from the SSH layer; injected so capture can be tested without a network. */
export interface Executor {
  exec(host: string, argv: string[], opts?: { timeoutMs?: number }): Promise<Result<ExecResult, SshError>>;
}

export type CaptureError =
  | SshError
  | AgentOutputError
  | { kind: 'AgentFailed'; host: string; code: number | null; stderr: string };

export const PERF_WINDOW_MS = 250;

/** The agent's options for one environment: what to read on each of its hosts. */
export function captureOptions(env: EnvironmentConfig): Parameters<typeof captureArgv>[0] {
  const { os, app, hardware } = env.layers;
  return {
    packages: os.packages,
    sysctl: os.sysctl,
    services: os.services,
    files: app.files.map((f) => ({ remote: f.remote, secret: f.secret })),
    release: app.release,
    process: app.process,
    health: app.health,
    perfMs: hardware.perf ? PERF_WINDOW_MS : 0,
  };
}

/** One SSH exec per host: run the agent in capture mode and parse what it printed. */
export async function captureHost(
  executor: Executor,
  env: EnvironmentConfig,
  host: string,
): Promise<Result<Fingerprint, CaptureError>> {
  const run = await executor.exec(host, captureArgv(captureOptions(env)));
  if (!run.ok) return run;
  const { stdout, stderr, code } = run.value;
  if (code !== 0) return err({ kind: 'AgentFailed', host, code, stderr: stderr.slice(0, 2000) });
  return parseCapture(stdout, host);
}

export function describeCaptureError(e: CaptureError, describeSsh: (e: SshError) => string): string {
  switch (e.kind) {
    case 'AgentFailed':
      return `${e.host}: the agent exited with code ${e.code}${e.stderr ? `: ${e.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
    case 'MalformedAgentOutput':
      return `${e.host}: malformed agent output: ${e.message}`;
    default:
      return describeSsh(e);
  }
}

