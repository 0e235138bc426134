import type { HostRisk, RiskState } from '../risk/types';
import { attributeCause } from './cause';
import type { Cause } from './causeTypes';
import { curesFor, curesText, curingTier } from './cure';
import { TIER_ACTION, configuredTier, tierForState } from './tiers';
import type { BlockedBy, Decision, PolicyConfig, Tier, TierCure } from './types';

/** How one action of the current episode ended: its cure checked against the reason that triggered it. */
export type ActionOutcome = 'cured' | 'not-cured';

/** One action of an episode, with the cause it was taken for (undefined: not known, counts for every cause). */
interface EpisodeAction {
  tier: Tier;
  ts: number;
  outcome: ActionOutcome;
  cause?: Cause['kind'];
}

/** A host's episode: from risk reaching minor until it is back below minor. */
interface Episode {
  actions: EpisodeAction[];
}

/** The part of an episode about one cause: the tiers tried for it, how each ended, and the last one. */
interface CauseHistory {
  tried: Map<Tier, ActionOutcome>;
  last: EpisodeAction | null;
}

/**
 * What was done in the episode for `cause`: an action taken for another cause (a disk clean-up
 * that did not free the disk) neither escalates nor blocks the cure of this one (a colour's errors).
 */
function historyFor(e: Episode | undefined, cause: Cause['kind'] | undefined): CauseHistory {
  const mine = (e?.actions ?? []).filter((a) => cause === undefined || a.cause === undefined || a.cause === cause);
  return { tried: new Map(mine.map((a) => [a.tier, a.outcome])), last: mine[mine.length - 1] ?? null };
}

/** Causes no app action cures: a decision names them and proposes or reports, never acts. */
const NOT_THE_APPS: ReadonlySet<Cause['kind']> = new Set(['deploy', 'neighbour', 'load', 'os-drift', 'unknown']);

/**
 * Decides, per host and interval, what to do about the cause of its risk: the tier follows from
 * the cause and from what each tier's action can cure (`cure.ts`); the risk level only says
 * whether the evidence is strong and lasting enough to act on. Around that, the rails:
 * persistence, cooldowns, escalation to the next tier that cures when a cure check fails (never
 * the same action twice in one episode), a limit on hosts acting at once, and the mode. Pure
 * bookkeeping: it runs nothing, and time is passed in.
 *
 * The caller's loop: `decide` each interval; a decision with `execute` reserves the host's slot;
 * run it, check its cure, then `recordAction` with the outcome and `actionFinished`. In confirm
 * mode, call `actionStarted` once a person approves.
 */
export class Policy {
  private readonly episodes = new Map<string, Episode>();
  private readonly lastByTier = new Map<string, Partial<Record<Tier, number>>>();
  private readonly acting = new Set<string>();
  /**
   * Per host, what the cause attributed in the latest intervals calls for (the cheapest tier that
   * cures it; 0: none) and for how many intervals in a row: an action waits until that has held
   * as long as the risk must. Attribution from one interval's process snapshot can flicker
   * (a neighbour's CPU read once as the app's), and one odd interval is no evidence; causes that
   * alternate but call for the same cure (a colour's errors around the harm threshold) do not reset it.
   */
  private readonly cureRuns = new Map<string, { cure: number; count: number; ts: number }>();
  /** Per host, the kinds of cause a tier-1 action cured: the evidence that a restart cures them. */
  private readonly restartCured = new Map<string, Set<Cause['kind']>>();

  constructor(readonly cfg: PolicyConfig) {}

