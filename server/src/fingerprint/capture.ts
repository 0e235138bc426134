import type { EnvironmentConfig } from '../config/types';
import { err, type Result } from '../common/result';
import { captureArgv } from './agent';
import { parseCapture, type AgentOutputError } from './parse';
import type { Fingerprint } from './types';

/** What one command run on a host gave back (the SSH layer's ExecResult has these and more). */
export interface RemoteRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * The one thing capture needs from the edge that reaches hosts (SshPool has it), injected so the
 * fingerprint core imports no network code. `E` is that edge's error (SshError for SshPool).
 */
export interface Executor<E extends { kind: string }> {
  exec(host: string, argv: string[], opts?: { timeoutMs?: number }): Promise<Result<RemoteRun, E>>;
}

export type CaptureError<E extends { kind: string }> = E | AgentOutputError | { kind: 'AgentFailed'; host: string; code: number | null; stderr: string };

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
export async function captureHost<E extends { kind: string }>(
  executor: Executor<E>,
  env: EnvironmentConfig,
  host: string,
): Promise<Result<Fingerprint, CaptureError<E>>> {
  const run = await executor.exec(host, captureArgv(captureOptions(env)));
  if (!run.ok) return run;
  const { stdout, stderr, code } = run.value;
  if (code !== 0) return err({ kind: 'AgentFailed', host, code, stderr: stderr.slice(0, 2000) });
  return parseCapture(stdout, host);
}

export function describeCaptureError<E extends { kind: string }>(e: CaptureError<E>, describeEdge: (e: E) => string): string {
  const c = e as CaptureError<never>;
  if (c.kind === 'AgentFailed') return `${c.host}: the agent exited with code ${c.code}${c.stderr ? `: ${c.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
  if (c.kind === 'MalformedAgentOutput') return `${c.host}: malformed agent output: ${c.message}`;
  return describeEdge(e as E);
}

