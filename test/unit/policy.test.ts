import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentConfig } from '../../server/src/config/types';
import { defaultPersistence, policyFromConfig, type PolicyOverrides } from '../../server/src/policy/config';
import { cureFor } from '../../server/src/policy/cure';
import { Policy } from '../../server/src/policy/policy';
import { tierForState } from '../../server/src/policy/tiers';
import type { Decision, PolicyConfig } from '../../server/src/policy/types';
import { resolveRiskOptions } from '../../server/src/risk/options';
import { RiskTracker } from '../../server/src/risk/tracker';
import type { HostRisk, LayerRisk, Reason, RiskState } from '../../server/src/risk/types';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const THRESHOLDS = { minor: 0.3, moderate: 0.6, severe: 0.85 };
const VALUE: Record<RiskState, number> = { ok: 0.1, minor: 0.4, moderate: 0.7, severe: 0.9, nodata: 0 };

const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function env(actions: Partial<EnvironmentConfig['actions']> = {}): EnvironmentConfig {
  return {
    name: 'prod',
    range: zero,
    hosts: [{ spec: 'web-1', range: zero }],
    intervalMs: 5000,
    layers: { hardware: { perf: true, mounts: [], limits: {} }, os: { packages: true, sysctl: [], services: [] }, app: { files: [], limits: {} } },
    risk: THRESHOLDS,
    actions: {
      mode: 'auto',
      remediate: { restart: ['app'] },
      switch: { strategy: 'nginx-upstream', upstream: 'app', blue: 'a', green: 'b' },
      rollback: { strategy: 'release-symlink' },
      ...actions,
    },
  };
}

function policy(overrides: PolicyOverrides = {}, actions: Partial<EnvironmentConfig['actions']> = {}): Policy {
  return new Policy(policyFromConfig(env(actions), { persistence: { 1: 1, 2: 1, 3: 1 }, ...overrides }));
}

function risk(state: RiskState, held = 5, host = 'web-1'): HostRisk {
  const reason: Reason = { layer: 'app', source: 'stats', metric: 'app.rssKiB', value: 900, baseline: 500, threshold: 700, score: VALUE[state], detail: 'app.rssKiB far above its baseline' };
  const layer = (l: LayerRisk['layer']): LayerRisk => ({
    layer: l,
    value: l === 'app' ? VALUE[state] : 0,
    state: l === 'app' ? state : 'ok',
    reasons: l === 'app' && state !== 'ok' ? [reason] : [],
    since: T0,
    consecutive: held,
    cumulative: held,
    lastSampleTs: T0,
    held,
  });
  return {
    host,
    ts: T0,
    value: VALUE[state],
    state,
    layers: { hardware: layer('hardware'), os: layer('os'), app: layer('app') },
    reasons: state === 'ok' ? [] : [reason],
    held,
  };
}

/** Decides, and for an executed decision records it verified and frees the slot, as the action runner would. */
function act(p: Policy, r: HostRisk, now: number, outcome: 'verified' | 'failed' = 'verified'): Decision {
  const d = p.decide(r, now);
  if (d.execute && d.tier !== null) {
    p.recordAction(r.host, d.tier, now, outcome);
    p.actionFinished(r.host);
  }
  return d;
}

describe('policy: tier order', () => {
  it('reads states from the most severe down: severe → 3, moderate → 2, minor → 1, ok → none', () => {
    const cases: [RiskState, number | null, string | null][] = [
      ['severe', 3, 'rollback'],
      ['moderate', 2, 'switch'],
      ['minor', 1, 'remediate'],
      ['ok', null, null],
    ];
    for (const [state, tier, action] of cases) {
      const d = policy().decide(risk(state), T0);
      assert.equal(d.tier, tier, state);
      assert.equal(d.action, action, state);
    }
  });

  it('never gives a severe risk a tier-1 action, whatever is configured or has happened', () => {
    const onlyRemediate = policy({}, { switch: undefined, rollback: undefined });
    const d = onlyRemediate.decide(risk('severe'), T0);
    assert.equal(d.tier, 3);
    assert.equal(d.blockedBy, 'not-configured');
    assert.equal(d.execute, false);

    const p = policy({ escalateAfterMs: 5 * MIN });
    act(p, risk('minor'), T0);
    const later = p.decide(risk('severe'), T0 + MIN);
    assert.equal(later.tier, 3, 'a severe risk after a tier-1 action goes straight to tier 3');
    assert.equal(later.execute, true);
    assert.equal(tierForState('severe'), 3);
  });
});

