import type { Command } from 'commander';
import { parseDuration } from '../config/duration';
import type { ReplayEvent } from '../replay/replay';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';

interface ReplayFlags extends WorkspaceFlags {
  host?: string[];
  from?: string;
  to?: string;
  model?: string;
  warmup?: string;
}

/** An ISO time, epoch ms, or a duration back from now ("2h": two hours ago). */
export function parseWhen(text: string, now: number): number | undefined {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  if (/^\d{10,}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

const clock = (ts: number): string => new Date(ts).toISOString().replace('T', ' ').slice(0, 19);

function describe(e: ReplayEvent): string {
  switch (e.type) {
    case 'watching':
      return `${clock(e.ts)} ${e.host}: detectors trained; watching`;
    case 'release':
      return `${clock(e.ts)} ${e.host}: NEW RELEASE ${e.from ?? 'none'} → ${e.to ?? 'none'}`;
    case 'riskChanged':
      return `${clock(e.ts)} ${e.host}: ${e.previous ?? 'start'} → ${e.risk.state} (${e.risk.value.toFixed(2)})${e.risk.reasons[0] ? `: ${e.risk.reasons[0].detail}` : ''}`;
    case 'decision': {
      const d = e.decision;
      const blocked = d.blockedBy ? `, blocked by ${d.blockedBy}` : '';
      return `${clock(d.ts)} ${d.host}: decision tier ${d.tier} ${d.action} [decided by ${e.judgement.decidedBy}${blocked}]: ${d.why}`;
    }
  }
}

/**
 * `replay`: a recorded watch (the samples the store keeps) through the detectors, risk, the risk
 * model and the policy in shadow, printing what would have been decided, when and why. With
 * `--config` another plumbline.yaml (policy, thresholds, limits), with `--model` another model.
 */
export function registerReplayCommand(program: Command): void {
  workspaceOptions(
    program
      .command('replay <env>')
      .description('replay the stored samples of ENV through detectors, risk model and policy in shadow: what would have been decided, when and why')
      .option('--host <host...>', 'only these hosts (default: every host of ENV)')
      .option('--from <time>', 'start: ISO time, epoch ms, or a duration back from now (e.g. 2h); default: the oldest raw sample')
      .option('--to <time>', 'end (exclusive), same forms; default: now')
      .option('--model <file|thresholds>', 'a risk model file to try, or "thresholds" for the hand-set thresholds alone')
      .option('--warmup <samples>', 'samples at the start that train the detectors (default: as watch)'),
  ).action(async (envName: string, flags: ReplayFlags) => {
    const now = Date.now();
    const fromTs = flags.from === undefined ? 0 : parseWhen(flags.from, now);
    const toTs = flags.to === undefined ? now + 1 : parseWhen(flags.to, now);
    if (fromTs === undefined) throw new CliExit(EXIT_ERROR, `--from: expected an ISO time, epoch ms or a duration like 2h, got "${flags.from}"`);
    if (toTs === undefined) throw new CliExit(EXIT_ERROR, `--to: expected an ISO time, epoch ms or a duration like 2h, got "${flags.to}"`);
    const warmup = flags.warmup === undefined ? undefined : Number(flags.warmup);
    if (warmup !== undefined && !(Number.isInteger(warmup) && warmup >= 1)) throw new CliExit(EXIT_ERROR, `--warmup: expected a whole number of samples, got "${flags.warmup}"`);
    process.exitCode = await withEngine(flags, envName, 'replaying', async (engine) => {
      // Loaded on use: the detectors bring tfjs.
      const { replayHost } = await import('../replay/replay');
      const { loadRiskModel } = await import('../risk/model/load');
      const env = engine.environment(envName);
      const hosts = flags.host ?? env.hosts.map((h) => h.spec);
      const unknown = hosts.filter((h) => !env.hosts.some((x) => x.spec === h));
      if (unknown.length > 0) throw new CliExit(EXIT_ERROR, `not in ${envName}: ${unknown.join(', ')} (hosts: ${env.hosts.map((h) => h.spec).join(', ')})`);
      const loaded = flags.model === 'thresholds' ? { model: null, source: 'thresholds', error: undefined } : loadRiskModel({ file: flags.model, dataDir: engine.dataDir });
      if (flags.model && flags.model !== 'thresholds' && loaded.error) throw new CliExit(EXIT_ERROR, `--model: ${loaded.error}`);
      const why = flags.model === 'thresholds' ? 'replaying with --model thresholds' : (loaded.error ?? 'no risk model is loaded');
      const print = (e: ReplayEvent): void => {
        if (flags.json) process.stdout.write(`${JSON.stringify(e.type === 'decision' ? { type: 'decision', decision: e.decision, model: e.judgement } : e)}\n`);
        else process.stdout.write(`${describe(e)}\n`);
      };
      if (!flags.json) process.stdout.write(`replaying ${envName} in shadow with ${loaded.model ? `the risk model (${loaded.source})` : 'the thresholds'}\n`);
      let total = 0;
      for (const host of hosts) {
        const samples = engine.store.samples(env.name, host, { fromTs, toTs, limit: 1_000_000 });
        if (samples.length === 0) {
          process.stderr.write(`${host}: no raw samples in the range (raw samples are kept 24 h by default, then rolled up into minutes, which replay cannot score)\n`);
          continue;
        }
        const b = engine.store.activeBaseline(env.name, host);
        const r = await replayHost(
          {
            env,
            host,
            samples,
            baseline: b && { version: b.version, fingerprint: b.fingerprint },
            snapshotRelease: engine.store.latestSnapshot(env.name, host)?.release?.target ?? null,
            warmup,
            model: { model: loaded.model, why },
          },
          print,
        );
        total += r.decisions;
        if (!flags.json) process.stdout.write(`${host}: ${r.samples} samples, ${r.decisions} decision(s)\n`);
      }
      if (!flags.json && hosts.length > 1) process.stdout.write(`${total} decision(s) in all\n`);
      return EXIT_OK;
    });
  });
}
