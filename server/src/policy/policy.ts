import type { HostRisk, RiskState } from '../risk/types';
import { serviceImpact, type Cure } from './cure';
import { TIER_ACTION, configuredTier, nextTier, tierForState } from './tiers';
import type { BlockedBy, Decision, PolicyConfig, Tier } from './types';

/** The last action in a host's current escalation chain. */
interface LastAction {
  tier: Tier;
  ts: number;
  outcome: 'verified' | 'failed';
}

/**
 * Decides, per host and interval, which tier to act on, from the most severe down, with the rails
 * around it: persistence, cooldowns, escalation, a limit on hosts acting at once, and the mode.
 * Pure bookkeeping: it runs nothing, and time is passed in.
 *
 * The caller's loop: `decide` each interval; a decision with `execute` reserves the host's slot;
 * run it, then `recordAction` with the verification outcome and `actionFinished`. In confirm mode,
 * call `actionStarted` once a person approves.
 */
export class Policy {
  private readonly last = new Map<string, LastAction>();
  private readonly lastByTier = new Map<string, Partial<Record<Tier, number>>>();
  private readonly acting = new Set<string>();

  constructor(readonly cfg: PolicyConfig) {}

  /**
   * `cure`, when the caller knows the cause (see `cureFor`), picks the tier that fixes it: lower
   * than the risk level calls for when that tier suffices, higher only for a firm cause; and once
   * the cure ran and verified, only what users see (service signals) or a higher cure escalates.
   */
  decide(risk: HostRisk, now: number, cure: Cure | null = null): Decision {
    const cfg = this.cfg;
    const host = risk.host;
    const mode = cfg.mode === 'off' ? 'off' : cfg.shadow ? 'shadow' : cfg.mode;
    const base = { host, ts: now, mode, execute: false, needsApproval: false, reasons: risk.reasons } as const;
    const none = (why: string, blockedBy?: BlockedBy): Decision => ({ ...base, tier: null, action: null, why, ...(blockedBy ? { blockedBy } : {}) });
    const blocked = (tier: Tier, why: string, blockedBy: BlockedBy): Decision => ({ ...base, tier, action: TIER_ACTION[tier], why, blockedBy });

    if (cfg.mode === 'off') return none(`Actions are off for this environment; ${this.describe(risk)}.`, 'mode-off');
    if (this.acting.has(host)) return none(`An action is already in progress on ${host}; ${this.describe(risk)}.`, 'in-progress');

    let state: RiskState = risk.state;
    if (state === 'nodata') {
      const silent = `No data from ${host} for ${plural(risk.held, 'interval')}`;
      if (cfg.noData === 'ignore') return none(`${silent}; the no-data policy is "ignore".`);
      if (cfg.noData === 'alert') return none(`${silent}; no action without data (no-data policy "alert").`, 'nodata');
      state = 'severe';
    }
    const stateTier = tierForState(state);
    const prev = this.last.get(host);
    if (stateTier === null) {
      // Risk is below minor: whatever was done worked, and the escalation chain ends.
      this.last.delete(host);
      return none(`${capital(this.describe(risk))}; nothing to do.`);
    }

    let wanted: Tier;
    let because: string;
    if (prev) {
      const ago = now - prev.ts;
      const did = `the tier-${prev.tier} ${TIER_ACTION[prev.tier]} ${secs(ago)} ago`;
      if (prev.outcome === 'failed') {
        const up = nextTier(prev.tier);
        if (up === null) return blocked(3, `${capital(did)} failed verification and there is no higher tier; a person must act.`, 'exhausted');
        wanted = Math.max(up, stateTier) as Tier;
        because = `${capital(did)} failed verification, so this escalates; ${this.describe(risk)}`;
      } else if (ago >= cfg.escalateAfterMs) {
        if (risk.held < 1) {
          // Only hysteresis holds the state up: the value is already on its way down.
          return none(`${capital(this.describe(risk))} but its value is falling after ${did}; no escalation while it comes down.`);
        }
        if (!this.mayEscalate(prev, risk, cure)) {
          return blocked(
            nextTier(prev.tier) ?? 3,
            `${capital(did)} is the cure for this (${cure!.why}) and verified; users are served normally, so a higher tier would not fix what remains (${this.describe(risk)}); a person should look.`,
            'cured',
          );
        }
        wanted = Math.max(nextTier(prev.tier) ?? 3, stateTier) as Tier;
        const still = `${did} did not bring risk below minor (${num(cfg.thresholds.minor)}) within ${secs(cfg.escalateAfterMs)}`;
        because = prev.tier === 3 ? `${capital(still)} and there is no higher tier` : `${capital(still)}, so this escalates`;
        because += `; ${this.describe(risk)}`;
      } else if (stateTier > prev.tier && risk.held >= cfg.persistence[stateTier] && this.mayEscalate(prev, risk, cure)) {
        wanted = stateTier;
        because = `Risk rose after ${did}: ${this.describe(risk)}`;
      } else {
        const left = cfg.escalateAfterMs - ago;
        return none(
          `Giving ${did} time to work: if risk is still at or above minor in ${secs(left)}, tier ${nextTier(prev.tier) ?? 3} follows; ${this.describe(risk)}.`,
          'cooldown',
        );
      }
    } else {
      const need = cfg.persistence[stateTier];
      if (risk.held < need) {
        return none(`${capital(this.describe(risk))}; tier ${stateTier} needs ${plural(need, 'interval')}, so it waits.`);
      }
      wanted = stateTier;
      because = capital(this.describe(risk));
    }
    // The cure, when known, takes the place of the level's tier: lower when it suffices, higher
    // only for a firm cause; after an action, only above the tier that was tried.
    if (
      cure &&
      cure.tier !== wanted &&
      cure.tier > (prev?.tier ?? 0) &&
      (cure.tier < wanted || cure.raise) &&
      !(stateTier === 3 && cure.tier === 1 && !cure.exact)
    ) {
      wanted = cure.tier;
      because += `; ${cure.why}, so tier ${cure.tier} (${TIER_ACTION[cure.tier]})`;
    } else if (cure && cure.tier === wanted) {
      because += `; ${cure.why}`;
    }

    const tier = configuredTier(wanted, cfg.configured);
    if (tier === null) {
      const missing = TIER_ACTION[wanted];
      const above = wanted < 3 ? ' and no higher tier is either' : '';
      return blocked(wanted, `${because}; tier ${wanted} (${missing}) is not configured${above}.`, 'not-configured');
    }
    if (tier !== wanted) because += `; tier ${wanted} (${TIER_ACTION[wanted]}) is not configured, so tier ${tier}`;
    const action = TIER_ACTION[tier];

    const lastAt = this.lastByTier.get(host)?.[tier];
    if (lastAt !== undefined && now - lastAt < cfg.cooldownMs[tier]) {
      const left = cfg.cooldownMs[tier] - (now - lastAt);
      return blocked(tier, `${because}; tier ${tier} (${action}) is cooling down on ${host} for another ${secs(left)}.`, 'cooldown');
    }
    const runs = mode === 'auto' || mode === 'confirm';
    if (runs && this.acting.size >= cfg.maxConcurrent) {
      const who = this.inFlight().join(', ');
      return blocked(tier, `${because}; ${plural(this.acting.size, 'host')} already acting (${who}), the limit is ${cfg.maxConcurrent}.`, 'concurrency');
    }

    const decision: Decision = { ...base, tier, action, why: '' };
    switch (mode) {
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
        // Recorded as if it ran and verified, so cooldowns and escalation play out as they would.
        this.recordAction(host, tier, now, 'verified');
        decision.why = `${because}: shadow mode, tier ${tier} (${action}) would run now; nothing is done.`;
        break;
    }
    return decision;
  }

