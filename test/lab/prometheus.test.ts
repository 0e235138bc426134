/**
 * Prometheus as the metric source, against a real Prometheus (Debian's, on loopback) scraping
 * Debian's node_exporter inside lab hosts and the lab app's /metrics. The same disk filling on a
 * host, watched at once through Prometheus and through the agent, leads both watches to the same
 * decision; a host whose exporter stops is "no data" with a state that says why.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import { prometheusUnavailableReason, stopNodeExporter } from '../../server/src/lab/prometheus';
import type { Decision } from '../../server/src/policy';
import type { HostRisk } from '../../server/src/risk';
import { Watcher } from '../../server/src/watch/watcher';
import { labSkipReason, startLab, type LabFixture } from '../support/lab';

function skipReason(): string | undefined {
  const lab = labSkipReason();
  if (lab) return lab;
  const prom = prometheusUnavailableReason();
  if (prom && process.env.CI) throw new Error(`the Prometheus lab test must run in CI, but ${prom}`);
  return prom;
}
const skip = skipReason();

function waitFor<T>(what: string, timeoutMs: number, register: (done: (v: T) => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    off = register((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

function trained(w: Watcher, timeoutMs: number): Promise<void> {
  return waitFor(`trained detectors (${w.metricsSource})`, timeoutMs, (done) => {
    const onRisk = (): void => {
      if (w.status().every((s) => s.phase.kind === 'watching')) done(undefined);
    };
    w.on('risk', onRisk);
    return () => w.off('risk', onRisk);
  });
}

describe('Prometheus as the metric source', { skip }, () => {
  let lab: LabFixture;
  const engines: Engine[] = [];
  const watchers: Watcher[] = [];

  before(async () => {
    lab = await startLab(2, { prometheus: { scrapeIntervalMs: 1000 } });
    const promYaml = fs.readFileSync(path.join(lab.dir, 'plumbline.yaml'), 'utf8').replace('interval: 2s', 'interval: 1s').replace('mode: confirm', 'mode: suggest');
    assert.match(promYaml, /source: prometheus/, 'the lab wrote Prometheus into its workspace');
    // The same workspace without the metrics section: the agent over SSH.
    const agentYaml = promYaml.replace(/ {4}metrics:\n(?: {6}.*\n)+/, '');
    assert.doesNotMatch(agentYaml, /source: prometheus/);
    fs.writeFileSync(path.join(lab.dir, 'prom.yaml'), promYaml);
    fs.writeFileSync(path.join(lab.dir, 'agent.yaml'), agentYaml);
    for (const name of ['agent', 'prom']) {
      const opened = await Engine.open({ configFile: path.join(lab.dir, `${name}.yaml`), dataDir: path.join(lab.dir, `data-${name}`) });
      assert.ok(opened.ok, JSON.stringify(!opened.ok && opened.error));
      const b = await opened.value.baseline('lab', { reason: 'prometheus test' });
      assert.ok(b.every((o) => o.ok), JSON.stringify(b));
      engines.push(opened.value);
      watchers.push(new Watcher(opened.value, 'lab', { warmup: 30 }));
    }
    assert.equal(watchers[0].metricsSource, 'agent');
    assert.equal(watchers[1].metricsSource, 'prometheus');
    for (const w of watchers) w.start();
    await Promise.all(watchers.map((w) => trained(w, 180_000)));
  });

  after(async () => {
    for (const w of watchers) await w.stop();
    for (const e of engines) await e.close();
    await lab?.close();
  });

  it('the same filling disk gives the same decision through Prometheus and through the agent', { timeout: 240_000 }, async () => {
    const firstDecision = (w: Watcher): Promise<Decision> =>
      waitFor(`a decision on web-1 (${w.metricsSource})`, 200_000, (done) => {
        const on = (d: Decision): void => {
          if (d.host === 'web-1' && d.tier !== null) done(d);
        };
        w.on('decision', on);
        return () => w.off('decision', on);
      });
    const decided = watchers.map(firstDecision);
    let stop = false;
    const writer = (async () => {
      // 2 MB/s into web-1's data disk (96 MiB): past the 90 % limit in well under a minute.
      for (let i = 0; i < 90 && !stop; i++) {
        await lab.exec('web-1', ['dd', 'if=/dev/zero', 'of=/srv/data/cache/fill', 'bs=1M', 'count=2', 'oflag=append', 'conv=notrunc', 'status=none']);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    try {
      const [viaAgent, viaProm] = await Promise.all(decided);
      const lead = (d: Decision): string | undefined => d.reasons[0]?.metric;
      assert.equal(viaProm.tier, viaAgent.tier, `tiers: agent ${viaAgent.tier} (${viaAgent.why}), prometheus ${viaProm.tier} (${viaProm.why})`);
      assert.equal(viaProm.action, viaAgent.action);
      assert.equal(lead(viaAgent), 'diskUsedPct', viaAgent.why);
      assert.equal(lead(viaProm), 'diskUsedPct', viaProm.why);
      const audited = engines[1].auditLog().entries({ env: 'lab' }).find((e) => e.kind === 'decision' && e.host === 'web-1' && e.summary.includes('tier'));
      assert.match(audited!.summary, /metrics from prometheus/, 'the decision says where its samples came from');
    } finally {
      stop = true;
      await writer;
      await lab.exec('web-1', ['rm', '-f', '/srv/data/cache/fill']);
    }
  });

  it('a host whose exporter stops is "no data", with a state that says Prometheus cannot scrape it', { timeout: 60_000 }, async () => {
    const prom = watchers[1];
    const host = lab.state.hosts.find((h) => h.name === 'web-2')!;
    const state = waitFor<string>('a down state for web-2', 45_000, (done) => {
      const on = (h: string, st: { kind: string; error?: string }): void => {
        if (h === 'web-2' && st.kind === 'backoff') done(st.error ?? '');
      };
      prom.on('stream', on);
      return () => prom.off('stream', on);
    });
    const nodata = waitFor<HostRisk>('web-2 no data', 45_000, (done) => {
      const on = (r: HostRisk): void => {
        if (r.host === 'web-2' && r.state === 'nodata') done(r);
      };
      prom.on('risk', on);
      return () => prom.off('risk', on);
    });
    await stopNodeExporter(host);
    assert.match(await state, /web-2: Prometheus cannot scrape this host \(up = 0\)|web-2: Prometheus has no/);
    assert.equal((await nodata).reasons[0].source, 'nodata');
  });
});
