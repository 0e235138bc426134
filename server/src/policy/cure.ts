/**
 * What each tier's action can cure, per cause. Pure: a cause and what is configured in, one entry
 * per tier out. The policy takes the cheapest tier that cures and has not failed in this episode.
 */
import type { Cause } from './causeTypes';
import { releaseName } from './cause';
import { TIER_ACTION, TIERS } from './tiers';
import type { ActionKind, Tier, TierCure } from './types';

export { isHarm, serviceImpact } from './cause';

export interface CureContext {
  configured: Readonly<Record<ActionKind, boolean>>;
  /**
   * Evidence that a restart cures this app: a tier-1 action cured the same kind of cause on this
   * host before (causes by kind). Without it a restart is not tried first on a colour's fault.
   */
  restartCured?: ReadonlySet<Cause['kind']>;
  /** Tiers tried in this episode that did not cure: never tried again in it. */
  failed?: ReadonlySet<Tier>;
}

type CureRow = Record<Tier, [boolean, string]>;

function table(cause: Cause, ctx: CureContext): CureRow {
  const restartProven = ctx.restartCured?.has(cause.kind) ?? false;
  const restart: [boolean, string] = restartProven
    ? [true, 'a restart cured this kind of fault on this host before']
    : [false, 'no evidence that a restart cures it (a restart has not cured this kind of fault here before)'];
  switch (cause.kind) {
    case 'deploy':
      return {
        1: [false, 'nothing to cure: a healthy release is a new baseline to promote'],
        2: [false, 'nothing to cure: both colours run the new release and users see no harm'],
        3: [false, `never: rolling back a release whose users see no harm undoes healthy work`],
      };
    case 'release-regression': {
      const from = releaseName(cause.release.from);
      return {
        1: [false, `a restart starts ${releaseName(cause.release.to)} again`],
        2: [false, 'the idle colour runs the same release'],
        3: [cause.release.from !== null, cause.release.from !== null ? `returns the host to ${from}, the release before the harm` : 'no release before it is known'],
      };
    }
    case 'colour-fault': {
      const other = cause.other;
      const switchCures = other?.healthy !== false;
      return {
        1: restart,
        2: [switchCures, switchCures ? `moves traffic to ${other?.colour ?? 'the other colour'}${other?.healthy ? ', which answers healthy' : ' (health-checked before traffic moves)'}` : `${other?.colour ?? 'the other colour'} is not healthy either`],
        3: [false, 'the release did not change; a rollback returns to the same release'],
      };
    }
    case 'app-resource':
      return {
        1: restart,
        2: [true, 'the idle colour runs the same release with a fresh process'],
        3: [false, 'the release did not change; a rollback returns to the same release'],
      };
    case 'load':
      return {
        1: [false, `the app uses more ${cause.resource} because it serves more (${cause.traffic}); a restarted app meets the same traffic`],
        2: [false, 'the other colour would take the same traffic'],
        3: [false, 'the release did not change; the traffic did'],
      };
    case 'neighbour':
      return {
        1: [false, `the app is not what uses the ${cause.resource}; restarting it frees nothing`],
        2: [false, 'both colours share the host with the neighbour'],
        3: [false, 'the neighbour is not part of the release'],
      };
    case 'disk-fill':
      return {
        1: [
          cause.cleanup && cause.canFree !== false,
          !cause.cleanup ? 'no clean-up commands are configured (actions.remediate.commands)' : cause.canFree === false ? 'the configured clean-up ran and did not free the disk' : 'the configured clean-up commands free space',
        ],
        2: [false, 'a switch frees no disk'],
        3: [false, 'a rollback frees no disk'],
      };
    case 'config-drift':
      return {
        1: [false, 'a restart leaves the changed file as it is'],
        2: [false, 'both colours read the same file'],
        3: [true, `restores ${cause.files.join(', ')} from the pre-deployment snapshot`],
      };
    case 'os-drift':
      return {
        1: [false, 'OS drift is not the app\'s to fix'],
        2: [false, 'OS drift is not the app\'s to fix'],
        3: [false, 'a rollback restores the app, not the OS'],
      };
    case 'unknown':
      return {
        1: [false, 'the cause is unknown'],
        2: [false, 'the cause is unknown'],
        3: [false, 'the cause is unknown'],
      };
  }
}

/** One entry per tier: whether its action cures the cause, whether it is configured, and why. */
export function curesFor(cause: Cause, ctx: CureContext): TierCure[] {
  const t = table(cause, ctx);
  return TIERS.map((tier) => {
    const action = TIER_ACTION[tier];
    const failed = ctx.failed?.has(tier) ?? false;
    return { tier, action, cures: t[tier][0], configured: ctx.configured[action], ...(failed ? { failed } : {}), why: t[tier][1] };
  });
}

/** The cheapest tier that cures, is configured and has not failed in this episode; null when none. */
export function curingTier(cures: readonly TierCure[], above: Tier | 0 = 0): TierCure | null {
  return cures.find((c) => c.tier > above && c.cures && c.configured && !c.failed) ?? null;
}

/** "switch cures: moves traffic to green; rollback does not: …" for explanations. */
export function curesText(cures: readonly TierCure[]): string {
  return cures
    .map((c) => `tier ${c.tier} ${c.action} ${c.cures ? 'cures' : 'does not cure'}${c.cures && !c.configured ? ' but is not configured' : ''}${c.failed ? ' but did not cure it when tried' : ''}: ${c.why}`)
    .join('; ');
}
