/**
 * An episode through the detectors and the risk tracker exactly as `watch` runs them (HostWatch,
 * trained on the episode's warm-up), kept per interval so that many policies and risk models can
 * then be played over the same intervals cheaply.
 */
import * as path from 'node:path';
import { switchOwnedFile } from '../../../server/src/act/rollback';
import { parseConfig } from '../../../server/src/config/load';
import type { EnvironmentConfig } from '../../../server/src/config/types';
import { Policy, policyFromConfig } from '../../../server/src/policy';
import type { DecidedBy } from '../../../server/src/risk/model/judge';
import type { RiskModel } from '../../../server/src/risk/model/riskModel';
import { HostDecider } from '../../../server/src/watch/hostDecider';
import { replay } from '../../../server/src/replay/replay';
import type { IntervalInputs } from '../../../server/src/watch/watcher';
import type { Episode, LabelTier } from '../episodes/episode';
import { FAMILIES } from '../episodes/families';

/** One interval's inputs to the decision, as the watcher had them. */
export type Interval = IntervalInputs & { ts: number };

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

/** The episode through the watcher itself (replay: detectors, risk, cause), the thresholds deciding. */
export async function runEpisode(e: Episode): Promise<EpisodeRun> {
  const env = episodeEnv(e);
  const intervals: Interval[] = [];
  await replay(
    {
      env,
      hosts: [
        {
          host: e.host,
          samples: e.samples,
          baseline: { version: 1, fingerprint: e.baseline, promotedAt: e.baseline.capturedAt, reason: 'episode' },
          snapshotRelease: e.snapshotRelease,
        },
      ],
      warmup: e.warmup,
      model: null,
      onInterval: (step) => step.risk.host === e.host && intervals.push({ ...step, ts: step.risk.ts }),
    },
    () => undefined,
  );
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
  const decider = new HostDecider(policy, { model }, run.baselineAt, switchOwnedFile(env));
  for (const iv of run.intervals) {
    const { decision: d } = decider.next(iv.risk, iv.findings, iv.release, iv.cause);
    if (d.tier !== null && !d.blockedBy) return { tier: d.tier, ts: iv.ts, decidedBy: d.decidedBy, why: d.why, early: iv.ts < run.onsetTs };
  }
  return { tier: 0, ts: null, decidedBy: null, why: 'no action', early: false };
}