  /**
   * `cause`: attributed by the caller from everything it knows (release history, processes,
   * colours); without it, from the risk's reasons alone.
   */
  decide(risk: HostRisk, now: number, cause?: Cause | null): Decision {
    const cfg = this.cfg;
    const host = risk.host;
    const mode = cfg.mode === 'off' ? 'off' : cfg.shadow ? 'shadow' : cfg.mode;
    const episode = this.episodes.get(host);
    const base = { host, ts: now, mode, execute: false, needsApproval: false, reasons: risk.reasons, decidedBy: 'thresholds' } as const;
    const known: Cause | null =
      risk.state === 'ok' || risk.state === 'nodata'
        ? (cause ?? null)
        : (cause ?? attributeCause({ host, now, reasons: risk.reasons, settleMs: 0, blameMs: 0, cleanup: { configured: cfg.configured.remediate, freed: null } }));
    const history = historyFor(episode, known?.kind);
    const cures = known ? curesFor(known, { configured: cfg.configured, restartCured: this.restartCured.get(host), failed: failedTiers(history) }) : [];
    const cureRun = this.countCure(host, known ? (curingTier(cures)?.tier ?? 0) : null, now);
    const withCause = { ...base, cause: known, cures };
    const none = (why: string, blockedBy?: BlockedBy): Decision => ({ ...withCause, tier: null, action: null, why, ...(blockedBy ? { blockedBy } : {}) });
    const blocked = (tier: Tier, why: string, blockedBy: BlockedBy): Decision => ({ ...withCause, tier, action: TIER_ACTION[tier], why, blockedBy });
    const about = known ? `${capital(known.summary)}. ` : '';

    if (cfg.mode === 'off') return none(`${about}Actions are off for this environment; ${this.describe(risk)}.`, 'mode-off');
    if (this.acting.has(host)) return none(`${about}An action is already in progress on ${host}; ${this.describe(risk)}.`, 'in-progress');

    let state: RiskState = risk.state;
    if (state === 'nodata') {
      const silent = `No data from ${host} for ${plural(risk.held, 'interval')}`;
      if (cfg.noData === 'ignore') return none(`${silent}; the no-data policy is "ignore".`);
      if (cfg.noData === 'alert') return none(`${silent}; no action without data (no-data policy "alert").`, 'nodata');
      state = 'severe';
    }
    const stateTier = tierForState(state);
    if (stateTier === null) {
      // Risk is below minor: whatever was done worked, and the episode ends.
      this.episodes.delete(host);
      return none(`${about}${capital(this.describe(risk))}; nothing to do.`);
    }

    // The no-data policy "treat-as-severe" is the user's own rule for silence: it acts as severe
    // did before causes were known, on the highest configured tier.
    if (risk.state === 'nodata') {
      const tier = configuredTier(3, cfg.configured) ?? configuredTier(1, cfg.configured);
      if (tier === null) return blocked(3, `No data from ${host}; the no-data policy treats it as severe, and no tier is configured.`, 'not-configured');
      if (risk.held < cfg.persistence[3]) return none(`No data from ${host}; treated as severe once it has held ${plural(cfg.persistence[3], 'interval')}.`);
      return this.act(withCause, tier, `No data from ${host} for ${plural(risk.held, 'interval')}; the no-data policy treats it as severe`, now, blocked);
    }
    if (!known) return none(`${capital(this.describe(risk))}; no cause to act on.`);

    const need = cfg.persistence[stateTier];
    if (risk.held < need) {
      return none(`${about}${capital(this.describe(risk))}; acting needs ${plural(need, 'interval')}, so it waits.`);
    }

    if (NOT_THE_APPS.has(known.kind) && !curingTier(cures)) {
      const what =
        known.kind === 'deploy'
          ? known.settled
            ? 'no action: never roll back a release whose users see no harm; promote it as the new baseline'
            : 'no action while the new release starts up'
          : known.kind === 'neighbour'
            ? `no action on the app: ${curesText(cures.slice(0, 1))}; a person should look at the neighbour`
            : known.kind === 'load'
              ? 'no action on the app: traffic is not a fault while users see no harm, and no tier lowers it; whether to add capacity is a person\'s call'
              : known.kind === 'os-drift'
                ? 'reported, no action: OS drift is not the app\'s to fix'
                : 'no action: no action is known to cure an unknown cause; a person should look';
      return none(`${about}${capital(this.describe(risk))}; ${what}.`, known.kind === 'deploy' ? undefined : 'no-cure');
    }

    // Without harm to users, a resource finding acts only once the level says it is clearly going bad.
    if ((known.kind === 'app-resource' || known.kind === 'release-regression') && known.harm.length === 0 && stateTier < 2) {
      return none(`${about}${capital(this.describe(risk))}; users see no harm, so the app's own resource use waits for moderate risk (${num(cfg.thresholds.moderate)}).`);
    }

    // A cure in this episode, whatever it was for: what is left without harm to users is a person's.
    const cured = episode?.actions[episode.actions.length - 1];
    if (cured && cured.outcome === 'cured') {
      const last = cured;
      // The cure ran and held; what is left acts only when users are still harmed after the window.
      const ago = now - last.ts;
      const did = `the tier-${last.tier} ${TIER_ACTION[last.tier]} ${secs(ago)} ago`;
      if (known.harm.length === 0 || ago < cfg.escalateAfterMs) {
        return blocked(last.tier, `${about}${capital(did)} cured what triggered it; ${this.describe(risk)}, users ${known.harm.length ? 'are watched for the window' : 'see no harm'}; a person should look at what remains.`, 'cured');
      }
    }

    // Escalation counts only the actions taken for this cause: one that did not cure another cause
    // says nothing of what cures this one.
    const last = history.last;

    // After an action in this episode only a tier above it: never the same action twice.
    const pick = curingTier(cures, last?.tier ?? 0);
    if (!pick) {
      const tried = [...history.tried].map(([t, o]) => `tier ${t} ${TIER_ACTION[t]} ${o === 'cured' ? 'cured it' : 'did not cure it'}`);
      const missing = cures.filter((c) => c.cures && !c.configured);
      if (tried.length > 0) return blocked(last?.tier ?? 3, `${about}${capital(tried.join('; '))}; no other configured action cures it (${curesText(cures)}); a person must act.`, 'exhausted');
      if (missing.length > 0) {
        return blocked(missing[0].tier, `${about}Tier ${missing[0].tier} (${missing[0].action}) cures this (${missing[0].why}) but is not configured; ${this.describe(risk)}.`, 'not-configured');
      }
      return none(`${about}${capital(this.describe(risk))}; no configured action cures it (${curesText(cures)}); a person should look.`, 'no-cure');
    }
    const because = last?.outcome === 'not-cured'
      ? `${about}The tier-${last.tier} ${TIER_ACTION[last.tier]} did not cure it, so the next tier that cures follows: ${pick.why}; ${this.describe(risk)}`
      : `${about}Tier ${pick.tier} (${pick.action}) ${pick.why}; ${this.describe(risk)}`;
    if (cureRun < need) {
      return none(`${because}; the cause has called for this cure for ${plural(cureRun, 'interval')} and acting needs ${need}, so it waits.`);
    }
    return this.act(withCause, pick.tier, because, now, blocked);
  }

