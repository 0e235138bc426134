/**
 * A worker past one workstation, measured against its single-machine peer in the same run:
 *  1. the store: one worker's writes on PostgreSQL (a cluster of the bench's own, loopback, through
 *     the synchronous worker-thread bridge) vs SQLite (a file, WAL, synchronous FULL): samples
 *     written per second as the monitor writes them (a batch of ten hosts in one transaction) and
 *     one per commit, and the store's part of a decision (read the host's snapshot, append the
 *     decision to the hash-chained audit log), p50/p95;
 *  2. host CPU with Prometheus as the source (node_exporter scraped every second) vs the SSH
 *     stream (the agent, paced by the server), with an unwatched host as the control, in the same
 *     windows; plus Prometheus' own CPU on this machine.
 * The machine may be shared: ratios within one run mean something, absolute numbers less.
 *
 *   npm run bench:fleet -- [--windows 3] [--seconds 20] [--samples 5000]
 *   needs root, and Debian's postgresql, prometheus and prometheus-node-exporter
 */
import { entryHash } from '../../server/src/audit/chain';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTable } from '../../server/src/cli/table';
import { Engine } from '../../server/src/engine/engine';
import { labDown, labUp, requireRoot } from '../../server/src/lab/lab';
import { labSshSettings } from '../../server/src/lab/workspace';
import { startPostgres, stopPostgres } from '../../server/src/lab/postgres';
import type { Monitor } from '../../server/src/monitor/monitor';
import type { Sample } from '../../server/src/monitor/sample';
import { Store } from '../../server/src/store/store';
import { flag, median, quantile, writeResults } from './benchUtil';
import { CLK, tree, treeTicks } from './procCpu';

function sample(seq: number, ts: number): Sample {
  return {
    type: 'sample',
    schema: 1,
    seq,
    ts,
    intervalMs: 1000,
    windowMs: 1000,
    host: { cpuPct: 3.1, rssKiB: 81234, memAvailableKiB: 1_000_000, memTotalKiB: 2_000_000, load1: 0.3, processes: 40, fds: 300, diskReadBps: 0, diskWriteBps: 4096, ioLatencyMs: 0.4, netRxBps: 1200, netTxBps: 900, disks: [{ mount: '/', usedPct: 41.2, availKiB: 9_000_000 }] },
    app: { process: { pids: [123], rssKiB: 50_000, cpuPct: 1.2, threads: 11, fds: 40, restarts: 0 }, health: { status: 200, latencyMs: 3 }, metrics: { requests_total: seq * 10, errors_total: 0 } },
    config: { files: { '/etc/nginx/conf.d/app.conf': 'a'.repeat(64) }, release: '/srv/app/releases/r2' },
  };
}

interface StoreResult {
  engine: string;
  batchedSamplesPerSec: number;
  singleSamplesPerSec: number;
  decisionP50Ms: number;
  decisionP95Ms: number;
}