describe('policy: persistence', () => {
  it('waits until the state has held for the tier', () => {
    const p = policy({ persistence: { 1: 2, 2: 2, 3: 1 } });
    const first = p.decide(risk('minor', 1), T0);
    assert.equal(first.tier, null);
    assert.equal(first.blockedBy, undefined);
    assert.match(first.why, /needs 2 intervals/);
    assert.equal(p.decide(risk('minor', 2), T0 + 5000).tier, 1);
    assert.equal(policy({ persistence: { 1: 2, 2: 2, 3: 1 } }).decide(risk('severe', 1), T0).tier, 3);
    assert.equal(policy({ persistence: { 1: 2, 2: 3, 3: 1 } }).decide(risk('moderate', 2), T0).tier, null);
  });
});

describe('policy: cooldown', () => {
  it('a tier does not act twice on a host within its cooldown', () => {
    const p = policy({ cooldownMs: { 1: 10 * MIN } });
    assert.equal(act(p, risk('minor'), T0).execute, true);
    assert.equal(p.decide(risk('ok'), T0 + MIN).tier, null, 'the fix worked; the chain ends');
    const soon = p.decide(risk('minor'), T0 + 3 * MIN);
    assert.equal(soon.blockedBy, 'cooldown');
    assert.equal(soon.tier, 1);
    assert.equal(soon.execute, false);
    assert.match(soon.why, /cooling down on web-1 for another 420 s/);
    assert.equal(p.decide(risk('minor'), T0 + 10 * MIN).execute, true);
  });

  it('other hosts are not affected by one host\u2019s cooldown', () => {
    const p = policy();
    act(p, risk('minor', 5, 'web-1'), T0);
    assert.equal(p.decide(risk('minor', 5, 'web-2'), T0 + 1000).execute, true);
  });
});

describe('policy: escalation', () => {
  it('escalates 1 → 2 → 3 when an action does not bring risk below minor within the window', () => {
    const p = policy({ escalateAfterMs: 2 * MIN });
    const d1 = act(p, risk('minor'), T0);
    assert.equal(d1.tier, 1);

    const waiting = p.decide(risk('minor'), T0 + MIN);
    assert.equal(waiting.tier, null);
    assert.equal(waiting.blockedBy, 'cooldown');
    assert.match(waiting.why, /tier 2 follows/);

    const d2 = act(p, risk('minor'), T0 + 2 * MIN);
    assert.equal(d2.tier, 2, d2.why);
    assert.match(d2.why, /did not bring risk below minor \(0\.30\) within 120 s/);
    const d3 = act(p, risk('minor'), T0 + 4 * MIN);
    assert.equal(d3.tier, 3, d3.why);
    assert.equal(d3.action, 'rollback');
  });

  it('a failed verification escalates at once, and a failed tier 3 stops for a person', () => {
    const p = policy({ escalateAfterMs: 10 * MIN });
    act(p, risk('minor'), T0, 'failed');
    const d2 = act(p, risk('minor'), T0 + 5000, 'failed');
    assert.equal(d2.tier, 2);
    assert.match(d2.why, /failed verification/);
    const d3 = act(p, risk('minor'), T0 + 10_000, 'failed');
    assert.equal(d3.tier, 3);
    const stop = p.decide(risk('severe'), T0 + 15_000);
    assert.equal(stop.blockedBy, 'exhausted');
    assert.equal(stop.execute, false);
    assert.match(stop.why, /a person must act/);
  });

  it('does not escalate while only hysteresis holds the state up', () => {
    const p = policy({ escalateAfterMs: 2 * MIN });
    act(p, risk('minor'), T0);
    const d = p.decide(risk('minor', 0), T0 + 2 * MIN);
    assert.equal(d.tier, null);
    assert.match(d.why, /value is falling/);
    assert.equal(p.decide(risk('minor', 1), T0 + 2 * MIN + 5000).tier, 2);
  });

  it('risk back below minor ends the chain', () => {
    const p = policy({ escalateAfterMs: 2 * MIN, cooldownMs: { 1: MIN } });
    act(p, risk('minor'), T0);
    p.decide(risk('ok'), T0 + MIN);
    assert.equal(act(p, risk('minor'), T0 + 3 * MIN).tier, 1, 'a new problem starts again at its own tier');
  });
});

