import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PrometheusConfig } from '../../server/src/config/types';
import { parseConfig } from '../../server/src/config/load';
import { observedConfig } from '../../server/src/monitor/sample';
import { assembleSamples, describeProblem, type TickResults } from '../../server/src/monitor/prometheus/assemble';
import type { RangeSeries } from '../../server/src/monitor/prometheus/client';
import { appQuery, diskQueries, fieldQueries, hostMatcher, hostName, hostSelector, promString } from '../../server/src/monitor/prometheus/queries';

const cfg: PrometheusConfig = { url: 'http://127.0.0.1:9090', label: 'instance', match: 'job="node"', app: 'job="app"', hosts: { 'web-2': '10.0.0.12' }, windowMs: 60_000 };
const hosts = ['web-1', 'web-2', 'deploy@db.example.com:2222'];

describe('Prometheus queries', () => {
  test('one selector picks every host by its label value, with any port unless one is given', () => {
    const sel = hostSelector(cfg, hosts);
    assert.equal(sel, 'instance=~"web-1(:[0-9]+)?|10\\\\.0\\\\.0\\\\.12(:[0-9]+)?|db\\\\.example\\\\.com(:[0-9]+)?", job="node"');
    const toHost = hostMatcher(cfg, hosts);
    assert.equal(toHost('web-1:9100'), 'web-1');
    assert.equal(toHost('10.0.0.12:80'), 'web-2');
    assert.equal(toHost('10.0.0.123:80'), undefined, 'a longer address is another host');
    assert.equal(toHost('db.example.com'), 'deploy@db.example.com:2222');
    assert.equal(toHost('dbxexample.com'), undefined, 'dots are literal');
    assert.equal(hostMatcher({ ...cfg, hosts: { 'web-1': 'web-1:9100' } }, ['web-1'])('web-1:80'), undefined, 'a value with a port matches that port only');
  });

  test('host names come out of ssh specs; strings are quoted for PromQL', () => {
    assert.equal(hostName('web-1'), 'web-1');
    assert.equal(hostName('deploy@web-1:2222'), 'web-1');
    assert.equal(hostName('[::1]:22'), '::1');
    assert.equal(promString('a"b\\c'), '"a\\"b\\\\c"');
  });

  test('every field is one query for all hosts, grouped by the host label', () => {
    const qs = fieldQueries(cfg, hosts);
    assert.ok(qs.every((q) => q.query.includes('by (instance)')));
    assert.ok(qs.find((q) => q.field === 'cpuPct')!.query.includes('[60s]'), 'the rate window comes from the config');
    assert.deepEqual(qs.filter((q) => !q.required).map((q) => q.field), ['ioLatencyMs']);
    assert.ok(diskQueries(cfg, hosts, ['/srv/data'])[0].query.includes('mountpoint=~"/srv/data"'));
    assert.ok(diskQueries(cfg, hosts, [])[0].query.includes('mountpoint=~"/"'), 'the agent default: /');
    assert.match(appQuery(cfg, hosts)!, /sum by \(instance, __name__\) \(\{instance=~".*", job="app", __name__!~"up\|scrape_\.\+"\}\)/);
    assert.equal(appQuery({ ...cfg, app: undefined }, hosts), undefined);
  });
});

/** One series per host and field with the same value at every step. */
function series(label: string, values: Record<string, number | string>, steps: number[], extra: Record<string, string> = {}): RangeSeries[] {
  return Object.entries(values).map(([inst, v]) => ({ metric: { [label]: inst, ...extra }, values: steps.map((t) => [t / 1000, String(v)] as [number, string]) }));
}

