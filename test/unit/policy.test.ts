import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentConfig } from '../../server/src/config/types';
import { defaultPersistence, policyFromConfig, type PolicyOverrides } from '../../server/src/policy/config';
import { attributeCause } from '../../server/src/policy/cause';
import type { Cause } from '../../server/src/policy/causeTypes';
import { curesFor } from '../../server/src/policy/cure';
import { Policy } from '../../server/src/policy/policy';
import type { Decision, PolicyConfig } from '../../server/src/policy/types';
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

const ERRORS: Reason = { layer: 'app', source: 'stats', metric: 'errorRatio', value: 0.3, baseline: 0, threshold: 0.05, score: 0.9, detail: 'errorRatio 0.3' };

function risk(state: RiskState, held = 5, host = 'web-1', reasons: Reason[] = [ERRORS]): HostRisk {
  const reason: Reason = reasons[0];
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
    reasons: state === 'ok' ? [] : reasons,
    held,
  };
}

const CURE_INPUT = { host: 'web-1', now: T0, settleMs: 30_000, blameMs: 3_600_000, cleanup: { configured: true, freed: null } };
/** The cause of `reasons` as the watcher would attribute it, with the release given. */
function causeOf(reasons: Reason[], release: { now: string; snapshot: string } = { now: 'r2', snapshot: 'r2' }): Cause {
  return attributeCause({ ...CURE_INPUT, reasons, release: { ...release, baseline: release.now, change: null } });
}

/** Decides, and for an executed decision records its cure outcome and frees the slot, as the watcher would. */
function act(p: Policy, r: HostRisk, now: number, outcome: 'cured' | 'not-cured' = 'cured', cause?: Cause): Decision {
  const d = p.decide(r, now, cause);
  if (d.execute && d.tier !== null) {
    p.recordAction(r.host, d.tier, now, outcome, d.cause?.kind);
    p.actionFinished(r.host);
  }
  return d;
}

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


const r = (over: Partial<Reason>): Reason => ({ ...ERRORS, ...over });
const CPU_HOG = r({ layer: 'hardware', metric: 'cpuPct', value: 190, baseline: 20, detail: 'host cpu 190%' });
const DRIFT = r({ source: 'config', metric: 'file:/etc/nginx/conf.d/app.conf', value: 'a', baseline: 'b', score: 0.45 });
const LEAK = r({ source: 'forecast', metric: 'rssKiB', value: 300_000, baseline: 60_000, score: 0.6, forecast: { limit: 524_288, timeToBreachMs: 200_000, slopePerSec: 1024 } });
const DISK = r({ layer: 'hardware', source: 'forecast', metric: 'diskUsedPct', value: 70, baseline: 5, score: 0.7, forecast: { limit: 90, timeToBreachMs: 20_000, slopePerSec: 1 }, detail: 'on /srv/data' });
const APP_CPU = r({ metric: 'cpuPct', value: 90, baseline: 10 });