describe('policy: concurrency', () => {
  it('limits hosts acting at once, and a host acting is in progress', () => {
    const p = policy({ maxConcurrent: 1 });
    const a = p.decide(risk('minor', 5, 'web-1'), T0);
    assert.equal(a.execute, true);
    assert.deepEqual(p.inFlight(), ['web-1']);
    const b = p.decide(risk('moderate', 5, 'web-2'), T0 + 1000);
    assert.equal(b.blockedBy, 'concurrency');
    assert.equal(b.tier, 2);
    assert.equal(b.execute, false);
    assert.match(b.why, /1 host already acting \(web-1\), the limit is 1/);
    assert.equal(p.decide(risk('minor', 5, 'web-1'), T0 + 1000).blockedBy, 'in-progress');
    p.recordAction('web-1', 1, T0 + 2000, 'verified');
    p.actionFinished('web-1');
    assert.equal(p.decide(risk('moderate', 5, 'web-2'), T0 + 3000).execute, true);
    assert.deepEqual(p.inFlight(), ['web-2']);
  });

  it('confirm mode takes a slot once approved', () => {
    const p = policy({ mode: 'confirm', maxConcurrent: 1 });
    assert.equal(p.decide(risk('minor', 5, 'web-1'), T0).needsApproval, true);
    assert.equal(p.actionStarted('web-1'), true);
    assert.equal(p.actionStarted('web-2'), false);
    assert.equal(p.decide(risk('minor', 5, 'web-2'), T0).blockedBy, 'concurrency');
  });
});

describe('policy: modes', () => {
  it('off decides nothing', () => {
    const d = policy({ mode: 'off' }).decide(risk('severe'), T0);
    assert.deepEqual([d.tier, d.action, d.execute, d.needsApproval, d.blockedBy, d.mode], [null, null, false, false, 'mode-off', 'off']);
  });

  it('suggest names the tier without executing or asking', () => {
    const p = policy({ mode: 'suggest' });
    const d = p.decide(risk('moderate'), T0);
    assert.deepEqual([d.tier, d.action, d.execute, d.needsApproval, d.mode], [2, 'switch', false, false, 'suggest']);
    assert.deepEqual(p.inFlight(), []);
    assert.deepEqual(d.reasons, risk('moderate').reasons);
  });

  it('confirm asks for approval and does not execute', () => {
    const d = policy({ mode: 'confirm' }).decide(risk('severe'), T0);
    assert.deepEqual([d.tier, d.execute, d.needsApproval, d.mode], [3, false, true, 'confirm']);
  });

  it('auto executes', () => {
    const d = policy({ mode: 'auto' }).decide(risk('severe'), T0);
    assert.deepEqual([d.tier, d.execute, d.needsApproval, d.mode], [3, true, false, 'auto']);
    assert.match(d.why, /^Risk 0\.90 is severe \(≥ 0\.85\) for 5 intervals: tier 3 \(rollback\) runs now\.$/);
  });

  it('shadow never executes, takes no slot, and plays out cooldown and escalation as auto would', () => {
    const p = policy({ mode: 'auto', shadow: true, escalateAfterMs: 2 * MIN, maxConcurrent: 1 });
    const seen: Decision[] = [];
    for (let t = 0; t <= 5 * MIN; t += 30_000) seen.push(p.decide(risk('minor'), T0 + t));
    assert.ok(seen.every((d) => !d.execute && !d.needsApproval && d.mode === 'shadow'));
    assert.deepEqual(p.inFlight(), []);
    assert.deepEqual(
      seen.filter((d) => d.tier !== null && !d.blockedBy).map((d) => [d.tier, (d.ts - T0) / MIN]),
      [
        [1, 0],
        [2, 2],
        [3, 4],
      ],
    );
    assert.match(seen[0].why, /shadow mode, tier 1 \(remediate\) would run now; nothing is done/);
    assert.equal(policy({ mode: 'off', shadow: true }).decide(risk('severe'), T0).blockedBy, 'mode-off');
  });
});

