/**
 * The server's cost per watched host: one `watch` (the Watcher with its Monitor, HostStreams,
 * sample parser, SQLite store writes, metric and layer detectors, forecasts, risk, cause and
 * policy in shadow) fed by simulated host streams at a 1 s interval, each a stream of agent lines
 * as the agent prints them, handed to the parser through the SSH seam (`StreamOpener`): only SSH
 * and the agent are simulated. Each size runs in a fresh process (so one size's heap does not
 * carry into the next) and is measured once every host is watching: CPU of the process over the
 * window (user + system), RSS and heap after GC, event-loop delay, and the samples that arrived.
 * Per host: the total over the hosts, and the marginal cost between the smallest and the largest
 * size (what one more host adds).
 *
 *   npm run bench:server -- [--hosts 10,100,1000] [--seconds 60] [--settle 20]
 *
 * Not in it: config drift (the simulated hosts have no baseline fingerprint), actions (shadow).
 * The same watch on 10 real lab hosts is `watch` in the fleet and collector benches.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ActionReport } from '../../server/src/act/types';
import * as tf from '@tensorflow/tfjs-core';
import { renderTable } from '../../server/src/cli/table';
import { parseConfig } from '../../server/src/config/load';
import { ok } from '../../server/src/common/result';
import { Monitor } from '../../server/src/monitor/monitor';
import type { StreamOpener } from '../../server/src/monitor/hostStream';
import type { Sample } from '../../server/src/monitor/sample';
import { Store } from '../../server/src/store/store';
import { Watcher, type WatchEngine } from '../../server/src/watch/watcher';
import { gauss, rng } from '../support/random';
import { flag, writeResults } from './benchUtil';

const INTERVAL_MS = 1000;
/** The share of expected samples that must reach the watch for a size to count as kept up with. */
const KEPT_UP = 0.9;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

interface SizeResult {
  hosts: number;
  /** Time from start until every host was watching (learned and trained). */
  readyMs: number;
  seconds: number;
  /** Samples that reached the watch in the window, and the share of those expected. */
  samples: number;
  arrived: number;
  cpuPctOfCore: number;
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  loopDelayP99Ms: number;
  decisions: number;
  /** What the layer models hold in tfjs (tensors and their bytes), beside the backend's own heap in `externalMiB`. */
  tfTensors: number;
  tfMiB: number;
}

/** One host's agent: plausible values that wander, counters that grow, the fields the agent sends. */
function hostSimulator(index: number): () => Sample {
  const r = rng(1000 + index);
  const g = (): number => gauss(r);
  let seq = 0;
  let requests = 0;
  let errors = 0;
  let diskUsed = 40 + 10 * r();
  let rss = 80_000 + 20_000 * r();
  const base = { cpu: 5 + 30 * r(), latency: 3 + 5 * r(), rate: 20 + 200 * r() };
  return () => {
    seq++;
    const t = seq / 300;
    const load = 1 + 0.3 * Math.sin(t + index);
    const rate = Math.max(0, base.rate * load * (1 + 0.05 * g()));
    requests += Math.round(rate);
    errors += r() < 0.01 ? 1 : 0;
    diskUsed += 0.0001 * r();
    rss += 50 * g();
    return {
      type: 'sample',
      schema: 1,
      seq,
      ts: Date.now(),
      intervalMs: INTERVAL_MS,
      windowMs: INTERVAL_MS,
      host: {
        cpuPct: Math.max(0, base.cpu * load + 2 * g()),
        rssKiB: 900_000 + 10_000 * g(),
        memAvailableKiB: 2_000_000 + 20_000 * g(),
        memTotalKiB: 4_000_000,
        load1: Math.max(0, 0.5 * load + 0.1 * g()),
        processes: 120 + Math.round(2 * g()),
        fds: 1400 + Math.round(10 * g()),
        diskReadBps: Math.max(0, 20_000 + 5_000 * g()),
        diskWriteBps: Math.max(0, 80_000 * load + 10_000 * g()),
        ioLatencyMs: Math.max(0.05, 0.5 + 0.05 * g()),
        netRxBps: Math.max(0, 50_000 * load + 5_000 * g()),
        netTxBps: Math.max(0, 200_000 * load + 20_000 * g()),
        disks: [{ mount: '/', usedPct: diskUsed, availKiB: Math.round((100 - diskUsed) * 100_000) }],
        top: [{ pid: 900 + index, comm: 'cron', cpuPct: Math.max(0, 0.5 + 0.2 * g()), rssKiB: 3000 }],
      },
      app: {
        process: { pids: [1000 + index], rssKiB: Math.round(rss), cpuPct: Math.max(0, base.cpu * 0.6 * load + g()), threads: 12, fds: 60 + Math.round(g()), restarts: 0 },
        health: { status: 200, latencyMs: Math.max(0.2, base.latency * load + 0.3 * g()) },
        metrics: { requests_total: requests, errors_total: errors },
      },
      config: { files: { '/etc/nginx/conf.d/app.conf': 'a'.repeat(64), '/srv/app/shared/app.env': 'b'.repeat(64) }, release: '/srv/app/releases/r1' },
    };
  };
}

