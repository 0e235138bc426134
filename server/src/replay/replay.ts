import { switchOwnedFile } from '../act/rollback';
import type { EnvironmentConfig } from '../config/types';
import type { Fingerprint } from '../fingerprint/types';
import type { Sample } from '../monitor/sample';
import { Policy, policyFromConfig, type Decision } from '../policy';
import { riskOptionsFromConfig, type HostRisk, type RiskState } from '../risk';
import type { Judgement } from '../risk/model/judge';
import type { RiskModel } from '../risk/model/riskModel';
import { HostDecider } from '../watch/hostDecider';
import { HostWatch } from '../watch/hostWatch';
import { defaultWarmup, layerOptions } from '../watch/watcher';

/** What replay reports, in time order; the same shapes `watch --json` prints. */
export type ReplayEvent =
  | { type: 'watching'; host: string; ts: number }
  | { type: 'release'; host: string; ts: number; from: string | null; to: string | null }
  | { type: 'riskChanged'; host: string; ts: number; previous: RiskState | null; risk: HostRisk }
  | { type: 'decision'; decision: Decision; judgement: Pick<Judgement, 'decidedBy' | 'probabilities' | 'note'> };

export interface ReplayHostOptions {
  env: EnvironmentConfig;
  host: string;
  /** The recorded samples, oldest first. */
  samples: readonly Sample[];
  /** The baseline the watch compared against; without one config drift is not scored (as in watch). */
  baseline?: { version: number; fingerprint: Fingerprint };
  /** The release in the host's latest pre-deployment snapshot (what a rollback restores). */
  snapshotRelease: string | null;
  /** Samples that train the detectors; the watch's default when absent. */
  warmup?: number;
  /** The risk model to decide with; null: the thresholds (`why` says why). */
  model: { model: RiskModel | null; why?: string };
}

/**
 * Replays one host's recorded samples through the detectors, risk, the risk model and the policy
 * exactly as `watch` runs them (HostWatch, HostDecider), in shadow: nothing runs on any host, a
 * decision that would act is recorded as if it ran and verified (cooldowns and escalation play
 * out as they would), and each decision carries the explanation `watch` gives. Time is the
 * samples' own. Silences longer than an interval and a half count towards no data, as live.
 */
export async function replayHost(o: ReplayHostOptions, emit: (e: ReplayEvent) => void): Promise<{ samples: number; decisions: number }> {
  const env = o.env;
  const policy = new Policy(policyFromConfig({ ...env, actions: { ...env.actions, mode: env.actions.mode === 'off' ? 'auto' : env.actions.mode, shadow: true } }));
  const watch = new HostWatch({
    host: o.host,
    baseline: o.baseline,
    risk: riskOptionsFromConfig(env),
    warmup: o.warmup ?? defaultWarmup(env.intervalMs),
    perLayer: layerOptions(env),
    detector: o.baseline ? { facts: { memTotalKiB: o.baseline.fingerprint.hardware.memory.totalKiB } } : undefined,
  });
  const decider = new HostDecider(
    policy,
    { configured: policy.cfg.configured, cleanup: (env.actions.remediate?.commands?.length ?? 0) > 0, switchFile: switchOwnedFile(env) },
    o.model,
    o.baseline ? Date.parse(o.baseline.fingerprint.capturedAt) : null,
  );
  const baselineRelease = o.baseline?.fingerprint.app.release?.target ?? null;
  let release: string | null | undefined;
  let lastKey: string | undefined;
  let decisions = 0;
  let watching = false;
  let lastTs: number | null = null;

  const after = (risk: HostRisk, before: RiskState | null, findings: Parameters<HostDecider['next']>[1]): void => {
    if (risk.state !== before) emit({ type: 'riskChanged', host: o.host, ts: risk.ts, previous: before, risk });
    const { decision, judgement } = decider.next(risk, findings, release === undefined ? null : { now: release, baseline: baselineRelease, snapshot: o.snapshotRelease });
    if (decision.tier === null) {
      lastKey = undefined;
      return;
    }
    const key = `${decision.tier}|${decision.blockedBy ?? ''}|${decision.execute}|${decision.needsApproval}`;
    if (key === lastKey) return;
    lastKey = key;
    decisions++;
    emit({ type: 'decision', decision, judgement: { decidedBy: judgement.decidedBy, probabilities: judgement.probabilities, note: judgement.note } });
  };

  try {
    for (const s of o.samples) {
      // The watcher's silence timer ticks every interval; a gap of 1.5 intervals or more is silence.
      for (let t = (lastTs ?? s.ts) + 1.5 * env.intervalMs; lastTs !== null && t < s.ts; t += env.intervalMs) {
        const before = watch.current()?.state ?? null;
        const risk = watch.onSilence(t);
        if (risk) after(risk, before, []);
      }
      lastTs = s.ts;
      if (release !== undefined && release !== s.config.release) emit({ type: 'release', host: o.host, ts: s.ts, from: release, to: s.config.release });
      release = s.config.release;
      const before = watch.current()?.state ?? null;
      const out = watch.onSample(s, s.ts);
      await watch.settled();
      if (!out) continue;
      if (!watching && watch.phase.kind === 'watching') {
        watching = true;
        emit({ type: 'watching', host: o.host, ts: s.ts });
      }
      after(out.risk, before, out.findings);
    }
  } finally {
    watch.dispose();
  }
  return { samples: o.samples.length, decisions };
}