describe('policy: not configured', () => {
  it('falls to the next tier up, never down', () => {
    const p = policy({}, { remediate: undefined });
    const d = p.decide(risk('minor'), T0);
    assert.equal(d.tier, 2);
    assert.equal(d.action, 'switch');
    assert.match(d.why, /tier 1 \(remediate\) is not configured, so tier 2/);
    const noSwitch = policy({}, { switch: undefined }).decide(risk('moderate'), T0);
    assert.equal(noSwitch.tier, 3);
  });

  it('blocks when no tier at or above is configured', () => {
    const d = policy({}, { rollback: undefined }).decide(risk('severe'), T0);
    assert.deepEqual([d.tier, d.action, d.execute, d.blockedBy], [3, 'rollback', false, 'not-configured']);
    const none = policy({}, { remediate: { restart: [] }, switch: undefined, rollback: undefined }).decide(risk('minor'), T0);
    assert.equal(none.blockedBy, 'not-configured');
  });
});

describe('policy: no data', () => {
  it('alert blocks, ignore stays quiet, treat-as-severe acts as severe', () => {
    const alert = policy().decide(risk('nodata'), T0);
    assert.deepEqual([alert.tier, alert.execute, alert.blockedBy], [null, false, 'nodata']);
    const ignore = policy({ noData: 'ignore' }).decide(risk('nodata'), T0);
    assert.deepEqual([ignore.tier, ignore.execute, ignore.blockedBy], [null, false, undefined]);
    const severe = policy({ noData: 'treat-as-severe' }).decide(risk('nodata'), T0);
    assert.deepEqual([severe.tier, severe.execute], [3, true]);
    assert.match(severe.why, /no data for 5 intervals, treated as severe/i);
  });
});

describe('policy: from config', () => {
  it('reads mode, thresholds and what is configured; defaults the rails', () => {
    const cfg: PolicyConfig = policyFromConfig(env({ mode: 'confirm', switch: undefined }));
    assert.equal(cfg.mode, 'confirm');
    assert.equal(cfg.shadow, false);
    assert.deepEqual(cfg.thresholds, THRESHOLDS);
    assert.deepEqual(cfg.configured, { remediate: true, switch: false, rollback: true });
    assert.deepEqual(cfg.persistence, { 1: 2, 2: 2, 3: 1 });
    assert.equal(cfg.noData, 'alert');
    assert.equal(cfg.maxConcurrent, 1);
    assert.ok(cfg.escalateAfterMs >= 2 * MIN);
    assert.ok(cfg.cooldownMs[1] >= cfg.escalateAfterMs);
    const o = policyFromConfig(env(), { shadow: true, cooldownMs: { 2: 1 }, configured: { rollback: false } });
    assert.equal(o.shadow, true);
    assert.equal(o.cooldownMs[2], 1);
    assert.equal(o.cooldownMs[3], 60 * MIN);
    assert.equal(o.configured.rollback, false);
    assert.throws(() => policyFromConfig(env(), { maxConcurrent: 0 }), RangeError);
  });
});