  /** How many intervals in a row (this one included) the host's cause has called for `cure`; 0 without a cause. */
  private countCure(host: string, cure: number | null, now: number): number {
    const prev = this.cureRuns.get(host);
    if (cure === null) {
      this.cureRuns.delete(host);
      return 0;
    }
    if (prev && prev.ts === now && prev.cure === cure) return prev.count;
    const count = prev && prev.cure === cure ? prev.count + 1 : 1;
    this.cureRuns.set(host, { cure, count, ts: now });
    return count;
  }

  /** Cooldown, concurrency and mode around the tier chosen. */
  private act(d: Omit<Decision, 'tier' | 'action' | 'why'>, tier: Tier, because: string, now: number, blocked: (t: Tier, why: string, b: BlockedBy) => Decision): Decision {
    const cfg = this.cfg;
    const host = d.host;
    const action = TIER_ACTION[tier];
    const lastAt = this.lastByTier.get(host)?.[tier];
    if (lastAt !== undefined && now - lastAt < cfg.cooldownMs[tier]) {
      const left = cfg.cooldownMs[tier] - (now - lastAt);
      return blocked(tier, `${because}; tier ${tier} (${action}) is cooling down on ${host} for another ${secs(left)}.`, 'cooldown');
    }
    const runs = d.mode === 'auto' || d.mode === 'confirm';
    if (runs && this.acting.size >= cfg.maxConcurrent) {
      const who = this.inFlight().join(', ');
      return blocked(tier, `${because}; ${plural(this.acting.size, 'host')} already acting (${who}), the limit is ${cfg.maxConcurrent}.`, 'concurrency');
    }
    const decision: Decision = { ...d, tier, action, why: '' };
    switch (d.mode) {
      case 'suggest':
        decision.why = `${because}: suggest tier ${tier} (${action}).`;
        break;
      case 'confirm':
        decision.needsApproval = true;
        decision.why = `${because}: tier ${tier} (${action}) awaits approval.`;
        break;
      case 'auto':
        decision.execute = true;
        this.acting.add(host);
        decision.why = `${because}: tier ${tier} (${action}) runs now.`;
        break;
      case 'shadow':
        // Recorded as if it ran and cured, so cooldowns and escalation play out as they would.
        this.recordAction(host, tier, now, 'cured', d.cause?.kind);
        decision.why = `${because}: shadow mode, tier ${tier} (${action}) would run now; nothing is done.`;
        break;
    }
    return decision;
  }

