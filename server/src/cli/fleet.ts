import type { Command } from 'commander';
import type { HostInfo } from '../engine/engine';
import type { HostOutcome } from '../engine/outcome';
import { formatDiffTable } from '../fingerprint/diffFormat';
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';
import { print, printErr, printJson } from './output';

function failures(outcomes: Array<HostOutcome<unknown>>): Array<{ host: string; kind: string; message: string }> {
  return outcomes.flatMap((o) => (o.ok ? [] : [{ host: o.host, kind: o.error.kind, message: o.error.message }]));
}

function printFailures(outcomes: Array<HostOutcome<unknown>>): void {
  for (const f of failures(outcomes)) printErr(`error: ${f.message}`);
}

/** `baseline`, `diff` and `hosts`: the fleet commands over one environment of plumbline.yaml. */
export function registerFleetCommands(program: Command): void {
  workspaceOptions(
    program
      .command('baseline <env>')
      .description("capture every host of ENV and promote the fingerprints as the golden baseline")
      .option('--reason <text>', 'why this baseline (kept with it)'),
  ).action(async (envName: string, flags: WorkspaceFlags & { reason?: string }) => {
    process.exitCode = await withEngine(flags, envName, 'captured', async (engine, progress) => {
      const outcomes = await engine.baseline(envName, { reason: flags.reason }, progress);
      if (flags.json) {
        printJson({
          environment: envName,
          hosts: outcomes.map((o) =>
            o.ok
              ? { host: o.host, status: 'ok', version: o.value.baseline.version, promotedAt: o.value.baseline.promotedAt, durationMs: o.durationMs }
              : { host: o.host, status: 'error', error: o.error },
          ),
        });
      } else {
        print(
          renderTable(
            ['HOST', 'BASELINE', 'CAPTURED IN', 'STATUS'],
            outcomes.map((o) =>
              o.ok ? [o.host, `v${o.value.baseline.version}`, `${o.durationMs} ms`, 'promoted'] : [o.host, '-', `${o.durationMs} ms`, `error: ${o.error.kind}`],
            ),
          ),
        );
        printFailures(outcomes);
      }
      return failures(outcomes).length > 0 ? EXIT_ERROR : EXIT_OK;
    });
  });

  workspaceOptions(
    program.command('diff <env>').description('capture every host of ENV live and compare it with its baseline (exit 0 no drift, 1 drift, 2 error)'),
  ).action(async (envName: string, flags: WorkspaceFlags) => {
    process.exitCode = await withEngine(flags, envName, 'compared', async (engine, progress) => {
      const outcomes = await engine.diff(envName, progress);
      const drift = outcomes.some((o) => o.ok && o.value.diff.drift);
      if (flags.json) {
        printJson({
          environment: envName,
          drift,
          errors: failures(outcomes).length,
          hosts: outcomes.map((o) =>
            o.ok
              ? { host: o.host, status: 'ok', baselineVersion: o.value.baseline.version, drift: o.value.diff.drift, highest: o.value.diff.highest ?? null, items: o.value.diff.items }
              : { host: o.host, status: 'error', error: o.error },
          ),
        });
      } else {
        const diffs = outcomes.flatMap((o) => (o.ok ? [o.value.diff] : []));
        const failed = failures(outcomes).length;
        if (drift) print(formatDiffTable(diffs.filter((d) => d.drift)));
        else if (diffs.length === 0) print(`nothing compared: none of the ${outcomes.length} host(s) could be diffed (errors below)`);
        else if (failed > 0) print(`no drift on the ${diffs.length} host(s) that answered; ${failed} host(s) could not be compared (errors below), so drift there is unknown`);
        else print('no drift: every host matches its baseline');
        printFailures(outcomes);
      }
      if (failures(outcomes).length > 0) return EXIT_ERROR;
      return drift ? EXIT_DRIFT : EXIT_OK;
    });
  });

  workspaceOptions(program.command('hosts <env>').description("reachability, verified host key and last baseline of ENV's hosts (exit 2 when any host is not reachable)")).action(
    async (envName: string, flags: WorkspaceFlags) => {
      process.exitCode = await withEngine(flags, envName, 'checked', async (engine, progress) => {
        // A host that answered with a refused key is not "ok": progress says what went wrong.
        const outcomes = await engine.hosts(envName, (o) => {
          const v = o.ok ? (o.value as HostInfo) : undefined;
          progress(v && !v.reachable ? { host: o.host, ok: false, error: { kind: v.errorKind ?? 'Unreachable', message: v.error ?? 'not reachable' }, durationMs: o.durationMs } : o);
        });
        const infos = outcomes.map((o) => (o.ok ? { host: o.host, ...o.value } : { host: o.host, reachable: false, error: o.error.message, errorKind: o.error.kind }));
        if (flags.json) {
          printJson({ environment: envName, hosts: infos });
        } else {
          print(
            renderTable(
              ['HOST', 'REACHABLE', 'HOST KEY', 'BASELINE'],
              infos.map((i) => [
                i.host,
                i.reachable ? 'yes' : `NO (${i.errorKind ?? 'error'})`,
                i.reachable && 'keyType' in i ? `${i.keyType} ${i.keyFingerprint}` : (i.error ?? ''),
                'baseline' in i && i.baseline ? `v${i.baseline.version} ${i.baseline.promotedAt} by ${i.baseline.promotedBy}` : 'none',
              ]),
              100,
            ),
          );
        }
        return infos.every((i) => i.reachable) ? EXIT_OK : EXIT_ERROR;
      });
    },
  );
}
