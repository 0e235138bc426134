import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiffItem } from '../../server/src/fingerprint/diff';
import { combineScores, forecastUrgency } from '../../server/src/risk/combine';
import { SEVERITY_SCORE, configFindings } from '../../server/src/risk/configDrift';
import { Hysteresis } from '../../server/src/risk/hysteresis';
import { resolveRiskOptions, riskOptionsFromConfig } from '../../server/src/risk/options';
import { RiskTracker } from '../../server/src/risk/tracker';
import type { Finding, HostRisk, Layer, RiskOptions, RiskState } from '../../server/src/risk/types';

const INTERVAL = 5000;
const T0 = 1_700_000_000_000;
const THRESHOLDS = { minor: 0.3, moderate: 0.6, severe: 0.85 };

function options(extra: Partial<RiskOptions> = {}): RiskOptions {
  return resolveRiskOptions({ thresholds: THRESHOLDS, intervalMs: INTERVAL, ...extra });
}

function at(i: number): number {
  return T0 + i * INTERVAL;
}

function stat(i: number, score: number, layer: Layer = 'app', metric = 'app.rssKiB'): Finding {
  return { ts: at(i), layer, source: 'stats', metric, value: 900_000, baseline: 500_000, threshold: 700_000, score, detail: `${metric} far above its baseline` };
}

function forecast(i: number, timeToBreachMs: number | null, layer: Layer = 'app'): Finding {
  return {
    ts: at(i),
    layer,
    source: 'forecast',
    metric: 'app.rssKiB',
    value: 600_000,
    baseline: 500_000,
    threshold: 1_000_000,
    score: 0,
    forecast: { limit: 1_000_000, timeToBreachMs, slopePerSec: 400 },
    detail: 'app.rssKiB is rising towards its limit',
  };
}

/** Runs `intervals` updates, interval i given `findingsAt(i)`; returns every host risk. */
function run(tracker: RiskTracker, from: number, intervals: number, findingsAt: (i: number) => Finding[]): HostRisk[] {
  const out: HostRisk[] = [];
  for (let i = from; i < from + intervals; i++) out.push(tracker.update(at(i), findingsAt(i)));
  return out;
}

function states(risks: HostRisk[], layer: Layer = 'app'): RiskState[] {
  return risks.map((r) => r.layers[layer].state);
}

describe('risk: persistence', () => {
  it('a single spike does not reach moderate, and fades', () => {
    const t = new RiskTracker('web-1', options());
    const risks = run(t, 0, 10, (i) => (i === 3 ? [stat(i, 1)] : []));
    assert.ok(risks.every((r) => r.value < THRESHOLDS.moderate), risks.map((r) => r.value).join(' '));
    assert.equal(risks[3].layers.app.state, 'minor');
    assert.equal(risks[3].layers.app.consecutive, 1);
    assert.equal(risks[9].state, 'ok');
  });

  it('a single spike does not reach moderate even with a low moderate threshold and a heavy first interval', () => {
    const t = new RiskTracker('web-1', options({ thresholds: { minor: 0.2, moderate: 0.3, severe: 0.9 }, firstIntervalWeight: 1 }));
    const risks = run(t, 0, 3, (i) => (i === 1 ? [stat(i, 1)] : []));
    assert.equal(risks[1].state, 'minor');
  });

  it('a sustained anomaly climbs to severe', () => {
    const t = new RiskTracker('web-1', options());
    const risks = run(t, 0, 6, (i) => [stat(i, 0.95)]);
    assert.deepEqual(states(risks), ['minor', 'minor', 'moderate', 'moderate', 'severe', 'severe']);
    for (let i = 1; i < risks.length; i++) assert.ok(risks[i].value >= risks[i - 1].value);
    assert.equal(risks[5].layers.app.consecutive, 6);
    assert.equal(risks[5].state, 'severe');
    assert.equal(risks[5].layers.hardware.state, 'ok');
  });

  it('intermittent anomalies accumulate through the decaying cumulative count', () => {
    const t = new RiskTracker('web-1', options());
    const risks = run(t, 0, 20, (i) => (i % 2 === 0 ? [stat(i, 1)] : []));
    const last = risks[18].layers.app;
    assert.equal(last.consecutive, 1);
    assert.ok(last.cumulative > 2, String(last.cumulative));
    assert.equal(last.state, 'moderate');
  });

  it('findings below the anomaly floor do not count as anomalous intervals', () => {
    const t = new RiskTracker('web-1', options());
    const risks = run(t, 0, 10, (i) => [stat(i, 0.05)]);
    assert.equal(risks[9].layers.app.consecutive, 0);
    assert.equal(risks[9].state, 'ok');
  });
});

