/**
 * An episode through the detectors and the risk tracker exactly as `watch` runs them (HostWatch,
 * trained on the episode's warm-up), kept per interval so that many policies and risk models can
 * then be played over the same intervals cheaply.
 */
import * as path from 'node:path';
import { switchOwnedFile } from '../../../server/src/act/rollback';
import { parseConfig } from '../../../server/src/config/load';
import type { EnvironmentConfig } from '../../../server/src/config/types';
import type { Finding } from '../../../server/src/detect/layer/types';
import { Policy, policyFromConfig } from '../../../server/src/policy';
import { riskOptionsFromConfig, type HostRisk } from '../../../server/src/risk';
import type { DecidedBy } from '../../../server/src/risk/model/judge';
import type { RiskModel } from '../../../server/src/risk/model/riskModel';
import { HostDecider } from '../../../server/src/watch/hostDecider';
import { HostWatch } from '../../../server/src/watch/hostWatch';
import { layerOptions } from '../../../server/src/watch/watcher';
import type { Episode, LabelTier } from '../episodes/episode';
import { FAMILIES } from '../episodes/families';

export interface Interval {
  ts: number;
  /** The thresholds' risk this interval. */
  risk: HostRisk;
  findings: Finding[];
  release: { now: string | null; baseline: string | null; snapshot: string | null };
}

export interface EpisodeRun {
  id: string;
  /** The recorded episode this one is (or varies). */
  source: string;
  family: string;
  kind: 'harmful' | 'benign';
  tier: LabelTier;
  cause: string;
  onsetTs: number;
  /** From here the right outcome holds (the onset, or the harm of a fault that waits). */
  harmFrom: number;
  failureTs: number | null;
  baselineAt: number;
  intervals: Interval[];
}

export function episodeEnv(e: Episode): EnvironmentConfig {
  const parsed = parseConfig(e.workspaceYaml, path.join('/episodes', e.id.replace(/[^A-Za-z0-9._-]+/g, '_'), 'plumbline.yaml'));
  const env = parsed.config?.environments.find((x) => x.name === 'lab');
  if (!env) throw new Error(`${e.id}: its workspace has no lab environment (${parsed.errors.map((x) => x.message).join('; ')})`);
  return env;
}

export async function runEpisode(e: Episode): Promise<EpisodeRun> {
  const env = episodeEnv(e);
  const watch = new HostWatch({
    host: e.host,
    baseline: { version: 1, fingerprint: e.baseline },
    risk: riskOptionsFromConfig(env),
    warmup: e.warmup,
    perLayer: layerOptions(env),
    detector: { facts: { memTotalKiB: e.baseline.hardware.memory.totalKiB } },
  });
  const intervals: Interval[] = [];
  const baselineRelease = e.baseline.app.release?.target ?? null;
  try {
    for (const s of e.samples) {
      const out = watch.onSample(s, s.ts);
      await watch.settled();
      if (!out || out.phase.kind !== 'watching') continue;
      intervals.push({ ts: s.ts, risk: out.risk, findings: out.findings, release: { now: s.config.release, baseline: baselineRelease, snapshot: e.snapshotRelease } });
    }
  } finally {
    watch.dispose();
  }
  const fam = FAMILIES.find((f) => f.name === e.family);
  const harmFrom = fam?.failure === 'immediate' && e.failureTs !== null ? e.failureTs : e.onsetTs;
  return {
    id: e.id,
    source: e.id.split('~')[0],
    family: e.family,
    kind: e.kind,
    tier: e.label.tier,
    cause: e.label.cause,
    onsetTs: e.onsetTs,
    harmFrom,
    failureTs: e.failureTs,
    baselineAt: Date.parse(e.baseline.capturedAt),
    intervals,
  };
}

/** The class of each interval for training: the episode's tier once its harm is on, else none. */
export function intervalLabel(run: EpisodeRun, iv: Interval): LabelTier {
  return run.kind === 'harmful' && iv.ts >= run.harmFrom ? run.tier : 0;
}

export interface Outcome {
  /** The first action the policy would take (0: none). */
  tier: LabelTier;
  ts: number | null;
  decidedBy: DecidedBy | null;
  why: string;
  /** The action came before the event began (a false action even in a harmful episode). */
  early: boolean;
}

/**
 * Plays the policy over an episode's intervals in shadow (auto mode, nothing run), with the risk
 * model when one is given, and returns the first action it would take. The cause still bounds the
 * tier (the cure), as in `watch`.
 */
export function simulate(run: EpisodeRun, env: EnvironmentConfig, model: RiskModel | null): Outcome {
  const policy = new Policy(policyFromConfig({ ...env, actions: { ...env.actions, mode: 'auto', shadow: true } }));
  const decider = new HostDecider(
    policy,
    { configured: policy.cfg.configured, cleanup: (env.actions.remediate?.commands?.length ?? 0) > 0, switchFile: switchOwnedFile(env) },
    { model },
    run.baselineAt,
  );
  for (const iv of run.intervals) {
    const { decision: d } = decider.next(iv.risk, iv.findings, iv.release);
    if (d.tier !== null && !d.blockedBy) return { tier: d.tier, ts: iv.ts, decidedBy: d.decidedBy ?? null, why: d.why, early: iv.ts < run.onsetTs };
  }
  return { tier: 0, ts: null, decidedBy: null, why: 'no action', early: false };
}