function measureStore(engine: string, store: Store, total: number): StoreResult {
  const hosts = Array.from({ length: 10 }, (_, i) => `web-${i + 1}`);
  const t0 = 1_800_000_000_000;
  // As Monitor.write does: one transaction per batch, samples grouped by host (100 per batch).
  let seq = 0;
  let started = process.hrtime.bigint();
  while (seq < total / hosts.length) {
    const from = seq;
    seq += 10;
    store.transaction(() => {
      for (const h of hosts) store.saveSamples('bench', h, Array.from({ length: 10 }, (_, i) => sample(from + i + 1, t0 + (from + i) * 1000)));
    });
  }
  const batched = total / (Number(process.hrtime.bigint() - started) / 1e9);
  const single = Math.max(50, Math.floor(total / 20));
  started = process.hrtime.bigint();
  for (let i = 0; i < single; i++) store.saveSamples('bench', 'single', [sample(i + 1, t0 + i * 1000)]);
  const singlePerSec = single / (Number(process.hrtime.bigint() - started) / 1e9);
  store.saveSnapshot('bench', 'web-1', { takenBy: 'bench', reason: 'bench', release: { path: '/srv/app/current', target: 'r1' }, files: [] });
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    store.latestSnapshot('bench', 'web-1');
    store.appendAudit({ env: 'bench', host: 'web-1', kind: 'decision', outcome: 'decided', actor: 'policy', summary: `tier 1 remediate #${i}`, details: { i } }, entryHash);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { engine, batchedSamplesPerSec: Math.round(batched), singleSamplesPerSec: Math.round(singlePerSec), decisionP50Ms: round2(quantile(lat, 0.5)), decisionP95Ms: round2(quantile(lat, 0.95)) };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

async function storeBench(total: number): Promise<StoreResult[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-fleet-bench-'));
  const pg = await startPostgres();
  try {
    const lite = Store.open(path.join(tmp, 'plumbline.db'));
    const shared = Store.connect(pg.url);
    try {
      return [measureStore('sqlite', lite, total), measureStore('postgres', shared, total)];
    } finally {
      lite.close();
      shared.close();
    }
  } finally {
    await stopPostgres(pg);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface CpuWindow {
  agentHostMsPerS: number;
  promHostMsPerS: number;
  controlHostMsPerS: number;
  prometheusServerMsPerS: number;
  samplesAgent: number;
  samplesProm: number;
}

async function cpuBench(windows: number, seconds: number): Promise<CpuWindow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-fleet-cpu-'));
  const state = await labUp({ dir: path.join(dir, 'lab'), hosts: 3, prometheus: { scrapeIntervalMs: 1000 } });
  const engines: Engine[] = [];
  const monitors: Monitor[] = [];
  try {
    const promYaml = fs.readFileSync(path.join(state.dir, 'plumbline.yaml'), 'utf8').replace('interval: 2s', 'interval: 1s');
    const agentYaml = promYaml.replace(/ {4}metrics:\n(?: {6}.*\n)+/, '');
    fs.writeFileSync(path.join(state.dir, 'prom.yaml'), promYaml);
    fs.writeFileSync(path.join(state.dir, 'agent.yaml'), agentYaml);
    const counts = { agent: 0, prom: 0 };
    for (const [name, host] of [['agent', 'web-1'], ['prom', 'web-2']] as const) {
      // The lab's ssh_config, as a person sets it (plumbline.yaml cannot): without it the agent's host is not found.
      const o = await Engine.open({ configFile: path.join(state.dir, `${name}.yaml`), dataDir: path.join(dir, `data-${name}`), ssh: labSshSettings(state.dir) });
      if (!o.ok) throw new Error(JSON.stringify(o.error));
      engines.push(o.value);
      const m = o.value.monitor('lab', { hosts: [host], compactEveryMs: 0 });
      m.on('sample', () => counts[name]++);
      m.on('state', (h, st) => process.stderr.write(`${name} ${h}: ${JSON.stringify(st)}\n`));
      monitors.push(m);
      m.start();
    }
    await new Promise((r) => setTimeout(r, 5000));
    const init = (name: string): number => state.hosts.find((h) => h.name === name)!.initPid;
    const out: CpuWindow[] = [];
    for (let w = 0; w < windows; w++) {
      const trees = { agent: tree(init('web-1')), prom: tree(init('web-2')), control: tree(init('web-3')), server: tree(state.prometheus!.pid) };
      const before = Object.fromEntries(Object.entries(trees).map(([k, t]) => [k, treeTicks(t)]));
      const c0 = { ...counts };
      const t = Date.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const secs = (Date.now() - t) / 1000;
      // New processes (the agent's children, a respawned exporter) are counted from a fresh tree at the end.
      const after = { agent: treeTicks(tree(init('web-1'))), prom: treeTicks(tree(init('web-2'))), control: treeTicks(tree(init('web-3'))), server: treeTicks(tree(state.prometheus!.pid)) };
      const ms = (k: keyof typeof after): number => round2((((after[k] - before[k]) / CLK) * 1000) / secs);
      out.push({ agentHostMsPerS: ms('agent'), promHostMsPerS: ms('prom'), controlHostMsPerS: ms('control'), prometheusServerMsPerS: ms('server'), samplesAgent: counts.agent - c0.agent, samplesProm: counts.prom - c0.prom });
      process.stderr.write(`window ${w + 1}/${windows}: ${JSON.stringify(out[out.length - 1])}\n`);
      // A source that delivered (almost) nothing was not measured: its CPU would compare an idle host.
      const last = out[out.length - 1];
      for (const [name, n] of [['SSH stream', last.samplesAgent], ['Prometheus', last.samplesProm]] as const) {
        if (n < secs / 2) throw new Error(`window ${w + 1}: the ${name} source gave ${n} samples in ${secs.toFixed(1)} s at a 1 s interval; the comparison would measure an idle host`);
      }
    }
    return out;
  } finally {
    for (const m of monitors) await m.stop();
    for (const e of engines) await e.close();
    await labDown({ dir: path.join(dir, 'lab') });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  requireRoot();
  const windows = flag('windows', 3);
  const seconds = flag('seconds', 20);
  const total = flag('samples', 5000);
  const stores = await storeBench(total);
  const [lite, pg] = stores;
  process.stdout.write(
    `${renderTable(
      ['STORE', 'SAMPLES/S (BATCH OF 100)', 'SAMPLES/S (1 PER COMMIT)', 'DECISION STORE P50 MS', 'P95 MS'],
      stores.map((s) => [s.engine, String(s.batchedSamplesPerSec), String(s.singleSamplesPerSec), String(s.decisionP50Ms), String(s.decisionP95Ms)]),
    )}\n`,
  );
  process.stdout.write(`postgres / sqlite: batched ${round2(pg.batchedSamplesPerSec / lite.batchedSamplesPerSec)}×, one per commit ${round2(pg.singleSamplesPerSec / lite.singleSamplesPerSec)}×, decision p50 ${round2(pg.decisionP50Ms / lite.decisionP50Ms)}×\n\n`);
  const cpu = await cpuBench(windows, seconds);
  const med = (k: keyof CpuWindow): number => round2(median(cpu.map((c) => c[k])));
  const summary = {
    agentHostMsPerS: med('agentHostMsPerS'),
    promHostMsPerS: med('promHostMsPerS'),
    controlHostMsPerS: med('controlHostMsPerS'),
    prometheusServerMsPerS: med('prometheusServerMsPerS'),
    agentCollectorMsPerS: round2(median(cpu.map((c) => c.agentHostMsPerS - c.controlHostMsPerS))),
    promCollectorMsPerS: round2(median(cpu.map((c) => c.promHostMsPerS - c.controlHostMsPerS))),
  };
  process.stdout.write(
    `${renderTable(
      ['HOST (1 s INTERVAL)', 'CPU MS/S (MEDIAN)', 'OVER THE CONTROL'],
      [
        ['web-1: SSH stream (agent)', String(summary.agentHostMsPerS), String(summary.agentCollectorMsPerS)],
        ['web-2: Prometheus (node_exporter)', String(summary.promHostMsPerS), String(summary.promCollectorMsPerS)],
        ['web-3: unwatched (control)', String(summary.controlHostMsPerS), '0'],
        ['Prometheus server (this machine)', String(summary.prometheusServerMsPerS), '-'],
      ],
    )}\n`,
  );
  const file = writeResults('fleet', { machine: { cpus: os.cpus().length, load1: os.loadavg()[0], note: 'shared machine: compare within the run' }, stores, cpuWindows: cpu, cpu: summary, windows, seconds, samples: total });
  process.stdout.write(`\nwritten to ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
