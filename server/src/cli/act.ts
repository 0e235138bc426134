import * as readline from 'node:readline/promises';
import type { Command } from 'commander';
import { ACTION_KINDS, type ActionKind, type ActionReport, type StepRecord } from '../act/types';
import type { AuditView } from '../audit/log';
import type { Engine } from '../engine/engine';
import { EXIT_ACTION_FAILED, EXIT_ERROR, EXIT_OK, EXIT_REFUSED, EXIT_VERIFY_FAILED } from './exitCodes';
import { shellQuote } from '../ssh/quote';
import { note } from './progress';
import { renderTable } from './table';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';
import { print, printErr, printJson } from './output';

/** Script bodies make exact commands long; people see their name and size, JSON carries them whole. */
export function displayCommand(step: Pick<StepRecord, 'argv' | 'command'>): string {
  const i = step.argv.indexOf('-c');
  const script = i > 0 && step.argv[i - 1] === 'sh' ? step.argv[i + 1] : undefined;
  if (script === undefined || !script.includes('\n')) return step.command;
  return step.argv.map((a, k) => (k === i + 1 ? `<${step.argv[i + 2] ?? 'script'} script, ${script.split('\n').length} lines>` : shellQuote(a))).join(' ');
}

function describeSteps(steps: StepRecord[], only?: 'change'): string {
  return steps
    .filter((s) => !only || s.effect === only)
    .map((s, k) => {
      const ms = s.durationMs !== undefined ? `, ${s.durationMs} ms` : '';
      const status = !s.ran ? 'planned' : s.error ? `error: ${s.error}` : s.code === undefined ? `done${ms}` : `exit ${s.code ?? 'none'}${ms}`;
      return `  ${k + 1}. ${s.title} [${s.effect}, ${status}]\n     $ ${displayCommand(s)}${s.stdinNote ? `\n     stdin: ${s.stdinNote}` : ''}`;
    })
    .join('\n');
}

