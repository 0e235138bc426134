import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkSpec, predict, type BoostedSpec } from '../../server/src/risk/model/classifiers';
import { FEATURES, FeatureTracker } from '../../server/src/risk/model/features';
import { RiskJudge } from '../../server/src/risk/model/judge';
import { UPDATED_MODEL_NAME, loadRiskModel, shippedRiskModel } from '../../server/src/risk/model/load';
import { RISK_MODEL_FORMAT, RiskModel, type RiskModelFile } from '../../server/src/risk/model/riskModel';
import { fitBoosted, fitLogistic, type Row } from '../../server/src/risk/model/train';
import { updateFromFeedback } from '../../server/src/risk/model/update';
import type { Finding, HostRisk, Layer, LayerRisk, RiskState } from '../../server/src/risk/types';
import { rng } from '../support/random';

const T0 = 1_700_000_000_000;
const THRESHOLDS = { minor: 0.3, moderate: 0.6, severe: 0.85 };
const D = FEATURES.length;
const at = (name: string): number => FEATURES.indexOf(name as (typeof FEATURES)[number]);

function layer(l: Layer, state: RiskState = 'ok', value = 0): LayerRisk {
  return { layer: l, value, state, reasons: [], since: T0, consecutive: 0, cumulative: 0, lastSampleTs: T0, held: 1 };
}

function hostRisk(i: number, state: RiskState = 'ok', value = 0): HostRisk {
  return { host: 'web-1', ts: T0 + i * 1000, value, state, layers: { hardware: layer('hardware'), os: layer('os'), app: layer('app', state, value) }, reasons: [], held: 1 };
}

function finding(layer: Layer, metric: string, value: number, baseline: number, score: number, source: Finding['source'] = 'stats'): Finding {
  return { ts: T0, layer, source, metric, value, baseline, threshold: null, score, detail: `${metric} off` };
}

/** Rows where feature `k` above 0.5 means tier `tier`, else no action. */
function separable(n: number, k: number, tier: 1 | 2 | 3, seed: number): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: D }, () => r() * 0.2);
    x[k] = r();
    return { x, y: x[k] > 0.5 ? tier : 0, w: 1 };
  });
}

function fileFor(classifier: RiskModelFile['classifier'], rows: Row[], version = 1): RiskModelFile {
  return {
    format: RISK_MODEL_FORMAT,
    version,
    features: [...FEATURES],
    classes: 4,
    classifier,
    actAt: 0.5,
    domain: { min: FEATURES.map((_, i) => Math.min(...rows.map((r) => r.x[i]))), max: FEATURES.map((_, i) => Math.max(...rows.map((r) => r.x[i]))) },
    trainedOn: { at: new Date(T0).toISOString(), episodes: 1, rows: rows.length, families: ['toy'] },
  };
}

const accuracy = (spec: RiskModelFile['classifier'], rows: Row[]): number => {
  const argmax = (p: number[]): number => p.indexOf(Math.max(...p));
  return rows.filter((r) => argmax(predict(spec, r.x)) === r.y).length / rows.length;
};