describe('risk: forecast', () => {
  it('a forecast breach raises risk before the value crosses its limit', () => {
    const withForecast = new RiskTracker('web-1', options());
    const without = new RiskTracker('web-2', options());
    // The value (600 MB of a 1 GB limit) is normal: no statistic fires. Only the trend says it will breach in 5 minutes.
    const a = run(withForecast, 0, 3, (i) => [forecast(i, 300_000 - i * INTERVAL)]);
    const b = run(without, 0, 3, () => []);
    assert.equal(b[2].state, 'ok');
    assert.equal(a[0].state, 'minor');
    assert.equal(a[1].state, 'moderate');
    const top = a[1].reasons[0];
    assert.equal(top.source, 'forecast');
    assert.equal(top.forecast?.timeToBreachMs, 295_000);
    assert.equal(top.forecast?.limit, 1_000_000);
  });

  it('an imminent breach is severe from its second interval', () => {
    const t = new RiskTracker('web-1', options());
    const risks = run(t, 0, 2, (i) => [forecast(i, 30_000)]);
    assert.equal(risks[1].state, 'severe');
  });

  it('a breach beyond the horizon, or none predicted, does not raise risk', () => {
    const t = new RiskTracker('web-1', options());
    const far = run(t, 0, 4, (i) => [forecast(i, 3_600_000), forecast(i, null, 'os')]);
    assert.equal(far[3].state, 'ok');
  });

  it('urgency rises as the breach comes closer and is bounded', () => {
    const o = options();
    const u = [600_000, 300_000, 120_000, 60_000, 0].map((ms) => forecastUrgency(ms, o));
    assert.equal(u[0], o.forecastFloor);
    for (let i = 1; i < u.length; i++) assert.ok(u[i] >= u[i - 1]);
    assert.equal(u[4], o.forecastCeiling);
    assert.equal(forecastUrgency(600_001, o), 0);
    assert.equal(forecastUrgency(null, o), 0);
  });
});