  /**
   * An action ran (or was approved and ran) on `host`, and its cure was checked against what
   * triggered it. A tier that did not cure is not tried again for that cause in this episode; a restart that
   * cured is the evidence that restarts cure that kind of cause on this host.
   */
  recordAction(host: string, tier: Tier, ts: number, outcome: ActionOutcome, causeKind?: Cause['kind']): void {
    const e = this.episodes.get(host) ?? { actions: [] };
    e.actions.push({ tier, ts, outcome, ...(causeKind && { cause: causeKind }) });
    this.episodes.set(host, e);
    this.lastByTier.set(host, { ...this.lastByTier.get(host), [tier]: ts });
    if (tier === 1 && outcome === 'cured' && causeKind) {
      const s = this.restartCured.get(host) ?? new Set();
      s.add(causeKind);
      this.restartCured.set(host, s);
    }
  }

  /**
   * Takes a slot for `host` for an approved action (confirm mode). False when the limit of hosts
   * acting at once is reached; true also when the host already holds its slot.
   */
  actionStarted(host: string): boolean {
    if (this.acting.has(host)) return true;
    if (this.acting.size >= this.cfg.maxConcurrent) return false;
    this.acting.add(host);
    return true;
  }

  /** Frees the host's slot, whatever the outcome. */
  actionFinished(host: string): void {
    this.acting.delete(host);
  }

  /** Hosts holding a slot, sorted. */
  inFlight(): string[] {
    return [...this.acting].sort();
  }

  /** "risk 0.72 is moderate (≥ 0.60) for 3 intervals"; below minor: "risk 0.28, below minor (0.30)". */
  private describe(risk: HostRisk): string {
    const t = this.cfg.thresholds;
    const v = num(risk.value);
    const held = plural(risk.held, 'interval');
    switch (risk.state) {
      case 'ok':
        return `risk ${v}, below minor (${num(t.minor)})`;
      case 'nodata':
        return `no data for ${held}, treated as severe (no-data policy)`;
      default:
        // Hysteresis can hold a state while the value has dipped below its threshold: say so
        // rather than "0.28 is minor (≥ 0.30)".
        return risk.value >= t[risk.state]
          ? `risk ${v} is ${risk.state} (≥ ${num(t[risk.state])}) for ${held}`
          : `risk ${v}, still ${risk.state}: it reached ${num(t[risk.state])} and has not yet fallen below the hysteresis margin`;
    }
  }
}

function failedTiers(h: CauseHistory): Set<Tier> {
  return new Set([...h.tried].filter(([, o]) => o === 'not-cured').map(([t]) => t));
}

export type { TierCure };

function num(x: number): string {
  return x.toFixed(2);
}

function secs(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