describe('policy: the cause picks the tier, never the risk level alone', () => {
  it('maps each cause to the tier that cures it, at any level', () => {
    for (const state of ['minor', 'moderate', 'severe'] as const) {
      const tier = (reasons: Reason[], rel?: { now: string; snapshot: string }) => policy({ mode: 'suggest' }).decide(risk(state, 5, 'web-1', reasons), T0, causeOf(reasons, rel)).tier;
      assert.equal(tier([ERRORS]), 2, `${state}: a fault on the serving colour → switch`);
      assert.equal(tier([LEAK], { now: 'r3', snapshot: 'r2' }), 3, `${state}: a leak that came with a release → rollback`);
      assert.equal(tier([DRIFT]), 3, `${state}: a managed file changed → rollback restores it`);
      assert.equal(tier([DISK]), 1, `${state}: a filling disk with clean-up configured → remediate`);
      assert.equal(tier([CPU_HOG]), null, `${state}: a neighbour → no app action`);
    }
  });

  it('never switches or rolls back for a neighbour, even at severe; it names what it found', () => {
    const d = policy().decide(risk('severe', 5, 'web-1', [CPU_HOG]), T0, causeOf([CPU_HOG]));
    assert.deepEqual([d.tier, d.execute, d.blockedBy, d.cause?.kind], [null, false, 'no-cure', 'neighbour']);
    assert.match(d.why, /no action on the app/);
    assert.equal(d.decidedBy, 'thresholds');
  });

  it('never acts on load: more traffic with users unharmed is no fault any tier cures', () => {
    const rate = r({ metric: 'requestRate', value: 94, baseline: 9, score: 0.2, explainedBy: 'traffic' });
    const rss = r({ metric: 'rssKiB', value: 400_000, baseline: 60_000, score: 0.9, explainedBy: 'traffic' });
    const cause = attributeCause({ ...CURE_INPUT, reasons: [rss, rate] });
    for (const state of ['minor', 'moderate', 'severe'] as const) {
      const d = policy().decide(risk(state, 5, 'web-1', [rss, rate]), T0, cause);
      assert.deepEqual([d.tier, d.execute, d.blockedBy, d.cause?.kind], [null, false, 'no-cure', 'load'], state);
      assert.match(d.why, /traffic is not a fault while users see no harm/);
    }
    assert.deepEqual(
      curesFor(cause, { configured: { remediate: true, switch: true, rollback: true } }).map((c) => c.cures),
      [false, false, false],
    );
  });

  it('acts only on a cause that has held as long as the risk must: one odd interval of attribution is no evidence', () => {
    const p = policy({ persistence: { 1: 2, 2: 2, 3: 2 } });
    const hog = causeOf([CPU_HOG]);
    const own = causeOf([APP_CPU]);
    assert.equal(own.kind, 'app-resource');
    const seq: Array<[Cause, number | null]> = [
      [hog, null],
      [hog, null],
      [own, null], // the process snapshot of one interval pointed at the app
      [hog, null],
      [own, null],
      [own, 2], // the app's own, two intervals in a row: a fresh colour cures it
    ];
    // A colour's errors around the harm threshold alternate between two causes with one cure: no reset.
    const q = policy({ persistence: { 1: 2, 2: 2, 3: 2 } });
    const below = causeOf([r({ metric: 'errorRatio', value: 0.01, baseline: 0, score: 0.2 })]);
    assert.equal(below.kind, 'app-resource');
    assert.equal(q.decide(risk('severe', 5), T0, causeOf([ERRORS])).tier, null);
    assert.equal(q.decide(risk('severe', 6), T0 + 1000, below).tier, 2);
    seq.forEach(([cause, want], i) => {
      const d = p.decide(risk('severe', 5 + i, 'web-1', cause === hog ? [CPU_HOG] : [APP_CPU]), T0 + i * 1000, cause);
      assert.equal(d.tier, want, `interval ${i}: ${d.why}`);
      if (cause === own && want === null) assert.match(d.why, /the cause has called for this cure for 1 interval and acting needs 2, so it waits/);
    });
  });

  it('a healthy deploy is never rolled back, and no action is taken while it settles', () => {
    const drift = r({ source: 'config', metric: 'release', value: 'r3', baseline: 'r2', score: 0.7 });
    const change = { path: '/srv/app/current', from: 'r2', to: 'r3', at: T0 - 60_000, seen: 'watch' as const, files: [] };
    const settled = attributeCause({ ...CURE_INPUT, reasons: [drift], release: { now: 'r3', baseline: 'r2', snapshot: 'r2', change } });
    const d = policy().decide(risk('severe', 5, 'web-1', [drift]), T0, settled);
    assert.deepEqual([d.tier, d.execute, d.cause?.kind], [null, false, 'deploy']);
    assert.match(d.why, /never roll back a release whose users see no harm/);
    assert.equal(d.cures.find((c) => c.tier === 3)?.cures, false);
    const starting = attributeCause({ ...CURE_INPUT, reasons: [drift, ERRORS], release: { now: 'r3', baseline: 'r2', snapshot: 'r2', change: { ...change, at: T0 - 2_000 } } });
    assert.equal(policy().decide(risk('severe', 5, 'web-1', [drift, ERRORS]), T0, starting).tier, null);
  });

  it('a fault on one colour goes to the switch first; a restart comes first only once a restart has cured it here', () => {
    const p = policy({ escalateAfterMs: MIN, cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    const first = act(p, risk('minor'), T0, 'cured', causeOf([ERRORS]));
    assert.deepEqual([first.tier, first.action], [2, 'switch']);
    assert.match(first.why, /Tier 2 \(switch\) moves traffic to the other colour/);
    // A restart once cured this kind of fault here (the user's own choice, say): now it is tried first.
    p.decide(risk('ok'), T0 + MIN);
    p.recordAction('web-1', 1, T0 + MIN, 'cured', 'colour-fault');
    p.decide(risk('ok'), T0 + 2 * MIN);
    assert.equal(p.decide(risk('minor'), T0 + 3 * MIN, causeOf([ERRORS])).tier, 1);
  });

  it('the app\'s own resource use without harm waits for moderate risk', () => {
    assert.equal(policy().decide(risk('minor', 5, 'web-1', [APP_CPU]), T0, causeOf([APP_CPU])).tier, null);
    assert.equal(policy().decide(risk('moderate', 5, 'web-1', [APP_CPU]), T0, causeOf([APP_CPU])).tier, 2);
  });

  it('without a cause from the caller, it attributes one from the reasons', () => {
    const d = policy().decide(risk('severe', 5, 'web-1', [CPU_HOG]), T0);
    assert.equal(d.cause?.kind, 'neighbour');
    assert.equal(d.tier, null);
  });
});

describe('policy: persistence', () => {
  it('waits until the state has held long enough', () => {
    const p = policy({ persistence: { 1: 2, 2: 2, 3: 1 } });
    const first = p.decide(risk('minor', 1), T0, causeOf([ERRORS]));
    assert.equal(first.tier, null);
    assert.match(first.why, /needs 2 intervals/);
    assert.equal(p.decide(risk('minor', 2), T0 + 5000, causeOf([ERRORS])).tier, 2);
  });
});

describe('policy: cooldown', () => {
  it('a tier does not act twice on a host within its cooldown', () => {
    const p = policy();
    assert.equal(act(p, risk('moderate'), T0).tier, 2);
    assert.equal(p.decide(risk('ok'), T0 + MIN).tier, null, 'cured; the episode ends');
    const soon = p.decide(risk('moderate'), T0 + 3 * MIN);
    assert.deepEqual([soon.tier, soon.blockedBy, soon.execute], [2, 'cooldown', false]);
    assert.match(soon.why, /cooling down on web-1 for another 27 min|cooling down on web-1 for another 1620 s/);
    assert.equal(p.decide(risk('moderate'), T0 + 31 * MIN).execute, true);
  });

  it('other hosts are not affected by one host\u2019s cooldown', () => {
    const p = policy();
    act(p, risk('moderate'), T0);
    assert.equal(p.decide(risk('moderate', 5, 'web-2'), T0 + 1000).execute, true);
  });
});

describe('policy: a cure that did not cure', () => {
  it('escalates to the next tier that cures, never repeating an action in the episode', () => {
    const p = policy({ escalateAfterMs: MIN, cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    const leak = causeOf([LEAK, ERRORS], { now: 'r2', snapshot: 'r2' });
    assert.equal(leak.kind, 'colour-fault');
    const first = act(p, risk('severe', 5, 'web-1', [ERRORS]), T0, 'not-cured', leak);
    assert.equal(first.tier, 2);
    // The switch did not cure, and on the same release nothing above it cures: a person must act.
    const stop = p.decide(risk('severe', 5, 'web-1', [ERRORS]), T0 + 5000, leak);
    assert.deepEqual([stop.blockedBy, stop.execute], ['exhausted', false]);
    assert.match(stop.why, /tier 2 switch did not cure it.*a person must act/i);
  });

  it('a clean-up that did not free the disk is not run again: it stops and asks a person', () => {
    const p = policy({ cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    const first = act(p, risk('severe', 5, 'web-1', [DISK]), T0, 'not-cured', causeOf([DISK]));
    assert.deepEqual([first.tier, first.action], [1, 'remediate']);
    const again = p.decide(risk('severe', 5, 'web-1', [DISK]), T0 + 5000, causeOf([DISK]));
    assert.equal(again.execute, false);
    assert.equal(again.blockedBy, 'exhausted');
    assert.match(again.why, /tier 1 remediate did not cure it/i);
  });

  it('an action that did not cure one cause neither escalates nor blocks the cure of another: the same cause still never gets it twice', () => {
    const p = policy({ cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    const disk = act(p, risk('severe', 5, 'web-1', [DISK]), T0, 'not-cured', causeOf([DISK]));
    assert.deepEqual([disk.tier, disk.action], [1, 'remediate']);
    // Errors on the serving colour in the same episode: the switch cures them, not "tier 1 failed, go to 3".
    const colour = p.decide(risk('severe', 5, 'web-1', [ERRORS]), T0 + 5000, causeOf([ERRORS]));
    assert.equal(colour.cause?.kind, 'colour-fault');
    assert.deepEqual([colour.tier, colour.action, colour.execute], [2, 'switch', true]);
    assert.doesNotMatch(colour.why, /did not cure/);
    p.recordAction('web-1', 2, T0 + 5000, 'not-cured', 'colour-fault');
    p.actionFinished('web-1');
    // The disk is still the clean-up's failure: it is not run again for it.
    const diskAgain = p.decide(risk('severe', 5, 'web-1', [DISK]), T0 + 10_000, causeOf([DISK]));
    assert.deepEqual([diskAgain.execute, diskAgain.blockedBy], [false, 'exhausted']);
    // And the colour fault, its switch not having cured it, does not get the switch twice.
    const colourAgain = p.decide(risk('severe', 5, 'web-1', [ERRORS]), T0 + 10_000, causeOf([ERRORS]));
    assert.notEqual(colourAgain.tier === 2 && colourAgain.execute, true, colourAgain.why);
  });

  it('after a cure, what is left without harm to users is for a person; harm that outlasts the window escalates', () => {
    const p = policy({ escalateAfterMs: MIN, cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    const deployedErrors = causeOf([LEAK, ERRORS], { now: 'r3', snapshot: 'r2' });
    assert.equal(deployedErrors.kind, 'release-regression');
    act(p, risk('severe'), T0, 'cured', causeOf([ERRORS]));
    const idle = p.decide(risk('severe', 5, 'web-1', [APP_CPU]), T0 + 2 * MIN, causeOf([APP_CPU]));
    assert.deepEqual([idle.blockedBy, idle.execute], ['cured', false]);
    assert.match(idle.why, /a person should look/);
    const harmed = p.decide(risk('severe', 5, 'web-1', [LEAK, ERRORS]), T0 + 2 * MIN, deployedErrors);
    assert.deepEqual([harmed.tier, harmed.execute], [3, true]);
  });

  it('risk back below minor ends the episode', () => {
    const p = policy({ cooldownMs: { 1: 0, 2: 0, 3: 0 } });
    act(p, risk('moderate'), T0, 'not-cured');
    assert.equal(p.decide(risk('ok'), T0 + MIN).tier, null);
    assert.equal(p.decide(risk('moderate'), T0 + 2 * MIN).tier, 2, 'a new episode may switch again');
  });
});

describe('policy: concurrency', () => {
  it('limits hosts acting at once, and a host acting is in progress', () => {
    const p = policy();
    assert.equal(p.decide(risk('moderate', 5, 'web-1'), T0).execute, true);
    const busy = p.decide(risk('moderate', 5, 'web-2'), T0);
    assert.deepEqual([busy.blockedBy, busy.execute], ['concurrency', false]);
    assert.match(busy.why, /1 host already acting \(web-1\), the limit is 1/);
    assert.equal(p.decide(risk('moderate', 5, 'web-1'), T0).blockedBy, 'in-progress');
    p.actionFinished('web-1');
    assert.equal(p.decide(risk('moderate', 5, 'web-2'), T0).execute, true);
  });

  it('confirm mode takes a slot once approved', () => {
    const p = policy({ mode: 'confirm' });
    const d = p.decide(risk('moderate'), T0);
    assert.deepEqual([d.needsApproval, d.execute], [true, false]);
    assert.equal(p.actionStarted('web-1'), true);
    assert.equal(p.actionStarted('web-2'), false);
  });
});

describe('policy: modes', () => {
  it('off decides nothing', () => {
    const d = policy({ mode: 'off' }).decide(risk('severe'), T0);
    assert.deepEqual([d.tier, d.blockedBy], [null, 'mode-off']);
  });

  it('suggest names the tier without executing or asking; confirm asks; auto executes', () => {
    const s = policy({ mode: 'suggest' }).decide(risk('moderate'), T0);
    assert.deepEqual([s.tier, s.execute, s.needsApproval], [2, false, false]);
    assert.match(s.why, /suggest tier 2 \(switch\)/);
    const c = policy({ mode: 'confirm' }).decide(risk('moderate'), T0);
    assert.deepEqual([c.execute, c.needsApproval], [false, true]);
    const a = policy().decide(risk('moderate'), T0);
    assert.deepEqual([a.execute, a.needsApproval], [true, false]);
  });

  it('shadow never executes, takes no slot, and plays out cooldown as auto would', () => {
    const p = policy({ shadow: true });
    const d = p.decide(risk('moderate'), T0);
    assert.deepEqual([d.mode, d.tier, d.execute], ['shadow', 2, false]);
    assert.match(d.why, /shadow mode, tier 2 \(switch\) would run now/);
    assert.deepEqual(p.inFlight(), []);
    p.decide(risk('ok'), T0 + 1000);
    assert.equal(p.decide(risk('moderate'), T0 + MIN).blockedBy, 'cooldown');
  });
});

describe('policy: not configured', () => {
  it('says which tier would cure and that it is not configured; never a lower tier instead', () => {
    const d = policy({}, { rollback: undefined }).decide(risk('minor', 5, 'web-1', [DRIFT]), T0, causeOf([DRIFT]));
    assert.deepEqual([d.tier, d.blockedBy, d.execute], [3, 'not-configured', false]);
    assert.match(d.why, /Tier 3 \(rollback\) cures this .* but is not configured/);
  });
});

describe('policy: no data', () => {
  it('alert blocks, ignore stays quiet, treat-as-severe acts on the highest configured tier', () => {
    assert.equal(policy({ noData: 'alert' }).decide(risk('nodata'), T0).blockedBy, 'nodata');
    const quiet = policy({ noData: 'ignore' }).decide(risk('nodata'), T0);
    assert.deepEqual([quiet.tier, quiet.blockedBy], [null, undefined]);
    const severe = policy({ noData: 'treat-as-severe' }).decide(risk('nodata'), T0);
    assert.deepEqual([severe.tier, severe.execute], [3, true]);
  });
});

describe('policy: wording', () => {
  it('never says a value below a threshold "is" that state', () => {
    const held = { ...risk('minor'), value: 0.28 };
    const d = policy({ persistence: { 1: 10, 2: 10, 3: 10 } }).decide(held, T0, causeOf([ERRORS]));
    assert.doesNotMatch(d.why, /0\.28 is minor/);
    assert.match(d.why, /risk 0\.28, still minor: it reached 0\.30 and has not yet fallen below the hysteresis margin/i);
  });

  it('explains the cause, the evidence and what each tier would cure', () => {
    const d = policy({ mode: 'suggest' }).decide(risk('moderate'), T0, causeOf([ERRORS]));
    assert.match(d.why, /^The serving colour is bad on the release the other colour runs too: errorRatio 0\.3/);
    assert.deepEqual(d.cures.map((c) => [c.tier, c.cures]), [[1, false], [2, true], [3, false]]);
    assert.deepEqual(curesFor(causeOf([CPU_HOG]), { configured: { remediate: true, switch: true, rollback: true } }).map((c) => c.cures), [false, false, false]);
  });
});

describe('policy: persistence by time', () => {
  it('persistence holds for time, not only intervals: 10 s minor, 6 s moderate, 2 s severe at 1 s samples', () => {
    assert.deepEqual(defaultPersistence(5000), { 1: 2, 2: 2, 3: 1 });
    assert.deepEqual(defaultPersistence(1000), { 1: 10, 2: 6, 3: 2 });
    assert.deepEqual(defaultPersistence(2000), { 1: 5, 2: 3, 3: 1 });
    assert.deepEqual(policyFromConfig({ ...env(), intervalMs: 1000 }).persistence, { 1: 10, 2: 6, 3: 2 });
  });
});
