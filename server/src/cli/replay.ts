import type { Command } from 'commander';
import type { RiskModel } from '../risk/model/riskModel';
import { parseDuration } from '../config/duration';
import { explanationLines } from '../policy/explain';
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

function lines(e: ReplayEvent): string[] {
  switch (e.type) {
    case 'log':
      return [`${clock(e.ts)} ${e.message}`];
    case 'release':
      return [`${clock(e.ts)} ${e.host}: NEW RELEASE ${e.from ?? 'none'} → ${e.to ?? 'none'}`];
    case 'riskChanged':
      return [`${clock(e.ts)} ${e.host}: ${e.previous ?? 'start'} → ${e.risk.state} (${e.risk.value.toFixed(2)})${e.risk.reasons[0] ? `: ${e.risk.reasons[0].detail}` : ''}`];
    case 'decision':
      // The explanation `watch` prints, stamped with the time it would have been given.
      return explanationLines(e.decision).map((l, i) => (i === 0 ? `${clock(e.decision.ts)} ${l}` : `                    ${l}`));
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
      const { replay } = await import('../replay/replay');
      const { loadRiskModel } = await import('../risk/model/load');
      const env = engine.environment(envName);
      const hosts = flags.host ?? env.hosts.map((h) => h.spec);
      const unknown = hosts.filter((h) => !env.hosts.some((x) => x.spec === h));
      if (unknown.length > 0) throw new CliExit(EXIT_ERROR, `not in ${envName}: ${unknown.join(', ')} (hosts: ${env.hosts.map((h) => h.spec).join(', ')})`);
      let model: RiskModel | null | undefined;
      let using = 'the risk model as watch loads it';
      if (flags.model === 'thresholds') {
        model = null;
        using = 'the thresholds alone';
      } else if (flags.model) {
        const loaded = loadRiskModel({ file: flags.model });
        if (!loaded.model) throw new CliExit(EXIT_ERROR, `--model: ${loaded.error}`);
        model = loaded.model;
        using = `the risk model ${loaded.source}`;
      }
      const recorded = hosts.flatMap((host) => {
        const samples = engine.store.samples(env.name, host, { fromTs, toTs, limit: 1_000_000 });
        if (samples.length === 0) {
          process.stderr.write(`${host}: no raw samples in the range (raw samples are kept 24 h by default, then rolled up into minutes, which replay cannot score)\n`);
          return [];
        }
        const b = engine.store.activeBaseline(env.name, host);
        const snap = engine.store.latestSnapshot(env.name, host);
        return [{ host, samples, baseline: b, snapshotRelease: snap ? (snap.release?.target ?? null) : undefined }];
      });
      if (!flags.json) process.stdout.write(`replaying ${recorded.reduce((a, h) => a + h.samples.length, 0)} samples of ${recorded.map((h) => h.host).join(', ') || 'no host'} in shadow with ${using}\n`);
      const r = await replay({ env, hosts: recorded, warmup, model, dataDir: engine.dataDir }, (e) => {
        if (flags.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else for (const line of lines(e)) process.stdout.write(`${line}\n`);
      });
      const total = r.decisions;
      if (!flags.json) process.stdout.write(`${total} decision(s)\n`);
      return EXIT_OK;
    });
  });
}
