import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { ActionReport } from '../act/types';
import { parseDuration } from '../config/duration';
import type { Decision } from '../policy';
import { EXIT_DRIFT, EXIT_ERROR, EXIT_GUARD_ACTED, EXIT_OK, EXIT_VERIFY_FAILED } from './exitCodes';
import { note } from './progress';
import { renderTable } from './table';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';
import { print, printErr, printJson } from './output';

interface GuardFlags extends WorkspaceFlags {
  settle: string;
  window: string;
  warmup?: string;
}

/** Runs the deploy command as given (argv, no shell), with the terminal's stdio. */
function runDeploy(argv: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('error', (e) => {
      printErr(`guard: cannot run ${argv[0]}: ${e.message}`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliExit(EXIT_ERROR, `--${flag}: expected a duration like "30s" or "5m", got "${text}"`);
  return ms;
}

/**
 * `guard ENV -- COMMAND...`: a CI/CD step around a deployment. Snapshot (for tier 3), run the
 * deploy command, let it settle, promote the new baseline, then watch for the guard window and
 * act per the environment's policy. The exit code says what happened.
 */
export function registerGuardCommand(program: Command): void {
  workspaceOptions(
    program
      .command('guard <env> <command...>')
      .description(
        'snapshot, run the deploy COMMAND, settle, baseline, then watch ENV for a window and act per policy ' +
          '(exit 0 healthy, 1 still at risk, 2 error, 5 an action failed verification, 6 Plumbline acted)',
      )
      .option('--settle <duration>', 'wait after the deploy before the baseline', '10s')
      .option('--window <duration>', 'how long to watch after the baseline', '5m')
      .option('--warmup <samples>', 'samples after the baseline that train the detectors'),
  ).action(async (envName: string, command: string[], flags: GuardFlags) => {
    const settleMs = duration('settle', flags.settle);
    const windowMs = duration('window', flags.window);
    process.exitCode = await withEngine(flags, envName, 'guarded', async (engine, progress) => {
      const quiet = Boolean(flags.quiet);
      note(`guard: 1/5 pre-deployment snapshot of ${envName}`, quiet);
      const snaps = await engine.snapshot(envName, { reason: `guard: before ${command.join(' ')}` }, progress);
      if (snaps.some((s) => !s.ok)) {
        for (const s of snaps) if (!s.ok) printErr(`error: ${s.error.message}`);
        return EXIT_ERROR;
      }
      note(`guard: 2/5 deploying: ${command.join(' ')}`, quiet);
      const code = await runDeploy(command);
      if (code !== 0) {
        printErr(`guard: the deploy command exited ${code ?? 'without running'}; nothing was promoted (snapshots are kept for a rollback)`);
        return EXIT_ERROR;
      }
      note(`guard: 3/5 settling for ${flags.settle}`, quiet);
      await new Promise((r) => setTimeout(r, settleMs));
      note(`guard: 4/5 promoting the new baseline`, quiet);
      const base = await engine.baseline(envName, { reason: `guard: after ${command.join(' ')}` }, progress);
      if (base.some((b) => !b.ok)) {
        for (const b of base) if (!b.ok) printErr(`error: ${b.error.message}`);
        return EXIT_ERROR;
      }
      note(`guard: 5/5 watching for ${flags.window} (actions per the environment's mode: ${engine.environment(envName).actions.mode})`, quiet);
      // Loaded on use: the detectors bring tfjs, which other commands should not pay for at start-up.
      const { Watcher } = await import('../watch/watcher');
      const watcher = new Watcher(engine, envName, { warmup: flags.warmup === undefined ? undefined : Number(flags.warmup) });
      const decisions: Decision[] = [];
      const actions: ActionReport[] = [];
      watcher.on('decision', (d) => {
        decisions.push(d);
        note(`guard: ${d.host}: decision ${d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}`} [${d.cause?.kind ?? 'no cause'}; ${d.mode}${d.blockedBy ? `, blocked by ${d.blockedBy}` : ''}]: ${d.why}`, quiet);
      });
      watcher.on('action', (r) => {
        actions.push(r);
        note(`guard: ${r.host}: ${r.action} ${r.status.toUpperCase()}: ${r.message}`, quiet);
      });
      watcher.on('riskChanged', (r, prev) => note(`guard: ${r.host}: ${prev ?? 'start'} → ${r.state} (${r.value.toFixed(2)}) ${r.reasons[0]?.detail ?? ''}`, quiet));
      watcher.on('log', (l) => note(`guard: ${l}`, quiet));
      watcher.start();
      await new Promise((r) => setTimeout(r, windowMs));
      const final = watcher.status();
      await watcher.stop();

      const rows = final.map((s) => [s.host, s.risk?.state ?? 'nodata', s.risk ? s.risk.value.toFixed(2) : '-', actions.filter((a) => a.host === s.host).map((a) => `${a.action} ${a.status}`).join(', ') || '-']);
      if (flags.json) {
        printJson({ environment: envName, command, decisions, actions, final: final.map((s) => ({ host: s.host, state: s.risk?.state ?? 'nodata', value: s.risk?.value ?? null })) });
      } else {
        print(renderTable(['HOST', 'RISK', 'VALUE', 'ACTIONS'], rows));
      }
      if (actions.some((a) => a.status === 'verify-failed' || a.status === 'failed')) return EXIT_VERIFY_FAILED;
      if (actions.some((a) => a.status === 'done')) return EXIT_GUARD_ACTED;
      return final.every((s) => s.risk?.state === 'ok') ? EXIT_OK : EXIT_DRIFT;
    });
  });
}
