import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../server/src/config/load';
import { policyFromConfig } from '../../server/src/policy';

const yaml = (actions: string): string => `environments:
  prod:
    hosts: [web-1]
    interval: 5s
    actions:
${actions}`;

describe('policy knobs in plumbline.yaml', () => {
  it('reach the policy: shadow, concurrency, escalation, no-data, persistence and cooldown per tier', () => {
    const { config, errors } = parseConfig(
      yaml(`      mode: auto
      shadow: true
      maxConcurrent: 2
      escalateAfter: 90s
      noData: treat-as-severe
      persistence: { remediate: 3, rollback: 2 }
      cooldown: { switch: 5m }
      remediate: { restart: [app] }
      rollback: { strategy: command, command: [/srv/app/bin/rollback] }
`),
      '/w/plumbline.yaml',
    );
    assert.deepEqual(errors, []);
    const p = policyFromConfig(config!.environments[0]);
    assert.equal(p.mode, 'auto');
    assert.equal(p.shadow, true);
    assert.equal(p.maxConcurrent, 2);
    assert.equal(p.escalateAfterMs, 90_000);
    assert.equal(p.noData, 'treat-as-severe');
    assert.deepEqual(p.persistence, { 1: 3, 2: 2, 3: 2 });
    assert.equal(p.cooldownMs[2], 300_000);
    assert.equal(p.cooldownMs[1], 10 * 60_000, 'unset tiers keep their default');
    assert.deepEqual(p.configured, { remediate: true, switch: false, rollback: true });
  });

  it('defaults when absent', () => {
    const { config } = parseConfig(yaml('      mode: confirm\n'), '/w/plumbline.yaml');
    const p = policyFromConfig(config!.environments[0]);
    assert.equal(p.shadow, false);
    assert.equal(p.maxConcurrent, 1);
    assert.equal(p.noData, 'alert');
  });

  it('points at a bad knob with line and column', () => {
    const { errors } = parseConfig(yaml('      mode: auto\n      maxConcurrent: 0\n      cooldown: { restart: 5m }\n'), '/w/plumbline.yaml');
    const at = errors.map((e) => [e.range.start.line + 1, e.range.start.character + 1]);
    assert.deepEqual(at, [
      [7, 22],
      [8, 19],
    ]);
    assert.match(errors[1].message, /unknown key "restart"/);
  });
});

describe('limits in plumbline.yaml', () => {
  it('become forecast limits in the metrics units', () => {
    const { config, errors } = parseConfig(
      `environments:
  prod:
    hosts: [web-1]
    layers:
      hardware: { limits: { disk: 90 } }
      app: { limits: { memory: 512MiB, latency: 750ms, fds: 4096 } }
`,
      '/w/plumbline.yaml',
    );
    assert.deepEqual(errors, []);
    const env = config!.environments[0];
    assert.deepEqual(env.layers.app.limits, { rssKiB: 512 * 1024, healthLatencyMs: 750, fds: 4096 });
    assert.deepEqual(env.layers.hardware.limits, { diskUsedPct: 90 });
  });

  it('rejects a size without a unit, at its position', () => {
    const { errors } = parseConfig('environments:\n  prod:\n    hosts: [web-1]\n    layers:\n      app: { limits: { memory: 512 } }\n', '/w/plumbline.yaml');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].range.start.line, 4);
    assert.match(errors[0].message, /512MiB/);
  });
});
