import { spawn } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a command from an argument array (never through a shell) and collects its output. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errs.push(b));
    // A command that exits before reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => resolve({ stdout: '', stderr: e.message, code: null }));
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errs).toString(), code }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Like `run`, but a non-zero exit is an error naming the command. */
export async function runOk(cmd: string, args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r;
}