  /** An action ran (or was approved and ran) on `host`; its verification outcome drives escalation. */
  recordAction(host: string, tier: Tier, ts: number, outcome: 'verified' | 'failed'): void {
    this.last.set(host, { tier, ts, outcome });
    this.lastByTier.set(host, { ...this.lastByTier.get(host), [tier]: ts });
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

  /**
   * After a verified action that was the cure, escalation needs users to be affected or a cure
   * above it: what is left is on the side the action took out of service (the idle colour).
   * Without a known cure, escalation follows the risk level as before.
   */
  private mayEscalate(prev: LastAction, risk: HostRisk, cure: Cure | null): boolean {
    if (!cure || prev.outcome !== 'verified') return true;
    return cure.tier > prev.tier || serviceImpact(risk.reasons, this.cfg.thresholds.minor);
  }

  /** "risk 0.72 is moderate (≥ 0.60) for 3 intervals". */
  private describe(risk: HostRisk): string {
    const t = this.cfg.thresholds;
    const v = num(risk.value);
    const held = plural(risk.held, 'interval');
    switch (risk.state) {
      case 'ok':
        return `risk ${v} is below minor (${num(t.minor)})`;
      case 'nodata':
        return `no data for ${held}, treated as severe (no-data policy)`;
      default:
        return `risk ${v} is ${risk.state} (≥ ${num(t[risk.state])}) for ${held}`;
    }
  }
}

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
