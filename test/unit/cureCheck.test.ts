import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCure } from '../../server/src/act/verify';
import type { LayerObservation } from '../../server/src/detect/layer/types';
import type { Evidence } from '../../server/src/policy/causeTypes';

const T0 = 1_700_000_000_000;
const OPTS = { limits: { 'hardware.diskUsedPct': 90 }, horizonMs: 600_000, need: 3 };
const disk: Evidence = { layer: 'hardware', metric: 'diskUsedPct', source: 'forecast', band: { low: 2, high: 2.2 }, baseline: 2, now: 70, since: T0, score: 0.8, forecast: { limit: 90, timeToBreachMs: 20_000, slopePerSec: 1 }, detail: 'fills' };
const errors: Evidence = { layer: 'app', metric: 'errorRatio', source: 'stats', band: { low: 0, high: 0.01 }, baseline: 0, now: 0.3, since: T0, score: 0.9, detail: 'errors' };
const obs = (layer: 'hardware' | 'app', metric: string, values: number[]): LayerObservation[] => values.map((v, i) => ({ ts: T0 + i * 1000, layer, metrics: { [metric]: v } }));

describe('cure check: the trigger, not the host, says whether an action cured', () => {
  it('a disk still filling is not cured, however healthy the host is', () => {
    const v = checkCure([disk], obs('hardware', 'diskUsedPct', [72, 73, 74, 75, 76]), OPTS);
    assert.equal(v.cured, false);
    assert.match(v.checks[0].detail, /rising, reaches it in 14 s/);
  });

  it('a disk back within its normal is cured; one over its limit never is', () => {
    assert.equal(checkCure([disk], obs('hardware', 'diskUsedPct', [40, 2.1, 2.1, 2.1]), OPTS).cured, true);
    assert.equal(checkCure([disk], obs('hardware', 'diskUsedPct', [95, 95, 95, 95]), OPTS).cured, false);
  });

  it('a fill that slowed to less than half its trend, under the limit, is off its trend', () => {
    assert.equal(checkCure([disk], obs('hardware', 'diskUsedPct', [50, 50.2, 50.4, 50.6]), OPTS).cured, true);
  });

  it('errors back within their normal for `need` samples are cured; a single good sample is not enough', () => {
    assert.equal(checkCure([errors], obs('app', 'errorRatio', [0.3, 0, 0, 0]), OPTS).cured, true);
    assert.equal(checkCure([errors], obs('app', 'errorRatio', [0.3, 0.2, 0]), OPTS).cured, false);
    assert.equal(checkCure([errors], obs('app', 'errorRatio', [0]), OPTS).cured, false, 'too few samples');
  });

  it('configuration evidence is the action\u2019s own verification\u2019s to judge, and no trigger is no cure', () => {
    const file: Evidence = { ...errors, source: 'config', metric: 'file:/etc/x' };
    assert.deepEqual(checkCure([file], [], OPTS).checks, []);
    assert.equal(checkCure([], [], OPTS).cured, false);
  });
});

describe('cure check: what a switch is judged by', () => {
  it('without harm, a switch is judged by what users get, not by the idle colour\u2019s resources', async () => {
    const { triggerOf } = await import('../../server/src/watch/cureWatch');
    const cpu: Evidence = { ...errors, metric: 'cpuPct', band: { low: 1, high: 5 } };
    const cause = { kind: 'app-resource' as const, resource: 'cpu' as const, summary: 'spins', evidence: [cpu], harm: [] };
    const decision = { host: 'web-1', ts: T0, tier: 2 as const, action: 'switch' as const, mode: 'auto' as const, execute: true, needsApproval: false, reasons: [], cause, cures: [], decidedBy: 'thresholds' as const, why: '' };
    assert.deepEqual(triggerOf(decision, [errors]).map((e) => e.metric), ['errorRatio']);
    assert.deepEqual(triggerOf({ ...decision, action: 'remediate', tier: 1 }, [errors]).map((e) => e.metric), ['cpuPct']);
    assert.deepEqual(triggerOf({ ...decision, cause: { ...cause, kind: 'colour-fault', colour: 'blue', other: null, harm: [errors] } }, []).map((e) => e.metric), ['errorRatio']);
  });
});