function exitCodeOf(r: ActionReport): number {
  switch (r.status) {
    case 'done':
    case 'planned':
      return EXIT_OK;
    case 'refused':
      return EXIT_REFUSED;
    case 'failed':
      return EXIT_ACTION_FAILED;
    case 'verify-failed':
      return EXIT_VERIFY_FAILED;
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function printReport(r: ActionReport, json: boolean): void {
  if (json) {
    printJson(r);
    return;
  }
  print(`${r.env}/${r.host} ${r.action}${r.dryRun ? ' (dry run)' : ''}: ${r.status}`);
  print(describeSteps(r.steps));
  if (r.reasons.length) print(`why / what:\n${r.reasons.map((x) => `  - ${x}`).join('\n')}`);
  if (r.verification) {
    print(`verification (${r.verification.attempts} capture(s), ${r.verification.durationMs} ms):`);
    for (const c of r.verification.checks) print(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    for (const d of r.verification.drift) print(`  FAIL drift ${d.path}: ${String(d.old)} → ${String(d.new)}`);
    if (r.verification.otherDrift.length) print(`  (other drift, not this action's: ${r.verification.otherDrift.map((d) => d.path).join(', ')})`);
  }
  print(`timings: lock ${r.timings.lockWaitMs} ms, action ${r.timings.actionMs} ms, verify ${r.timings.verifyMs} ms, total ${r.timings.totalMs} ms`);
  print(r.message);
  if (r.auditId !== undefined) print(`audit entry ${r.auditId}`);
}

interface ActFlags extends WorkspaceFlags {
  dryRun?: boolean;
  yes?: boolean;
  lockWait?: string;
  settle?: string;
  to?: string;
  reason?: string;
  steps?: boolean;
}

async function act(engine: Engine, envName: string, host: string, kind: ActionKind, flags: ActFlags): Promise<number> {
  const env = engine.environment(envName);
  if (!env.hosts.some((h) => h.spec === host)) throw new CliExit(EXIT_ERROR, `no host "${host}" in ${envName} (hosts: ${env.hosts.map((h) => h.spec).join(', ')})`);
  if (env.actions.mode === 'off' && !flags.dryRun) {
    const r = engine.auditLog().record({ env: envName, host, kind: 'action', action: kind, outcome: 'refused', actor: engine.actor(), summary: `${kind} refused: actions.mode is off for ${envName}` });
    throw new CliExit(EXIT_REFUSED, `actions are off for ${envName} (actions.mode: off in plumbline.yaml); audit entry ${r.id}`);
  }
  const lockWaitS = flags.lockWait !== undefined ? Number(flags.lockWait) : 30;
  const settleMs = flags.settle !== undefined ? Number(flags.settle) * 1000 : undefined;
  if (!Number.isFinite(lockWaitS) || lockWaitS < 0) throw new CliExit(EXIT_ERROR, '--lock-wait takes seconds (0 or more)');
  if (settleMs !== undefined && !(settleMs >= 0)) throw new CliExit(EXIT_ERROR, '--settle takes seconds');
  if (flags.to !== undefined && flags.to !== 'blue' && flags.to !== 'green') throw new CliExit(EXIT_ERROR, '--to is blue or green');
  const opts = {
    lockWaitS,
    settleMs,
    to: flags.to as 'blue' | 'green' | undefined,
    reasons: [`requested by ${engine.actor()} from the command line${flags.reason ? `: ${flags.reason}` : ''}`],
    onLockWait: (holder: string) => note(`${host}: the host lock is held by ${holder}; waiting up to ${lockWaitS} s`, flags.quiet),
  };

  if (flags.dryRun) {
    const r = await engine.act(envName, host, kind, { ...opts, dryRun: true });
    printReport(r, Boolean(flags.json));
    return exitCodeOf(r);
  }
  if (!flags.yes) {
    // A person approves the exact hosts and commands: plan first (reads only), then ask.
    const plan = await engine.act(envName, host, kind, { ...opts, dryRun: true });
    if (plan.status !== 'planned') {
      printReport(plan, Boolean(flags.json));
      return exitCodeOf(plan);
    }
    if (!process.stdin.isTTY) {
      printErr(`${describeSteps(plan.steps, 'change')}`);
      const r = engine.auditLog().record({ env: envName, host, kind: 'action', action: kind, outcome: 'refused', actor: engine.actor(), summary: `${kind} on ${host} not confirmed (no terminal to ask, no --yes)` });
      throw new CliExit(EXIT_REFUSED, `not confirmed: there is no terminal to ask; re-run with --yes to approve the commands above (audit entry ${r.id})`);
    }
    printErr(`On ${envName}/${host}, ${kind} will run:\n${describeSteps(plan.steps, 'change')}`);
    if (!(await confirm(`Run these ${plan.steps.filter((s) => s.effect === 'change').length} command(s) on ${host}? [y/N] `))) {
      const r = engine.auditLog().record({ env: envName, host, kind: 'action', action: kind, outcome: 'refused', actor: engine.actor(), summary: `${kind} on ${host} declined by ${engine.actor()}` });
      throw new CliExit(EXIT_REFUSED, `declined; nothing was changed (audit entry ${r.id})`);
    }
  }
  // Each command as it is sent, on stderr: a person (or a script) sees where a long action is.
  const onStep = flags.steps ? (title: string, effect: 'read' | 'change') => printErr(`plumbline: step (${effect}): ${title}`) : undefined;
  const r = await engine.act(envName, host, kind, { ...opts, ...(onStep && { onStep }) });
  printReport(r, Boolean(flags.json));
  if (r.status !== 'done') printErr(`plumbline: ${r.message}`);
  return exitCodeOf(r);
}

function auditRows(entries: AuditView[]): string[][] {
  return entries.map((e) => [String(e.id), e.ts, e.host ?? '-', e.action ?? e.kind, e.outcome, e.actor, e.summary]);
}

/** `act`, `snapshot` and `audit`. */
export function registerActCommands(program: Command): void {
  workspaceOptions(
    program
      .command('snapshot <env>')
      .description("record each host's pre-deployment state (release target, managed files) for a later rollback")
      .option('--reason <text>', 'why (kept with the snapshot)'),
  ).action(async (envName: string, flags: WorkspaceFlags & { reason?: string }) => {
    process.exitCode = await withEngine(flags, envName, 'snapshot of', async (engine, progress) => {
      const outcomes = await engine.snapshot(envName, { reason: flags.reason }, progress);
      if (flags.json) {
        printJson({
          environment: envName,
          hosts: outcomes.map((o) =>
            o.ok
              ? { host: o.host, status: 'ok', id: o.value.id, takenAt: o.value.takenAt, release: o.value.release, files: o.value.files.length }
              : { host: o.host, status: 'error', error: o.error },
          ),
        });
      } else {
        print(
          renderTable(
            ['HOST', 'SNAPSHOT', 'RELEASE', 'FILES', 'STATUS'],
            outcomes.map((o) =>
              o.ok
                ? [o.host, String(o.value.id), o.value.release?.target ?? '-', String(o.value.files.length), 'stored']
                : [o.host, '-', '-', '-', `error: ${o.error.message}`],
            ),
          ),
        );
      }
      return outcomes.every((o) => o.ok) ? EXIT_OK : EXIT_ERROR;
    });
  });

  workspaceOptions(
    program
      .command('act <env> <host> <action>')
      .description(`run ${ACTION_KINDS.join('|')} on one host, then verify it against its baseline (exit 0 done, 3 refused, 4 failed, 5 not verified)`)
      .option('--dry-run', 'print the exact commands; change nothing')
      .option('-y, --yes', 'approve without asking')
      .option('--lock-wait <seconds>', "wait this long for another actor's host lock (0: refuse at once)", '30')
      .option('--settle <seconds>', 'keep re-capturing this long for the host to verify', '20')
      .option('--to <colour>', 'switch: blue or green (default: the inactive one)')
      .option('--reason <text>', 'why (kept in the audit log)')
      .option('--steps', 'print each command on stderr as it is sent to the host'),
  ).action(async (envName: string, host: string, action: string, flags: ActFlags) => {
    if (!(ACTION_KINDS as readonly string[]).includes(action)) throw new CliExit(EXIT_ERROR, `unknown action "${action}" (${ACTION_KINDS.join(', ')})`);
    process.exitCode = await withEngine({ ...flags, quiet: true }, envName, action, (engine) => act(engine, envName, host, action as ActionKind, flags));
  });

  workspaceOptions(
    program
      .command('audit <env>')
      .description("print ENV's audit log and verify the keyed hash chain (exit 2 when it is broken)")
      .option('--head <hash>', 'a head you kept elsewhere: it must still be in the chain'),
  ).action(
    async (envName: string, flags: WorkspaceFlags & { head?: string }) => {
      process.exitCode = await withEngine(flags, envName, 'audit', (engine) => {
        const log = engine.auditLog();
        let check = log.verify();
        if (check.ok && flags.head !== undefined && !log.entries().some((e) => e.hash === flags.head)) {
          check = { ok: false, entries: check.entries, badId: check.entries + 1, problem: 'truncated', message: `the head you kept (${flags.head}) is not in the chain: entries were removed or the chain was rewritten` };
        }
        const entries = log.entries({ env: envName });
        if (flags.json) printJson({ environment: envName, chain: check, entries });
        else {
          print(renderTable(['ID', 'TIME', 'HOST', 'ACTION', 'OUTCOME', 'BY', 'SUMMARY'], auditRows(entries), 90));
          print(check.ok ? `chain ok: ${check.entries} entries, head ${check.head ?? '-'}` : `CHAIN BROKEN at entry ${check.badId}: ${check.message}`);
          if (check.ok) print(`keep this head somewhere else (a ticket, a chat, another machine): a later \`plumbline audit ${envName} --head ${check.head ?? '-'}\` proves nothing before it was removed or rewritten`);
        }
        if (!check.ok) printErr(`plumbline: the audit chain is broken at entry ${check.badId}: ${check.message}`);
        return Promise.resolve(check.ok ? EXIT_OK : EXIT_ERROR);
      });
    },
  );
}