describe('policy with risk', () => {
  const options = resolveRiskOptions({ thresholds: THRESHOLDS, intervalMs: 5000 });
  const spike = (ts: number, score = 1) => [{ ts, layer: 'app' as const, source: 'stats' as const, metric: 'app.cpuPct', value: 99, baseline: 20, threshold: 60, score, detail: 'app.cpuPct far above its baseline' }];

  it('a lone spike never leads to a switch or rollback; a sustained anomaly reaches tier 3', () => {
    const p = new Policy(policyFromConfig(env()));
    const tracker = new RiskTracker('web-1', options);
    for (let i = 0; i < 10; i++) {
      const d = p.decide(tracker.update(T0 + i * 5000, i === 2 ? spike(T0 + i * 5000) : []), T0 + i * 5000);
      assert.ok(d.tier === null || d.tier === 1, `${i}: ${d.why}`);
      assert.equal(d.execute, false, `${i}: ${d.why}`);
    }
    const q = new Policy(policyFromConfig(env(), { mode: 'suggest' }));
    const t2 = new RiskTracker('web-1', options);
    const tiers: (number | null)[] = [];
    for (let i = 0; i < 6; i++) tiers.push(q.decide(t2.update(T0 + i * 5000, spike(T0 + i * 5000, 0.95)), T0 + i * 5000).tier);
    // minor, minor, moderate, moderate, severe, severe: each tier once its state has held long enough.
    assert.deepEqual(tiers, [null, 1, null, 2, 3, 3]);
  });
});

