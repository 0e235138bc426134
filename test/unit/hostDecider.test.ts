import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentConfig } from '../../server/src/config/types';
import { policyFromConfig } from '../../server/src/policy/config';
import type { Cause } from '../../server/src/policy/causeTypes';
import { Policy } from '../../server/src/policy/policy';
import { FEATURES } from '../../server/src/risk/model/features';
import { RISK_MODEL_FORMAT, RiskModel } from '../../server/src/risk/model/riskModel';
import type { HostRisk, Layer, LayerRisk, Reason, RiskState } from '../../server/src/risk/types';
import { HostDecider } from '../../server/src/watch/hostDecider';

const T0 = 1_700_000_000_000;
const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const ENV: EnvironmentConfig = {
  name: 'prod',
  range: zero,
  hosts: [{ spec: 'web-1', range: zero }],
  intervalMs: 1000,
  layers: { hardware: { perf: true, mounts: [], limits: {} }, os: { packages: true, sysctl: [], services: [] }, app: { files: [], limits: {} } },
  risk: { minor: 0.3, moderate: 0.6, severe: 0.85 },
  actions: { mode: 'auto', remediate: { restart: ['app'] }, switch: { strategy: 'nginx-upstream', upstream: 'app', blue: 'a', green: 'b' }, rollback: { strategy: 'release-symlink' } },
};
const CPU: Reason = { layer: 'hardware', source: 'stats', metric: 'cpuPct', value: 100, baseline: 8, threshold: null, score: 1, detail: 'cpuPct 100 off its band' };
const NEIGHBOUR: Cause = {
  kind: 'neighbour',
  resource: 'cpu',
  processes: [{ pid: 168, command: 'nightly-batch', share: 0.99, cpuPct: 101, rssKiB: 1024 }],
  harm: [],
  evidence: [],
  summary: 'cpu taken by pid 168 "nightly-batch" (99%), not the app; users see no harm',
};

function risk(state: RiskState, i: number): HostRisk {
  const value = state === 'severe' ? 1 : 0;
  const layer = (l: Layer): LayerRisk => ({ layer: l, value: l === 'hardware' ? value : 0, state: l === 'hardware' ? state : 'ok', reasons: l === 'hardware' && state !== 'ok' ? [CPU] : [], since: T0, consecutive: i, cumulative: i, lastSampleTs: T0 + i * 1000, held: i });
  return { host: 'web-1', ts: T0 + i * 1000, value, state, layers: { hardware: layer('hardware'), os: layer('os'), app: layer('app') }, reasons: state === 'ok' ? [] : [CPU], held: i };
}

/** A model that always says "no action": a bias for class 0 and no weights. */
function calmModel(): RiskModel {
  const d = FEATURES.length;
  const r = RiskModel.fromJSON({
    format: RISK_MODEL_FORMAT,
    version: 1,
    features: [...FEATURES],
    classes: 4,
    classifier: { kind: 'logistic', mean: new Array(d).fill(0), std: new Array(d).fill(1), weights: [0, 1, 2, 3].map(() => new Array(d).fill(0)), bias: [10, 0, 0, 0] },
    actAt: 0.5,
    domain: { min: new Array(d).fill(-1e9), max: new Array(d).fill(1e9) },
    trainedOn: { at: new Date(T0).toISOString(), episodes: 1, rows: 1, families: ['test'] },
  });
  assert.ok(r.ok);
  return r.model;
}

describe('host decider', () => {
  it('names the cause of a deviation the risk model judges harmless, and acts on nothing', () => {
    const decider = new HostDecider(new Policy(policyFromConfig(ENV, { persistence: { 1: 1, 2: 1, 3: 1 } })), { model: calmModel() }, null);
    const { decision, judgement } = decider.next(risk('severe', 5), [], null, NEIGHBOUR);
    assert.equal(judgement.decidedBy, 'model');
    assert.equal(judgement.risk.state, 'ok');
    assert.equal(decision.tier, null);
    assert.equal(decision.execute, false);
    assert.equal(decision.cause?.kind, 'neighbour');
    assert.match(decision.why, /nightly-batch.*not the app/);
    assert.match(decision.why, /risk model v1: action needed 0%/);
  });

  it('gives no cause where the detectors see nothing', () => {
    const decider = new HostDecider(new Policy(policyFromConfig(ENV, { persistence: { 1: 1, 2: 1, 3: 1 } })), { model: calmModel() }, null);
    const { decision } = decider.next(risk('ok', 5), [], null, NEIGHBOUR);
    assert.equal(decision.cause, null);
    assert.equal(decision.tier, null);
  });

  it('without a model the thresholds decide, and a neighbour still gets no app action', () => {
    const decider = new HostDecider(new Policy(policyFromConfig(ENV, { persistence: { 1: 1, 2: 1, 3: 1 } })), { model: null }, null);
    const { decision, judgement } = decider.next(risk('severe', 5), [], null, NEIGHBOUR);
    assert.equal(judgement.decidedBy, 'thresholds');
    assert.equal(decision.cause?.kind, 'neighbour');
    assert.equal(decision.execute, false);
    assert.ok(decision.tier === null || decision.blockedBy !== undefined, JSON.stringify(decision));
  });
});
