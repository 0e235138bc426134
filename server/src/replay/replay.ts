import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ActionReport } from '../act/types';
import type { EnvironmentConfig } from '../config/types';
import type { Fingerprint } from '../fingerprint/types';
import type { MonitorEvents } from '../monitor/monitor';
import type { Sample } from '../monitor/sample';
import type { Decision } from '../policy';
import type { HostRisk, RiskState } from '../risk';
import type { RiskModel } from '../risk/model/riskModel';
import { Watcher, type IntervalInputs, type WatchEngine } from '../watch/watcher';

/** What replay reports, in time order; the same shapes `watch --json` prints. */
export type ReplayEvent =
  | { type: 'release'; host: string; ts: number; from: string | null; to: string | null }
  | { type: 'riskChanged'; host: string; ts: number; previous: RiskState | null; risk: HostRisk }
  | { type: 'decision'; decision: Decision }
  | { type: 'log'; ts: number; message: string };

export interface ReplayHost {
  host: string;
  /** The recorded samples, oldest first. */
  samples: readonly Sample[];
  /** The baseline the watch compared against; without one config drift is not scored (as in watch). */
  baseline?: { version: number; fingerprint: Fingerprint; promotedAt: string; reason: string };
  /** The release in the host's latest pre-deployment snapshot (what a rollback restores); undefined: no snapshot. */
  snapshotRelease?: string | null;
}

export interface ReplayOptions {
  env: EnvironmentConfig;
  hosts: readonly ReplayHost[];
  /** Samples that train the detectors; the watch's default when absent. */
  warmup?: number;
  /** The risk model to decide with; null: the thresholds. Undefined: as watch loads it (shipped, or updated in `dataDir`). */
  model?: RiskModel | null;
  /** Where the watch would find an updated risk model. */
  dataDir?: string;
  /** Each interval's inputs to the decision (the risk-model bench records them). */
  onInterval?: (step: IntervalInputs) => void;
}

/** Serves stored samples to the watcher as the monitor serves live ones. */
class StoredSamples extends EventEmitter<MonitorEvents> {
  private readonly seen = new Map<string, Sample[]>();
  start(): void {}
  async stop(): Promise<void> {}
  recent(host: string): Sample[] {
    return this.seen.get(host) ?? [];
  }
  push(host: string, s: Sample): void {
    const ring = this.seen.get(host) ?? [];
    ring.push(s);
    if (ring.length > 720) ring.shift();
    this.seen.set(host, ring);
    this.emit('sample', host, s);
  }
}

/**
 * Replays recorded samples through the watcher itself (detectors, risk, cause, the risk model and
 * the policy) in shadow: nothing runs on any host and nothing is written to the store or the audit
 * log; a decision that would act is recorded as if it ran (cooldowns and escalation play out as
 * they would), with the explanation `watch` gives. Time is the samples' own. Detectors train on
 * the first samples, as a watch does after a baseline.
 */
export async function replay(o: ReplayOptions, emit: (e: ReplayEvent) => void): Promise<{ samples: number; decisions: number }> {
  const byHost = new Map(o.hosts.map((h) => [h.host, h]));
  // Only the hosts replayed are watched: another host of the environment would read as silent.
  const env: EnvironmentConfig = {
    ...o.env,
    hosts: o.env.hosts.filter((h) => byHost.has(h.spec)),
    actions: { ...o.env.actions, mode: o.env.actions.mode === 'off' ? 'auto' : o.env.actions.mode, shadow: true },
  };
  const source = new StoredSamples();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-replay-'));
  let now = 0;
  const engine: WatchEngine = {
    dataDir: scratch,
    store: {
      activeBaseline: (_env, host) => byHost.get(host)?.baseline,
      latestSnapshot: (_env, host) => {
        const h = byHost.get(host);
        return h?.snapshotRelease === undefined ? undefined : { release: { target: h.snapshotRelease } };
      },
      saveRiskFeedback: () => 0,
      riskFeedback: () => [],
    },
    environment: () => env,
    monitor: () => source,
    auditLog: () => ({ record: () => undefined }),
    act: async (envName, host, kind, opts): Promise<ActionReport> => ({
      env: envName,
      host,
      action: kind,
      dryRun: true,
      status: 'done',
      message: `replay: ${kind} would run here; nothing was run`,
      reasons: opts.reasons ?? [],
      steps: [],
      timings: { lockWaitMs: 0, actionMs: 0, verifyMs: 0, totalMs: 0 },
    }),
    rebaseline: async () => ({ ok: false, error: { kind: 'Replay', message: 'replay changes no baseline' } }),
  };
  const watcher = new Watcher(engine, env.name, { warmup: o.warmup, clock: () => now, silenceTimer: false, ...(o.model !== undefined ? { model: o.model } : {}) });
  let decisions = 0;
  watcher.on('decision', (d) => {
    decisions++;
    emit({ type: 'decision', decision: d });
  });
  watcher.on('riskChanged', (risk, previous) => emit({ type: 'riskChanged', host: risk.host, ts: risk.ts, previous, risk }));
  watcher.on('release', (host, from, to) => emit({ type: 'release', host, ts: now, from, to }));
  watcher.on('log', (message) => emit({ type: 'log', ts: now, message }));
  if (o.onInterval) watcher.on('interval', o.onInterval);
  // Every host's samples in one time line, as they arrived.
  const all = o.hosts.flatMap((h) => h.samples.map((s) => ({ host: h.host, s }))).sort((a, b) => a.s.ts - b.s.ts);
  let lastTick: number | null = null;
  try {
    watcher.start();
    for (const { host, s } of all) {
      // The silence timer ticks every interval.
      for (let t: number = (lastTick ?? s.ts) + env.intervalMs; lastTick !== null && t < s.ts; t += env.intervalMs) {
        now = t;
        watcher.tick(t);
        lastTick = t;
      }
      if (lastTick === null || s.ts - lastTick >= env.intervalMs) lastTick = s.ts;
      now = s.ts;
      source.push(host, s);
      await watcher.settled();
    }
  } finally {
    await watcher.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { samples: all.length, decisions };
}