describe('risk model classifiers', () => {
  it('logistic regression learns a separable rule and generalises to new rows', () => {
    const spec = fitLogistic(separable(400, at('harm'), 2, 1), { epochs: 300 });
    assert.ok(accuracy(spec, separable(200, at('harm'), 2, 2)) >= 0.95);
    const p = predict(spec, new Array<number>(D).fill(0.1));
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it('boosted trees learn an interaction logistic regression cannot (act only when two features hold together)', () => {
    const make = (n: number, seed: number): Row[] => {
      const r = rng(seed);
      return Array.from({ length: n }, () => {
        const x = new Array<number>(D).fill(0);
        x[at('release.changed')] = r() < 0.5 ? 1 : 0;
        x[at('harm')] = r() < 0.5 ? 0.9 : 0;
        // A release change with harm: roll back; harm alone: switch; a release alone: nothing.
        const y = x[at('harm')] > 0 ? (x[at('release.changed')] > 0 ? 3 : 2) : 0;
        return { x, y, w: 1 };
      });
    };
    const boosted = fitBoosted(make(400, 3), { rounds: 20 });
    assert.equal(accuracy(boosted, make(200, 4)), 1);
    assert.equal(checkSpec(boosted, D, 4), null);
  });

  it('checks shapes: a tree pointing outside itself, or weights of the wrong size, is refused', () => {
    const bad: BoostedSpec = { kind: 'boosted', base: [0, 0, 0, 0], learningRate: 0.1, trees: [[0, 1, 2, 3].map(() => ({ feature: [0], threshold: [0.5], left: [5], right: [6], value: [0] }))] };
    assert.match(checkSpec(bad, D, 4) ?? '', /bad node/);
    assert.match(checkSpec({ kind: 'logistic', mean: [0], std: [1], weights: [[0]], bias: [0] }, D, 4) ?? '', /mean/);
  });
});

describe('risk model files', () => {
  const rows = separable(200, at('harm'), 2, 5);
  const good = fileFor(fitLogistic(rows, { epochs: 50 }), rows);

  it('refuses another feature list, format or class count, and says why', () => {
    assert.match((RiskModel.fromJSON({ ...good, features: ['a'] }) as { error: string }).error, /other features/);
    assert.match((RiskModel.fromJSON({ ...good, format: 'x' }) as { error: string }).error, /format/);
    assert.match((RiskModel.fromJSON({ ...good, classes: 3 }) as { error: string }).error, /classes/);
    assert.ok(RiskModel.fromJSON(good).ok);
  });

  it('the shipped model loads; a model file that does not parse is an error and no model, never a crash', () => {
    const shipped = shippedRiskModel();
    assert.ok(shipped.model, shipped.error);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-riskmodel-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.json'), '{ not json');
      const broken = loadRiskModel({ file: path.join(dir, 'broken.json') });
      assert.equal(broken.model, null);
      assert.match(broken.error ?? '', /broken\.json/);
      // An update derived from an older shipped version loses to the shipped model.
      fs.writeFileSync(path.join(dir, UPDATED_MODEL_NAME), JSON.stringify({ ...good, version: 99, trainedOn: { ...good.trainedOn, from: 0 } }));
      assert.equal(loadRiskModel({ dataDir: dir }).model?.version, shipped.model!.version);
      fs.writeFileSync(path.join(dir, UPDATED_MODEL_NAME), JSON.stringify({ ...good, version: 99, trainedOn: { ...good.trainedOn, from: shipped.model!.version } }));
      assert.equal(loadRiskModel({ dataDir: dir }).model?.version, 99);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('features', () => {
  it('name harm users see, a resource beside the app, and a release change with its age', () => {
    const t = new FeatureTracker();
    const release = { now: 'releases/r3', baseline: 'releases/r2', snapshot: 'releases/r2' };
    const x0 = t.next({ risk: hostRisk(0), findings: [finding('app', 'errorRatio', 0.3, 0, 0.8), finding('hardware', 'cpuPct', 90, 5, 0.7)], release, baselineAt: T0 });
    assert.ok(x0[at('harm')] >= 0.8);
    assert.ok(x0[at('harm.errors')] > 0.5);
    assert.ok(x0[at('host.beside')] >= 0.7, 'the host is busy and the app is not');
    assert.equal(x0[at('release.changed')], 1);
    assert.equal(x0[at('release.recent')], 1);
    const later = t.next({ risk: hostRisk(600), findings: [], release, baselineAt: T0 });
    assert.ok(later[at('release.recent')] < 0.5, 'ten minutes later the release is no longer recent');
    assert.equal(later[at('harm')], 0);
    // Latency that improved is no harm, however unusual.
    const better = t.next({ risk: hostRisk(601), findings: [finding('app', 'healthLatencyMs', 2, 40, 0.9)], release, baselineAt: T0 });
    assert.equal(better[at('harm')], 0);
    for (const x of [x0, later, better]) assert.ok(x.every((v) => v >= 0 && v <= 1));
  });
});

describe('the judge', () => {
  const rows = separable(300, at('harm'), 2, 7);
  // Trained on everything but disks: a disk finding is outside its domain.
  const file = fileFor(fitLogistic(rows, { epochs: 300 }), rows);
  file.domain = { min: FEATURES.map(() => 0), max: FEATURES.map((n) => (n === 'disk' ? 0 : 1)) };
  const model = (RiskModel.fromJSON(file) as { model: RiskModel }).model;
  const harm = [finding('app', 'errorRatio', 0.45, 0, 0.9)];
  const release = { now: 'r2', baseline: 'r2', snapshot: 'r2' };

  it('without a model, the thresholds decide and say why', () => {
    const j = new RiskJudge(null, THRESHOLDS, 'no model shipped').judge({ risk: hostRisk(0, 'severe', 0.9), findings: harm, release, baselineAt: T0 });
    assert.equal(j.decidedBy, 'thresholds');
    assert.equal(j.risk.state, 'severe');
    assert.match(j.note, /no model shipped/);
  });

  it('maps the model to a level inside the thresholds band, and counts its persistence', () => {
    const judge = new RiskJudge(model, THRESHOLDS);
    const a = judge.judge({ risk: hostRisk(0, 'severe', 0.95), findings: harm, release, baselineAt: T0 });
    const b = judge.judge({ risk: hostRisk(1, 'severe', 0.95), findings: harm, release, baselineAt: T0 });
    assert.equal(a.decidedBy, 'model');
    assert.equal(b.risk.state, 'moderate', 'the model says tier 2 even though the thresholds say severe');
    assert.ok(b.risk.value >= THRESHOLDS.moderate && b.risk.value < THRESHOLDS.severe);
    assert.equal(b.risk.held, 2);
    const quiet = judge.judge({ risk: hostRisk(2, 'minor', 0.35), findings: [], release, baselineAt: T0 });
    assert.equal(quiet.risk.state, 'ok');
    assert.ok(quiet.risk.value < THRESHOLDS.minor);
  });

  it('outside its training domain, or without data, the thresholds decide', () => {
    const judge = new RiskJudge(model, THRESHOLDS);
    const odd = judge.judge({ risk: hostRisk(0, 'moderate', 0.7), findings: [finding('hardware', 'diskUsedPct', 95, 10, 0.9)], release, baselineAt: T0 });
    assert.equal(odd.decidedBy, 'thresholds');
    assert.match(odd.note, /training domain.*disk/);
    const silent = judge.judge({ risk: hostRisk(1, 'nodata', 0), findings: [], release, baselineAt: T0 });
    assert.equal(silent.decidedBy, 'thresholds');
  });
});

describe('feedback', () => {
  it('"expected" feedback on a pattern lowers the model\'s wish to act on it; the version and the domain move', () => {
    const rows = separable(300, at('harm'), 2, 11);
    const base = fileFor(fitLogistic(rows, { epochs: 300 }), rows, 4);
    const pattern = new Array<number>(D).fill(0.1);
    pattern[at('harm')] = 0.8;
    pattern[at('traffic.up')] = 1;
    const before = predict(base.classifier, pattern);
    const updated = updateFromFeedback(base, Array.from({ length: 30 }, () => ({ features: pattern, label: 0 as const })))!;
    const after = predict(updated.classifier, pattern);
    assert.ok(1 - after[0] < 1 - before[0] - 0.2, `P(act) ${(1 - before[0]).toFixed(2)} → ${(1 - after[0]).toFixed(2)}`);
    assert.equal(updated.version, 5);
    assert.equal(updated.trainedOn.from, 4);
    assert.equal(updated.trainedOn.feedback, 30);
    assert.equal(updated.domain.max[at('traffic.up')], 1);
    // The rule it learnt still holds where no feedback said otherwise.
    const plain = new Array<number>(D).fill(0.1);
    plain[at('harm')] = 0.9;
    assert.ok(1 - predict(updated.classifier, plain)[0] > 0.5);
  });
});
