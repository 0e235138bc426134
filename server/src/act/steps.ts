import { redactOutput } from '../audit/redact';
import type { Result } from '../common/result';
import type { ExecResult } from '../ssh/connection';
import type { SshError } from '../ssh/errors';
import { describeSshError } from '../ssh/errors';
import { shellCommand } from '../ssh/quote';
import { ActionStop, type HostShell, type StepRecord } from './types';

export interface Step {
  title: string;
  argv: string[];
  effect: 'read' | 'change';
  /** Run as root: prefixed with `sudo -n --` when the SSH user is not root. */
  root?: boolean;
  /** Fed on stdin; never recorded — describe it in `stdinNote`. */
  stdin?: string;
  stdinNote?: string;
  /** The output is file content: keep it out of the record. */
  privateOutput?: boolean;
  timeoutMs?: number;
}

export interface StepResult {
  ran: boolean;
  /** null: the command ended without an exit status (killed by `signal`, or the host never said). */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  attempts?: number;
}

/** Tries of a read step whose host did not answer. */
export const READ_ATTEMPTS = 3;

/** The host gave no answer: SSH trouble, or the channel closed with neither exit status nor signal. */
function noAnswer(r: Result<ExecResult, SshError>): boolean {
  if (!r.ok) return r.error.kind === 'ChannelError' || r.error.kind === 'Timeout' || r.error.kind === 'Unreachable';
  return r.value.code === null && r.value.signal === undefined;
}

/** Called before each change step; throws ActionStop when the action must not go on (lock lost). */
export type Guard = () => void;

/**
 * Runs an action's commands on one host and records each one. In a dry run, `read` steps run
 * (they change nothing, and later steps depend on what they find) and `change` steps are only
 * recorded, exactly as they would have been sent.
 */
export class StepRunner {
  readonly records: StepRecord[] = [];
  private secrets: string[] = [];
  /** Told of each command as it is sent (a person following a long action, `act --steps`). */
  onStep?: (title: string, effect: Step['effect']) => void;

  constructor(
    private readonly shell: HostShell,
    readonly host: string,
    readonly dryRun: boolean,
    /** True when the SSH user is root, so nothing needs sudo. */
    private readonly isRoot: boolean,
    private readonly guard: Guard = () => undefined,
  ) {}

  /** Values never to appear in a record (secret file contents). */
  addSecrets(values: readonly string[]): void {
    this.secrets.push(...values);
  }

  /** The argv as sent: with `sudo -n --` in front when root is needed and the user is not root. */
  argvOf(step: Pick<Step, 'argv' | 'root'>): string[] {
    return step.root && !this.isRoot ? ['sudo', '-n', '--', ...step.argv] : step.argv;
  }

  async run(step: Step): Promise<StepResult> {
    const argv = this.argvOf(step);
    const record: StepRecord = { title: step.title, effect: step.effect, argv, command: shellCommand(argv), ran: false };
    if (step.stdinNote) record.stdinNote = step.stdinNote;
    this.records.push(record);
    if (this.dryRun && step.effect === 'change') return { ran: false, code: 0, stdout: '', stderr: '' };
    if (step.effect === 'change') this.guard();
    this.onStep?.(step.title, step.effect);
    // A read changes nothing, so when the host did not answer (a slow exec on a loaded machine,
    // a channel closed with no exit status) it is asked again; a change is never re-run.
    const attempts = step.effect === 'read' ? READ_ATTEMPTS : 1;
    let r = await this.shell.exec(this.host, argv, { stdin: step.stdin, timeoutMs: step.timeoutMs });
    for (let n = 2; n <= attempts && noAnswer(r); n++) {
      await new Promise((resolve) => setTimeout(resolve, 250 * (n - 1)));
      record.attempts = n;
      r = await this.shell.exec(this.host, argv, { stdin: step.stdin, timeoutMs: step.timeoutMs });
    }
    record.ran = true;
    if (!r.ok) {
      record.error = describeSshError(r.error);
      throw new ActionStop('failed', `${step.title}: ${record.error}${record.attempts ? ` (tried ${record.attempts} times)` : ''}`, true);
    }
    record.code = r.value.code;
    record.durationMs = r.value.durationMs;
    record.stdout = step.privateOutput ? `[${r.value.stdout.length} characters of file content, not kept]` : redactOutput(r.value.stdout, this.secrets);
    record.stderr = redactOutput(r.value.stderr, this.secrets);
    if (r.value.code === null && r.value.signal !== undefined) record.error = `ended by signal ${r.value.signal}`;
    return { ran: true, code: r.value.code, stdout: r.value.stdout, stderr: r.value.stderr, ...(r.value.signal ? { signal: r.value.signal } : {}), ...(record.attempts ? { attempts: record.attempts } : {}) };
  }

  /** Runs a step that must exit 0; anything else stops the action as failed. */
  async must(step: Step): Promise<StepResult> {
    const r = await this.run(step);
    if (r.code === 0) return r;
    if (r.code === null && r.signal === undefined) {
      const tries = r.attempts ? ` (tried ${r.attempts} times)` : '';
      throw new ActionStop('failed', `${step.title}: the host closed the command without an exit status${tries}; its outcome is unknown`, true);
    }
    const how = r.code === null ? `killed by signal ${r.signal}` : `exit ${r.code}`;
    throw new ActionStop('failed', `${step.title} failed (${how}): ${lastLine(r.stderr || r.stdout)}`);
  }
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}

/** Whether the SSH user is root, from `id -u`. */
export async function probeRoot(shell: HostShell, host: string): Promise<{ isRoot: boolean; record: StepRecord }> {
  const argv = ['id', '-u'];
  const record: StepRecord = { title: 'find whether the SSH user is root (sudo -n otherwise)', effect: 'read', argv, command: shellCommand(argv), ran: true };
  const r = await shell.exec(host, argv);
  if (!r.ok) {
    record.error = describeSshError(r.error);
    throw new ActionStop('failed', record.error);
  }
  record.code = r.value.code;
  record.stdout = r.value.stdout.trim();
  record.durationMs = r.value.durationMs;
  return { isRoot: r.value.code === 0 && r.value.stdout.trim() === '0', record };
}