describe('risk: hysteresis', () => {
  it('does not flap on a value oscillating around a threshold', () => {
    const h = new Hysteresis(THRESHOLDS, 0.1, 3);
    const levels = [0.58, 0.62, 0.57, 0.63, 0.55, 0.61, 0.59, 0.62].map((v) => h.step(v));
    assert.deepEqual(levels, [1, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('comes down only after the value stays below threshold − margin for the required intervals', () => {
    const h = new Hysteresis(THRESHOLDS, 0.1, 3);
    assert.equal(h.step(0.9), 3);
    assert.deepEqual([0.7, 0.7, 0.78, 0.7, 0.7].map((v) => h.step(v)), [3, 3, 3, 3, 3], 'a value within the margin restarts the count');
    assert.equal(h.step(0.7), 2);
    assert.deepEqual([0.1, 0.1, 0.1].map((v) => h.step(v)), [2, 2, 0]);
  });

  it('a tracker holds its state, and its reasons, after the evidence stops, then comes down', () => {
    const t = new RiskTracker('web-1', options());
    run(t, 0, 5, (i) => [stat(i, 1)]);
    const after = run(t, 5, 4, () => []);
    assert.deepEqual(states(after), ['severe', 'severe', 'ok', 'ok']);
    assert.equal(after[0].reasons[0].metric, 'app.rssKiB', 'the reasons that raised the state stay while it is held');
    assert.equal(after[2].reasons.length, 0);
    assert.equal(after[2].layers.app.since, at(7));
  });

  it('a risk value oscillating around moderate keeps a moderate state in the tracker', () => {
    const t = new RiskTracker('web-1', options());
    const drift = (i: number, score: number): Finding => ({ ...stat(i, score, 'os', 'os.sysctl.vm.swappiness'), source: 'config' });
    t.setConfigDrift([drift(0, 0.55)]);
    // The value alternates 0.55, 0.62, 0.55, ... around the moderate threshold (0.6).
    const risks = run(t, 0, 12, (i) => (i % 2 === 1 ? [drift(i, 0.62)] : []));
    assert.deepEqual(
      risks.slice(0, 4).map((r) => r.value),
      [0.55, 0.62, 0.55, 0.62],
    );
    assert.deepEqual(states(risks, 'os'), ['minor', ...Array<RiskState>(11).fill('moderate')]);
  });
});

describe('risk: no data', () => {
  it('is nodata after k missed intervals, never ok, and recovers', () => {
    const t = new RiskTracker('web-1', options());
    const risks: HostRisk[] = [t.update(at(0), [])];
    for (let i = 1; i <= 5; i++) risks.push(t.update(at(i), [], { sampleSeen: false }));
    assert.deepEqual(
      risks.map((r) => r.state),
      ['ok', 'ok', 'ok', 'ok', 'nodata', 'nodata'],
    );
    const r = risks[4];
    assert.equal(r.reasons[0].source, 'nodata');
    assert.equal(r.reasons[0].metric, 'samples');
    assert.equal(r.reasons[0].value, 20);
    assert.equal(r.layers.app.state, 'nodata');
    assert.equal(r.layers.app.lastSampleTs, at(0));
    assert.equal(risks[5].held, 2);
    const back = t.update(at(6), []);
    assert.equal(back.state, 'ok');
    assert.equal(back.reasons.length, 0);
    assert.equal(back.layers.os.since, at(6));
  });

  it('is nodata before the first sample', () => {
    const t = new RiskTracker('web-1', options());
    const r = t.update(at(0), [], { sampleSeen: false });
    assert.equal(r.state, 'nodata');
    assert.match(r.reasons[0].detail, /since watching began/);
  });

  it('honours a configured no-data window', () => {
    const t = new RiskTracker('web-1', options({ noDataAfterMs: 6000 }));
    t.update(at(0), []);
    assert.equal(t.update(at(1), [], { sampleSeen: false }).state, 'ok');
    assert.equal(t.update(at(2), [], { sampleSeen: false }).state, 'nodata');
  });

  it('a severe layer that was elevated before the gap does not read as ok when data returns with the anomaly gone', () => {
    const t = new RiskTracker('web-1', options());
    run(t, 0, 5, (i) => [stat(i, 1)]);
    for (let i = 5; i < 10; i++) t.update(at(i), [], { sampleSeen: false });
    assert.equal(t.current()?.state, 'nodata');
    assert.equal(t.current()?.layers.app.value, 1, 'the last value from data is kept');
    const back = t.update(at(10), [stat(10, 1)]);
    assert.notEqual(back.state, 'ok');
  });
});

describe('risk: config drift', () => {
  function item(severity: DiffItem['severity'], path: string): DiffItem {
    return { layer: 'os', kind: 'sysctl', change: 'changed', path, old: 128, new: 4096, severity };
  }

  it('maps diff severity to a score, and skips info', () => {
    assert.deepEqual(SEVERITY_SCORE, { info: 0, low: 0.2, medium: 0.45, high: 0.7, critical: 0.95 });
    const items = (['info', 'low', 'medium', 'high', 'critical'] as const).map((s) => item(s, `os.sysctl.${s}`));
    const findings = configFindings(items, at(0));
    assert.deepEqual(
      findings.map((f) => [f.metric, f.score, f.source, f.value, f.baseline]),
      [
        ['os.sysctl.low', 0.2, 'config', 4096, 128],
        ['os.sysctl.medium', 0.45, 'config', 4096, 128],
        ['os.sysctl.high', 0.7, 'config', 4096, 128],
        ['os.sysctl.critical', 0.95, 'config', 4096, 128],
      ],
    );
  });

  it('counts fully at once, by severity', () => {
    const expect: [DiffItem['severity'], RiskState][] = [
      ['low', 'ok'],
      ['medium', 'minor'],
      ['high', 'moderate'],
      ['critical', 'severe'],
    ];
    for (const [severity, state] of expect) {
      const t = new RiskTracker('web-1', options());
      t.setConfigDrift(configFindings([item(severity, 'os.sysctl.x')], at(0)));
      const r = t.update(at(0), []);
      assert.equal(r.layers.os.state, state, severity);
      assert.equal(r.layers.os.value, SEVERITY_SCORE[severity]);
    }
  });

  it('stands until replaced, and many changes add only a bounded amount', () => {
    const t = new RiskTracker('web-1', options());
    const five = [1, 2, 3, 4, 5].map((n) => ({ ...item('medium', `os.packages.p${n}`), kind: 'package' as const }));
    t.setConfigDrift(configFindings(five, at(0)));
    const r = run(t, 0, 3, () => []);
    assert.ok(r[2].value <= 0.45 + 0.2 + 1e-9, String(r[2].value));
    assert.equal(r[2].layers.os.reasons.length, 5);
    t.setConfigDrift([]);
    const after = run(t, 3, 3, () => []);
    assert.equal(after[2].state, 'ok');
  });

  it('config findings passed to update count for that interval', () => {
    const t = new RiskTracker('web-1', options());
    const r = t.update(at(0), configFindings([item('high', 'os.sysctl.y')], at(0)));
    assert.equal(r.layers.os.state, 'moderate');
  });
});

describe('risk: reasons and host value', () => {
  it('carries every field of a finding and sorts reasons by score, across layers', () => {
    const t = new RiskTracker('web-1', options());
    const findings = (i: number): Finding[] => [stat(i, 0.5, 'hardware', 'hw.ioLatencyMs'), stat(i, 0.9, 'app', 'app.cpuPct'), stat(i, 0.7, 'app', 'app.fds'), forecast(i, 120_000, 'os')];
    const r = run(t, 0, 3, findings)[2];
    const scores = r.reasons.map((x) => x.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.deepEqual(
      r.layers.app.reasons.map((x) => x.metric),
      ['app.cpuPct', 'app.fds'],
    );
    assert.equal(r.reasons.length, 4);
    const hw = r.reasons.find((x) => x.metric === 'hw.ioLatencyMs');
    assert.deepEqual({ ...hw, score: 0 }, { layer: 'hardware', source: 'stats', metric: 'hw.ioLatencyMs', value: 900_000, baseline: 500_000, threshold: 700_000, score: 0, detail: 'hw.ioLatencyMs far above its baseline' });
    assert.ok(!('ts' in (hw ?? {})));
    assert.equal(r.value, Math.max(r.layers.app.value, r.layers.os.value, r.layers.hardware.value));
    assert.equal(r.state, [r.layers.app.state, r.layers.os.state].includes('severe') ? 'severe' : 'moderate');
  });

  it('is deterministic', () => {
    const go = () => {
      const t = new RiskTracker('web-1', options());
      return run(t, 0, 12, (i) => (i % 3 === 0 ? [stat(i, 0.8), forecast(i, 200_000)] : [stat(i, 0.4, 'os', 'os.load1')]));
    };
    assert.deepEqual(go(), go());
  });

  it('host held counts intervals at the state or worse, by value within the margin', () => {
    const t = new RiskTracker('web-1', options());
    const r = run(t, 0, 8, (i) => [stat(i, i < 5 ? 1 : 0.7)]);
    assert.deepEqual(states(r), ['minor', 'minor', 'moderate', 'severe', 'severe', 'severe', 'severe', 'moderate']);
    assert.deepEqual(
      r.map((x) => x.held),
      [1, 2, 1, 1, 2, 0, 0, 6],
    );
  });
});

describe('risk: combining and options', () => {
  it('combines to at least the strongest score, bounded by the cap and 1', () => {
    assert.equal(combineScores([], 0.2), 0);
    assert.equal(combineScores([0.5], 0.2), 0.5);
    const c = combineScores([0.5, 0.5, 0.5], 0.2);
    assert.ok(c > 0.5 && c <= 0.7);
    assert.equal(combineScores([1, 1], 0.2), 1);
    assert.equal(combineScores([2, -1, Number.NaN], 0.2), 1);
  });

  it('takes thresholds and interval from the environment and rejects nonsense', () => {
    const o = riskOptionsFromConfig({ risk: { minor: 0.2, moderate: 0.5, severe: 0.8 }, intervalMs: 1000 });
    assert.equal(o.noDataAfterMs, 3000);
    assert.equal(o.thresholds.moderate, 0.5);
    assert.throws(() => resolveRiskOptions({ thresholds: { minor: 0.6, moderate: 0.5, severe: 0.8 }, intervalMs: 1000 }), RangeError);
    assert.throws(() => resolveRiskOptions({ thresholds: THRESHOLDS, intervalMs: 0 }), RangeError);
  });
});