describe('policy: the cure picks the tier', () => {
  const configured = { remediate: true, switch: true, rollback: true };
  const reason = (over: Partial<Reason>): Reason => ({ layer: 'app', source: 'stats', metric: 'cpuPct', value: 90, baseline: 10, threshold: 30, score: 0.9, detail: 'cpu', ...over });
  const withReasons = (state: RiskState, reasons: Reason[], held = 5): HostRisk => ({ ...risk(state, held), reasons });
  const same = { now: 'releases/r2', snapshot: 'releases/r2' };
  const deployed = { now: 'releases/r3', snapshot: 'releases/r2' };

  it('reads the cause: app drift → rollback, a new release → rollback, the same release → switch, hardware → none', () => {
    const drift = reason({ source: 'config', metric: '/etc/nginx/conf.d/app.conf', score: 0.45 });
    assert.deepEqual([cureFor([drift], { release: same, configured, cleanup: false })?.tier, cureFor([drift], { release: same, configured, cleanup: false })?.raise], [3, true]);
    assert.equal(cureFor([reason({})], { release: deployed, configured, cleanup: false })?.tier, 3);
    assert.equal(cureFor([reason({})], { release: deployed, configured, cleanup: false })?.raise, false);
    assert.equal(cureFor([reason({ source: 'forecast', metric: 'rssKiB' })], { release: deployed, configured, cleanup: false })?.raise, true);
    assert.deepEqual(cureFor([reason({})], { release: same, configured, cleanup: false }), { tier: 2, raise: false, why: cureFor([reason({})], { release: same, configured, cleanup: false })!.why });
    assert.equal(cureFor([reason({ layer: 'hardware' })], { release: same, configured, cleanup: false }), null);
    // No snapshot, or no switch configured: the cause is unknown, the level decides.
    assert.equal(cureFor([reason({})], { release: null, configured, cleanup: false }), null);
    assert.equal(cureFor([reason({})], { release: same, configured: { ...configured, switch: false }, cleanup: false }), null);
    // Users affected on the serving colour: the switch is taken at any level; a missing or weak service signal is not that.
    const slow = cureFor([reason({ metric: 'healthLatencyMs', value: 400, baseline: 20 })], { release: same, configured, cleanup: false });
    assert.deepEqual([slow?.tier, slow?.raise], [2, true]);
    assert.match(slow!.why, /misbehaves for users/);
    assert.equal(cureFor([reason({ metric: 'healthLatencyMs', value: 400, baseline: 20, score: 0.1 })], { release: same, configured, cleanup: false })?.raise, false);
    assert.equal(cureFor([reason({ metric: 'errorRatio', source: 'nodata', value: 3, baseline: null })], { release: same, configured, cleanup: false })?.raise, false);
    assert.equal(policy().decide(withReasons('minor', [reason({ metric: 'healthLatencyMs', value: 400, baseline: 20, score: 0.4 })]), T0, slow).tier, 2);
    // A weak app reason under a strong hardware one does not make it an app problem.
    assert.equal(cureFor([reason({ layer: 'hardware', score: 0.9 }), reason({ score: 0.2 })], { release: same, configured, cleanup: false }), null);
  });

  it('a severe fault on the serving colour gets a switch, never remediate; a firm cause raises a minor risk to rollback', () => {
    const severe = policy().decide(withReasons('severe', [reason({ metric: 'healthLatencyMs' })]), T0, cureFor([reason({ metric: 'healthLatencyMs' })], { release: same, configured, cleanup: false }));
    assert.deepEqual([severe.tier, severe.action], [2, 'switch']);
    assert.match(severe.why, /idle colour is the cure/);
    const minor = policy().decide(withReasons('minor', [reason({ score: 0.4 })]), T0, { tier: 2, raise: false, why: 'x' });
    assert.equal(minor.tier, 1, 'a switch cure does not raise a minor risk');
    const drift = policy().decide(withReasons('minor', [reason({ source: 'config', score: 0.45 })]), T0, { tier: 3, raise: true, why: 'app.conf drifted' });
    assert.deepEqual([drift.tier, drift.action], [3, 'rollback']);
    assert.equal(policy().decide(withReasons('severe', [reason({})]), T0, { tier: 1, raise: false, why: 'x' }).tier, 3, 'severe never gets a generic tier 1');
    // A filling disk with clean-up commands configured: remediate is the cure at any level.
    const disk = reason({ layer: 'hardware', source: 'forecast', metric: 'diskUsedPct', detail: 'diskUsedPct reaches 90 in 40 s.' });
    const cure = cureFor([disk], { release: same, configured, cleanup: true });
    assert.deepEqual([cure?.tier, cure?.exact], [1, true]);
    assert.equal(cureFor([disk], { release: same, configured, cleanup: false }), null);
    const cleaned = policy().decide(withReasons('severe', [disk]), T0, cure);
    assert.deepEqual([cleaned.tier, cleaned.action], [1, 'remediate']);
    assert.match(cleaned.why, /disk fills \(diskUsedPct reaches 90 in 40 s\) and the remediate commands clean it up/);
  });

  it('after a verified cure, only what users see (or a higher cure) escalates; the rest is "cured" for a person', () => {
    const p = policy({ escalateAfterMs: MIN });
    const cure = { tier: 2 as const, raise: false, why: 'the idle colour is the cure' };
    const first = p.decide(withReasons('severe', [reason({})]), T0, cure);
    assert.equal(first.tier, 2);
    p.recordAction('web-1', 2, T0, 'verified');
    p.actionFinished('web-1');
    // The idle colour still spins: process metrics stay severe, the service is fine.
    const held = p.decide(withReasons('severe', [reason({})]), T0 + 5000, cure);
    assert.deepEqual([held.tier, held.execute, held.blockedBy], [null, false, 'cooldown']);
    const later = p.decide(withReasons('severe', [reason({})]), T0 + 2 * MIN, cure);
    assert.deepEqual([later.blockedBy, later.execute], ['cured', false]);
    assert.match(later.why, /a person should look/);
    // After a remediate that did not help, the cure (a switch) comes next, not the level's rollback.
    const q = policy({ escalateAfterMs: MIN });
    q.recordAction('web-1', 1, T0, 'verified');
    const next = q.decide(withReasons('severe', [reason({ metric: 'healthLatencyMs', value: 400, baseline: 20 })]), T0 + 5000, cure);
    assert.deepEqual([next.tier, next.action], [2, 'switch']);
    // Users are affected after all: escalation goes on.
    const users = p.decide(withReasons('severe', [reason({ metric: 'errorRatio' })]), T0 + 2 * MIN, cure);
    assert.deepEqual([users.tier, users.execute], [3, true]);
  });

  it('persistence holds for time, not only intervals: 10 s minor, 6 s moderate, 2 s severe at 1 s samples', () => {
    assert.deepEqual(defaultPersistence(5000), { 1: 2, 2: 2, 3: 1 });
    assert.deepEqual(defaultPersistence(1000), { 1: 10, 2: 6, 3: 2 });
    assert.deepEqual(defaultPersistence(2000), { 1: 5, 2: 3, 3: 1 });
    assert.deepEqual(policyFromConfig({ ...env(), intervalMs: 1000 }).persistence, { 1: 10, 2: 6, 3: 2 });
  });
});