describe('Prometheus samples', () => {
  const steps = [1_000_000, 1_005_000, 1_010_000];
  const cfg1: PrometheusConfig = { ...cfg, hosts: {} };
  const both = { 'web-1:9100': 1, 'web-2:9100': 1 };
  const tick = (over: Partial<Record<string, Record<string, number | string>>> = {}): TickResults => ({
    fields: fieldQueries(cfg1, ['web-1', 'web-2']).map((q) => ({
      q,
      series: series('instance', over[q.field] ?? (q.field === 'memTotalKiB' ? { 'web-1:9100': 1000, 'web-2:9100': 1000 } : q.field === 'memAvailableKiB' ? { 'web-1:9100': 400, 'web-2:9100': 400 } : both), steps),
    })),
    disks: diskQueries(cfg1, ['web-1', 'web-2'], ['/srv/data']).map((q) => ({
      q,
      series: series('instance', { 'web-1:9100': q.part === 'size' ? 100 * 1024 : q.part === 'free' ? 30 * 1024 : 20 * 1024 }, steps, { mountpoint: '/srv/data' }),
    })),
    app: series('instance', { 'web-1:80': 7 }, steps, { __name__: 'errors_total' }),
  });
  const opts = { hosts: ['web-1', 'web-2'], label: 'instance', toHost: hostMatcher(cfg1, ['web-1', 'web-2']), steps, intervalMs: 5000, windowMs: 60_000, mounts: ['/srv/data'] };

  test('a sample per host and step, seq from the instant, marked as from Prometheus, with nothing it cannot see', () => {
    const { samples, problems } = assembleSamples(tick(), opts);
    assert.equal(problems.size, 0);
    const s = samples.get('web-1')!;
    assert.deepEqual(s.map((x) => x.seq), [200, 201, 202]);
    assert.equal(s[0].source, 'prometheus');
    assert.equal(s[0].host.rssKiB, 600, 'used memory: total - available');
    // used = size - free = 70, avail 20: df's used / (used + avail)
    assert.deepEqual(s[0].host.disks, [{ mount: '/srv/data', usedPct: 77.8, availKiB: 20 }]);
    assert.deepEqual(s[0].app, { process: null, health: null, metrics: { errors_total: 7 } });
    assert.equal(observedConfig(s[0]), null, 'files and the release are not seen: null, not "none"');
    assert.equal(samples.get('web-2')![0].host.disks.length, 0);
    assert.ok(samples.get('web-2')![0].notes!.some((n) => /answered for 0 of 1 mounts/.test(n)));
  });

  test('a missing series, a target that is down and no target at all are problems, never samples', () => {
    const missing = assembleSamples(tick({ processes: { 'web-1:9100': 3 } }), opts);
    assert.equal(missing.samples.get('web-2'), undefined);
    assert.deepEqual(missing.problems.get('web-2'), { kind: 'MissingSeries', series: ['node_processes_pids (node_exporter --collector.processes)'] });
    assert.match(describeProblem('web-2', missing.problems.get('web-2')!, 'x'), /no node_processes_pids/);
    const down = assembleSamples(tick({ up: { 'web-1:9100': 1, 'web-2:9100': 0 } }), opts);
    assert.deepEqual(down.problems.get('web-2'), { kind: 'TargetDown' });
    const none = assembleSamples(tick({ up: { 'web-1:9100': 1 } }), opts);
    assert.deepEqual(none.problems.get('web-2'), { kind: 'NoTarget' });
    const nan = assembleSamples(tick({ cpuPct: { 'web-1:9100': 'NaN', 'web-2:9100': 1 } }), opts);
    assert.equal(nan.problems.get('web-1')?.kind, 'MissingSeries', 'NaN is no value');
  });
});

describe('plumbline.yaml: metrics from Prometheus', () => {
  const yaml = (metrics: string): string => `environments:\n  prod:\n    hosts: [web-1, web-2]\n${metrics}`;
  test('parsed with defaults', () => {
    const r = parseConfig(yaml('    metrics:\n      source: prometheus\n      prometheus: { url: "http://127.0.0.1:9090/", match: \'job="node"\' }\n'), '/w/plumbline.yaml');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.config!.environments[0].metrics, {
      source: 'prometheus',
      prometheus: { url: 'http://127.0.0.1:9090', label: 'instance', match: 'job="node"', hosts: {}, windowMs: 60_000 },
    });
    assert.equal(parseConfig(yaml(''), '/w/plumbline.yaml').config!.environments[0].metrics, undefined, 'absent: the agent');
  });
  test('bad matchers, a missing prometheus section and unknown hosts are errors at their place', () => {
    const bad = parseConfig(yaml('    metrics:\n      source: prometheus\n      prometheus: { url: "http://p:9090", match: \'job="node"} or vector(1)\', hosts: { web-9: x } }\n'), '/w/plumbline.yaml');
    const messages = bad.errors.map((e) => e.message).join('\n');
    assert.match(messages, /label matchers/);
    assert.match(messages, /"web-9" is not a host of environment "prod"/);
    const none = parseConfig(yaml('    metrics: { source: prometheus }\n'), '/w/plumbline.yaml');
    assert.match(none.errors.map((e) => e.message).join('\n'), /prometheus/);
  });
});
