import type { Command } from 'commander';
import type { AuditView } from '../audit/log';
import type { Engine } from '../engine/engine';
import type { Proposal } from '../policy';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';

export interface PendingProposal {
  auditId: number;
  ts: string;
  proposal: Proposal;
}

/**
 * Proposals the watch made (a healthy deploy to promote) that no baseline has answered yet: the
 * newest per host, made after that host's active baseline was promoted.
 */
export function pendingProposals(entries: readonly AuditView[], promotedAt: (host: string) => string | null): PendingProposal[] {
  const latest = new Map<string, PendingProposal>();
  for (const e of entries) {
    const p = e.details?.proposal as Proposal | undefined;
    if (!p || p.kind !== 'promote-baseline' || !e.host) continue;
    const since = promotedAt(e.host);
    if (since !== null && Date.parse(e.ts) <= Date.parse(since)) continue;
    latest.set(e.host, { auditId: e.id, ts: e.ts, proposal: p });
  }
  return [...latest.values()];
}

function pendingOf(engine: Engine, env: string): PendingProposal[] {
  return pendingProposals(engine.auditLog().entries({ env }), (host) => engine.store.activeBaseline(env, host)?.promotedAt ?? null);
}

/** `proposals` lists what the watch proposes; `promote` accepts one: the host as it is now becomes its baseline. */
export function registerProposalCommands(program: Command): void {
  workspaceOptions(program.command('proposals <env>').description('healthy releases deployed outside Plumbline that the watch proposes as new baselines')).action(
    async (envName: string, flags: WorkspaceFlags) => {
      process.exitCode = await withEngine(flags, envName, 'read', async (engine) => {
        const pending = pendingOf(engine, envName);
        if (flags.json) process.stdout.write(`${JSON.stringify({ environment: envName, proposals: pending })}\n`);
        else if (pending.length === 0) process.stdout.write(`no pending proposals in ${envName}\n`);
        else {
          const rows = pending.map((p) => [p.proposal.host, `${p.proposal.release.from ?? '(none)'} → ${p.proposal.release.to ?? '(none)'}`, p.ts, `#${p.auditId}`, p.proposal.command]);
          process.stdout.write(`${renderTable(['HOST', 'RELEASE', 'PROPOSED', 'AUDIT', 'TO ACCEPT'], rows)}\n`);
        }
        return EXIT_OK;
      });
    },
  );

  workspaceOptions(
    program
      .command('promote <env> <host>')
      .description("capture HOST as it is now and promote it as its baseline (accepts the watch's proposal for a healthy deploy)")
      .option('--reason <text>', 'why (kept with the baseline)'),
  ).action(async (envName: string, host: string, flags: WorkspaceFlags & { reason?: string }) => {
    process.exitCode = await withEngine(flags, envName, 'promoted', async (engine) => {
      if (!engine.environment(envName).hosts.some((h) => h.spec === host)) throw new CliExit(EXIT_ERROR, `${host} is not a host of ${envName}`);
      const pending = pendingOf(engine, envName).find((p) => p.proposal.host === host);
      const reason = flags.reason ?? (pending ? `release ${pending.proposal.release.to ?? '(none)'} promoted (proposal #${pending.auditId}: ${pending.proposal.why})` : 'promoted with plumbline promote');
      const r = await engine.rebaseline(envName, host, reason);
      if (!r.ok) throw new CliExit(EXIT_ERROR, `${host}: ${r.error.message}`);
      engine.auditLog().record({ env: envName, host, kind: 'decision', outcome: 'done', actor: engine.actor(), summary: `baseline v${r.value.version} promoted on ${host}: ${reason}`, details: { promoted: { version: r.value.version, proposal: pending?.auditId ?? null } } });
      if (flags.json) process.stdout.write(`${JSON.stringify({ host, version: r.value.version, promotedAt: r.value.promotedAt, reason })}\n`);
      else process.stdout.write(`${host}: baseline v${r.value.version} promoted: ${reason}\n`);
      return EXIT_OK;
    });
  });
}