/**
 * The SSH seam: `stream` opens one simulated agent per host that prints a JSON line per interval,
 * started at a random phase in the interval as real hosts are.
 */
function simulatedHosts(): StreamOpener {
  let index = 0;
  const sims = new Map<string, () => Sample>();
  return {
    stream: async (host, _argv, onLine) => {
      let sim = sims.get(host);
      if (!sim) sims.set(host, (sim = hostSimulator(index++)));
      const next = sim;
      let timer: NodeJS.Timeout | undefined;
      let finish!: () => void;
      const done = new Promise<{ code: number; signal: null; stdout: string; stderr: string }>((resolve) => (finish = () => resolve({ code: 0, signal: null, stdout: '', stderr: '' })));
      const start = setTimeout(() => {
        onLine(JSON.stringify(next()));
        timer = setInterval(() => onLine(JSON.stringify(next())), INTERVAL_MS);
      }, Math.random() * INTERVAL_MS);
      return ok({
        close: () => {
          clearTimeout(start);
          clearInterval(timer);
          finish();
        },
        done: done as never,
      });
    },
  };
}

function yamlFor(hosts: string[]): string {
  return `environments:
  sim:
    hosts: [${hosts.join(', ')}]
    interval: 1s
    layers:
      hardware: { mounts: [/], limits: { disk: 90 } }
      app:
        release: /srv/app/current
        health: http://127.0.0.1/healthz
        limits: { memory: 512MiB, latency: 500ms }
        process: app
        metrics: http://127.0.0.1/metrics
    actions:
      mode: auto
      shadow: true
      remediate: { restart: [app] }
      rollback: { strategy: release-symlink }
`;
}

async function child(n: number, seconds: number, settleS: number): Promise<SizeResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-server-bench-'));
  const hosts = Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(4, '0')}`);
  const { config, errors } = parseConfig(yamlFor(hosts), path.join(dir, 'plumbline.yaml'));
  if (!config || errors.length) throw new Error(`bench config: ${JSON.stringify(errors)}`);
  const env = config.environments[0];
  const store = Store.open(path.join(dir, 'store.db'));
  const opener = simulatedHosts();
  const engine: WatchEngine = {
    dataDir: dir,
    store: {
      activeBaseline: () => undefined,
      latestSnapshot: () => undefined,
      saveRiskFeedback: () => 0,
      riskFeedback: () => [],
    },
    environment: () => env,
    monitor: (envName, o) => new Monitor({ env: envName, hosts: o?.hosts ?? hosts, opener, store, argv: () => ['plumbline-agent', 'stream'], intervalMs: INTERVAL_MS, source: 'stream' }),
    auditLog: () => ({ record: () => undefined }),
    act: async (envName, host, kind, opts): Promise<ActionReport> => ({
      env: envName,
      host,
      action: kind,
      dryRun: true,
      status: 'done',
      message: 'shadow',
      reasons: opts.reasons ?? [],
      steps: [],
      timings: { lockWaitMs: 0, actionMs: 0, verifyMs: 0, totalMs: 0 },
    }),
    rebaseline: async () => ({ ok: false, error: { kind: 'Bench', message: 'no baselines in the bench' } }),
  };
  const watcher = new Watcher(engine, env.name);
  let samples = 0;
  let decisions = 0;
  watcher.on('decision', () => decisions++);
  const counting = (): void => void samples++;
  const started = Date.now();
  watcher.start();
  // Every host learned and trained.
  const watching = (): boolean => watcher.status().every((h) => h.phase.kind === 'watching');
  while (!watching()) await new Promise((r) => setTimeout(r, 500));
  const readyMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, settleS * 1000));
  (watcher as unknown as { monitor: Monitor }).monitor.on('sample', counting);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  delay.disable();
  gc();
  const mem = process.memoryUsage();
  const tfm = tf.memory();
  await watcher.stop();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    hosts: n,
    readyMs,
    seconds: wall / 1000,
    samples,
    arrived: samples / (n * (wall / INTERVAL_MS)),
    cpuPctOfCore: (100 * (cpu.user + cpu.system)) / 1000 / wall,
    rssMiB: mem.rss / 2 ** 20,
    heapMiB: mem.heapUsed / 2 ** 20,
    externalMiB: (mem.external + mem.arrayBuffers) / 2 ** 20,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    decisions,
    tfTensors: tfm.numTensors,
    tfMiB: tfm.numBytes / 2 ** 20,
  };
}

function runChild(n: number, seconds: number, settle: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', __filename, '--child', String(n), '--seconds', String(seconds), '--settle', String(settle)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`${n} hosts: the measuring process exited with ${code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line) as SizeResult);
    });
  });
}

