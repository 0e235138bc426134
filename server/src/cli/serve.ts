import type { Command } from 'commander';
import { parseDuration } from '../config/duration';
import { workerId } from '../fleet/share';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';

function jsonLine(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function duration(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) throw new CliExit(EXIT_ERROR, `${flag}: expected a duration like "15s", got "${value}"`);
  return ms;
}

const ago = (ms: number): string => (ms < 0 ? `in ${Math.ceil(-ms / 1000)} s` : `${Math.floor(ms / 1000)} s ago`);

/** `serve`, `status`, `approvals`, `approve`: a shared fleet of workers on one store. */
export function registerServeCommands(program: Command): void {
  workspaceOptions(
    program
      .command('serve <env>')
      .description('run a headless worker of a shared fleet: hosts of ENV are split among the workers on one store (--store postgresql://…) by leases')
      .option('--lease <duration>', "how long a worker's hold on a host lasts unrenewed: a dead worker's hosts move within it", '15s')
      .option('--warmup <samples>', 'samples after the baseline that train the detectors')
      .option('--id <name>', 'this worker\'s name in the store (default host:pid:random)')
      .option('--for <duration>', 'stop after this long; default: until SIGTERM or Ctrl-C'),
  ).action(async (envName: string, flags: WorkspaceFlags & { lease: string; warmup?: string; id?: string; for?: string }) => {
    const leaseMs = duration('--lease', flags.lease, 15_000);
    const forMs = flags.for === undefined ? undefined : duration('--for', flags.for, 0);
    const id = flags.id ?? workerId();
    process.exitCode = await withEngine(flags, envName, 'serving', async (engine) => {
      if (engine.store.engine !== 'postgres') process.stderr.write('plumbline: serving on a SQLite file: workers on this machine only; a fleet shares a PostgreSQL store (--store)\n');
      const { Watcher } = await import('../watch/watcher');
      const { FleetWorker } = await import('../fleet/worker');
      const worker = new FleetWorker(engine, {
        env: envName,
        leaseMs,
        id,
        warmup: flags.warmup === undefined ? undefined : Number(flags.warmup),
        watch: (e, env, o) => new Watcher(e, env, o),
      });
      const out = (type: string, o: Record<string, unknown>, text: string): void => {
        if (flags.json) jsonLine({ type, worker: worker.id, ts: Date.now(), ...o });
        else process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
      };
      worker.on('log', (line) => out('log', { message: line }, line));
      worker.on('acquired', (host, l) => out('acquired', { host, token: l.token }, `${host}: watching (token ${l.token})`));
      worker.on('lost', (host, why) => out('lost', { host, why }, `${host}: LOST: ${why}`));
      worker.on('released', (host) => out('released', { host }, `${host}: released`));
      worker.on('decision', (d) => out('decision', { decision: d }, `${d.host}: decision tier ${d.tier} ${d.action} [${d.mode}]: ${d.why}`));
      worker.on('action', (r) => out('action', { report: { host: r.host, action: r.action, status: r.status, message: r.message, fence: r.fence, window: r.window } }, `${r.host}: ${r.action} ${r.status}: ${r.message}`));
      out('started', { env: envName, leaseMs, store: engine.store.file }, `worker ${worker.id} serving ${envName} on ${engine.store.file} (lease ${leaseMs} ms)`);
      worker.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        if (forMs !== undefined) setTimeout(resolve, forMs).unref();
      });
      await worker.stop();
      out('stopped', {}, `worker ${worker.id} stopped`);
      return EXIT_OK;
    }, { actor: id });
  });

  workspaceOptions(
    program.command('status <env>').description('which worker of the shared fleet holds which host, with its token and lease; pending approvals'),
  ).action(async (envName: string, flags: WorkspaceFlags) => {
    process.exitCode = await withEngine(flags, envName, 'status', async (engine) => {
      const fleet = engine.store.fleet();
      const leases = new Map(fleet.leases(envName).map((l) => [l.host, l]));
      const workers = new Map(fleet.workers(envName).map((w) => [w.id, w]));
      const pending = fleet.pendingApprovals(envName);
      const hosts = engine.environment(envName).hosts.map((h) => h.spec);
      const rows = hosts.map((host) => {
        const l = leases.get(host);
        const w = l && workers.get(l.worker);
        const live = l !== undefined && l.expiresAt > l.now;
        return { host, worker: live ? l.worker : null, token: l?.token ?? null, leaseExpiresInMs: l ? l.expiresAt - l.now : null, heartbeatAgeMs: w?.ageMs ?? null, lastSeq: engine.store.lastSeq(envName, host) };
      });
      if (flags.json) {
        jsonLine({ type: 'status', env: envName, store: engine.store.file, health: engine.store.health(), hosts: rows, workers: [...workers.values()], pendingApprovals: pending });
      } else {
        process.stdout.write(`store ${engine.store.file} (${engine.store.engine})\n\n`);
        process.stdout.write(
          `${renderTable(
            ['HOST', 'WORKER', 'TOKEN', 'LEASE', 'HEARTBEAT', 'LAST SEQ'],
            rows.map((r) => [r.host, r.worker ?? 'NOBODY', r.token === null ? '-' : String(r.token), r.leaseExpiresInMs === null ? '-' : r.leaseExpiresInMs > 0 ? `ends ${ago(-r.leaseExpiresInMs)}` : `ran out ${ago(-r.leaseExpiresInMs)}`, r.heartbeatAgeMs === null ? '-' : ago(r.heartbeatAgeMs), String(r.lastSeq)]),
          )}\n`,
        );
        if (pending.length) process.stdout.write(`\n${pending.length} approval(s) waiting: plumbline approvals ${envName}\n`);
      }
      return rows.every((r) => r.worker) ? EXIT_OK : EXIT_ERROR;
    });
  });

  workspaceOptions(program.command('approvals <env>').description("confirm-mode requests from the fleet's workers that wait for a person")).action(async (envName: string, flags: WorkspaceFlags) => {
    process.exitCode = await withEngine(flags, envName, 'approvals', async (engine) => {
      const pending = engine.store.fleet().pendingApprovals(envName);
      if (flags.json) jsonLine({ type: 'approvals', env: envName, pending });
      else if (pending.length === 0) process.stdout.write('nothing waits for approval\n');
      else {
        for (const a of pending) {
          const r = a.request as { tier?: number; action?: string; why?: string; plan?: { steps?: Array<{ command: string }> } };
          process.stdout.write(`#${a.id} ${a.host} (worker ${a.worker}, ${a.requestedAt}): tier ${r.tier} ${r.action}: ${r.why}\n`);
          for (const s of r.plan?.steps ?? []) process.stdout.write(`    $ ${s.command}\n`);
        }
        process.stdout.write(`\nplumbline approve ${envName} ID   (or --deny)\n`);
      }
      return EXIT_OK;
    });
  });

  workspaceOptions(
    program.command('approve <env> <id>').description('approve (or --deny) a worker\'s confirm-mode request; the worker holding the host acts').option('--deny', 'say no'),
  ).action(async (envName: string, id: string, flags: WorkspaceFlags & { deny?: boolean }) => {
    process.exitCode = await withEngine(flags, envName, 'approve', async (engine) => {
      const fleet = engine.store.fleet();
      const a = fleet.approval(Number(id));
      if (!a || a.env !== envName) throw new CliExit(EXIT_ERROR, `no approval #${id} in ${envName}`);
      if (!fleet.answerApproval(a.id, flags.deny ? 'denied' : 'approved', engine.actor())) throw new CliExit(EXIT_ERROR, `approval #${id} was already ${fleet.approval(a.id)?.state}`);
      process.stdout.write(`#${a.id} ${flags.deny ? 'denied' : 'approved'}; worker ${a.worker} acts on ${a.host} if it still holds it\n`);
      return EXIT_OK;
    });
  });
}
