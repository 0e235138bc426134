import { spawn } from 'node:child_process';
import { ok, type Result } from '../../server/src/common/result';
import type { HostShell } from '../../server/src/act/types';
import type { SshError } from '../../server/src/ssh/errors';
import type { ExecOptions, ExecResult, StreamHandle } from '../../server/src/ssh/pool';
import { shellCommand } from '../../server/src/ssh/quote';

/**
 * A HostShell that runs commands on this machine exactly as a host would over SSH: the argv is
 * joined by the same quoting (`shellCommand`) and handed to a real `sh -c`. Streams run in their
 * own process group, so close() ends the whole command, like sshd closing a session.
 */
export function localShell(opts: { env?: NodeJS.ProcessEnv } = {}): HostShell & { commands: string[] } {
  const commands: string[] = [];
  const run = (argv: string[], eo: ExecOptions, onLine?: (l: string) => void) => {
    const command = shellCommand(argv);
    commands.push(command);
    const started = Date.now();
    const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: Boolean(onLine), env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!onLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(eo.stdin ?? '');
    const done = new Promise<ExecResult>((resolve) =>
      child.on('close', (code, signal) => resolve({ host: 'local', stdout, stderr, code, ...(signal ? { signal } : {}), durationMs: Date.now() - started })),
    );
    return { child, done };
  };
  return {
    commands,
    async exec(_host: string, argv: string[], eo: ExecOptions = {}): Promise<Result<ExecResult, SshError>> {
      return ok(await run(argv, eo).done);
    },
    stream(_host: string, argv: string[], onLine: (line: string) => void, eo: ExecOptions = {}): Promise<Result<StreamHandle, SshError>> {
      const { child, done } = run(argv, eo, onLine);
      return Promise.resolve(
        ok({
          done,
          close: () => {
            try {
              process.kill(-child.pid!, 'SIGTERM');
            } catch {
              // already gone
            }
          },
        }),
      );
    },
  };
}