async function main(): Promise<void> {
  const seconds = flag('seconds', 60);
  const settle = flag('settle', 20);
  const childN = arg('child');
  if (childN) {
    const r = await child(Number(childN), seconds, settle);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }
  const sizes = (arg('hosts') ?? '10,100,1000').split(',').map(Number);
  const results: SizeResult[] = [];
  for (const n of sizes) {
    console.log(`${n} hosts: learning, then ${seconds} s measured…`);
    const r = await runChild(n, seconds, settle);
    if (r.arrived < KEPT_UP) console.log(`${n} hosts: only ${(100 * r.arrived).toFixed(0)} % of the expected samples reached the watch: one process did not keep up at this size, and its cost is left out of the per-host figures`);
    results.push(r);
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log(`\nOne watch at a 1 s interval, simulated host streams through the parser, store, detectors, risk and policy (shadow); ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  console.log(
    renderTable(
      ['hosts', 'ready after', 'samples (arrived)', 'CPU % of a core', 'per host', 'RSS MiB', 'per host', 'heap MiB', 'tfjs tensors (MiB)', 'typed arrays + wasm MiB', 'loop delay p99', 'decisions'],
      results.map((r) => [
        String(r.hosts),
        `${f(r.readyMs / 1000)} s`,
        `${r.samples} (${f(100 * r.arrived, 0)} %)`,
        f(r.cpuPctOfCore),
        `${f(r.cpuPctOfCore / r.hosts, 3)} %`,
        f(r.rssMiB),
        `${f((r.rssMiB * 1024) / r.hosts, 0)} KiB`,
        f(r.heapMiB),
        `${r.tfTensors} (${f(r.tfMiB)})`,
        f(r.externalMiB),
        `${f(r.loopDelayP99Ms)} ms`,
        String(r.decisions),
      ]),
    ),
  );
  const kept = results.filter((r) => r.arrived >= KEPT_UP);
  const lo = kept[0];
  const hi = kept[kept.length - 1];
  const marginal =
    lo && hi && hi.hosts > lo.hosts
      ? { cpuPctPerHost: (hi.cpuPctOfCore - lo.cpuPctOfCore) / (hi.hosts - lo.hosts), rssKiBPerHost: ((hi.rssMiB - lo.rssMiB) * 1024) / (hi.hosts - lo.hosts), heapKiBPerHost: ((hi.heapMiB - lo.heapMiB) * 1024) / (hi.hosts - lo.hosts) }
      : null;
  if (marginal) {
    console.log(
      `\nWhat one more host adds (${lo.hosts} → ${hi.hosts} hosts): ${marginal.cpuPctPerHost.toFixed(3)} % of a core, ${marginal.rssKiBPerHost.toFixed(0)} KiB RSS (${marginal.heapKiBPerHost.toFixed(0)} KiB heap)` +
        `\ntargets: ≤ 0.1 % of a core and ≤ 1 MiB per host: CPU ${marginal.cpuPctPerHost <= 0.1 ? 'met' : 'NOT met'}, memory ${marginal.rssKiBPerHost <= 1024 ? 'met' : 'NOT met'}`,
    );
  }
  const largest = kept.at(-1)?.hosts ?? 0;
  console.log(`largest size one process kept up with at a 1 s interval: ${largest} hosts${kept.length < results.length ? ` (not ${results.filter((r) => r.arrived < KEPT_UP).map((r) => r.hosts).join(', ')})` : ''}`);
  console.log(`wrote ${writeResults('server', { intervalMs: INTERVAL_MS, seconds, cores: os.cpus().length, sizes: results, marginal, keptUpTo: largest })}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
