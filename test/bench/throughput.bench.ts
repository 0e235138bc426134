/**
 * Detector throughput: samples scored per second per core for N hosts' worth of streams (three
 * layers each, ten metrics per layer, synthetic), through `observeMany` (statistics and forecasts
 * per detector, the autoencoders batched across hosts) and, for comparison, `observe` one
 * detector at a time; and the server's memory per monitored host after GC.
 *
 *   npx tsc -b && node --expose-gc out/test/bench/throughput.bench.js [--hosts 1000] [--intervals 20]
 *
 * Each host's statistics are trained on its own baseline window; the autoencoders are trained once
 * per layer and loaded into every host from files (each host gets its own model instance), since
 * training 3,000 of them would dominate the run without telling anything about scoring.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostDetectors, observeMany, type HostDetectors } from '../../server/src/detect/layer/hosts';
import { LayerDetector } from '../../server/src/detect/layer/layerDetector';
import { backendInfo, ensureBackend } from '../../server/src/detect/model/backend';
import { renderTable } from '../../server/src/cli/table';
import { RISK_LAYERS, type Layer } from '../../server/src/risk/types';
import type { LayerObservation } from '../../server/src/detect/layer/types';
import { gauss, rng } from '../support/random';
import { flag, writeResults } from './benchUtil';

const STEP = 5000;
const T0 = 1_700_000_000_000;

/** Ten metrics per layer, some following a shared load factor, the rest independent noise. */
function sample(layer: Layer, r: () => number, i: number): Record<string, number | null> {
  const g = (): number => gauss(r);
  const load = 0.5 + 0.5 * Math.sin(i / 50) + 0.1 * g();
  switch (layer) {
    case 'hardware':
      return {
        cpuPct: 20 + 30 * load + g(),
        memUsedPct: 40 + 5 * load + 0.3 * g(),
        memUsedKiB: 3_200_000 + 400_000 * load + 20_000 * g(),
        ioLatencyMs: 2 + load + 0.2 * g(),
        diskUsedPct: 55 + 0.05 * g(),
        diskReadBps: 1e6 * (1 + load) + 5e4 * g(),
        diskWriteBps: 2e6 * (1 + load) + 5e4 * g(),
        netRxBps: 5e6 * (1 + load) + 1e5 * g(),
        netTxBps: 3e6 * (1 + load) + 1e5 * g(),
        swapUsedPct: 1 + 0.1 * g(),
      };
    case 'os':
      return {
        load1: 1 + 2 * load + 0.2 * g(),
        load5: 1 + 2 * load + 0.1 * g(),
        processes: 180 + 10 * load + g(),
        threadsTotal: 900 + 50 * load + 3 * g(),
        fds: 4000 + 500 * load + 20 * g(),
        contextSwitchesPerSec: 20_000 * (1 + load) + 500 * g(),
        interruptsPerSec: 10_000 * (1 + load) + 300 * g(),
        tcpConnections: 300 + 100 * load + 5 * g(),
        tcpRetransPerSec: Math.abs(0.5 * g()),
        entropyAvail: 3500 + 20 * g(),
      };
    case 'app':
      return {
        requestRate: 100 + 80 * load + 3 * g(),
        rssKiB: 250_000 + 50_000 * load + 1000 * g(),
        cpuPct: 10 + 20 * load + g(),
        fds: 120 + 20 * load + 2 * g(),
        threads: 24,
        restarts: 0,
        healthLatencyMs: 30 + 20 * load + 3 * g(),
        healthOk: 1,
        errorRate: Math.abs(0.002 * g()),
        fdsLimit: 65536,
      };
  }
}

function window(layer: Layer, seed: number, start: number, n: number): LayerObservation[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, k) => ({ ts: T0 + (start + k) * STEP, layer, metrics: sample(layer, r, start + k) }));
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run node with --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

function mem(): { heap: number; external: number; rss: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

async function main(): Promise<void> {
  const hosts = flag('hosts', 1000);
  const intervals = flag('intervals', 20);
  const baselineLen = flag('baseline', 120);
  const backend = await ensureBackend();

  // One trained model per layer, saved, then loaded into every host.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-'));
  const trainMs: Record<string, number> = {};
  for (const layer of RISK_LAYERS) {
    const d = new LayerDetector({ host: 'template', layer });
    const t0 = performance.now();
    await d.train(window(layer, 1, 0, baselineLen));
    trainMs[layer] = performance.now() - t0;
    await d.saveModel(path.join(dir, layer));
    d.dispose();
  }

  gc();
  const before = mem();
  const t0 = performance.now();
  const fleet: HostDetectors[] = [];
  for (let h = 0; h < hosts; h++) {
    const ds = hostDetectors(`host-${h}`, { autoencoder: false, facts: { memTotalKiB: 8_000_000 } });
    for (const layer of RISK_LAYERS) {
      await ds[layer].train(window(layer, 1000 + h * 3 + RISK_LAYERS.indexOf(layer), 0, baselineLen));
      await ds[layer].loadModel(path.join(dir, layer));
    }
    fleet.push(ds);
  }
  const setupMs = performance.now() - t0;
  gc();
  const after = mem();

  // Streams after the baseline, generated up front so only scoring is timed.
  const streams = fleet.map((_, h) =>
    Object.fromEntries(RISK_LAYERS.map((layer) => [layer, window(layer, 9000 + h * 3 + RISK_LAYERS.indexOf(layer), baselineLen, intervals)])) as Record<
      Layer,
      LayerObservation[]
    >,
  );
  const items = (k: number): Array<{ detector: LayerDetector; obs: LayerObservation }> =>
    fleet.flatMap((ds, h) => RISK_LAYERS.map((layer) => ({ detector: ds[layer], obs: streams[h][layer][k] })));

  const timed = (run: () => number): { samples: number; wallMs: number; cpuMs: number; findings: number } => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const findings = run();
    const wallMs = performance.now() - w0;
    const c = process.cpuUsage(c0);
    return { samples: 0, wallMs, cpuMs: (c.user + c.system) / 1000, findings };
  };
  const half = Math.floor(intervals / 2);
  const batched = timed(() => {
    let n = 0;
    for (let k = 0; k < half; k++) for (const f of observeMany(items(k))) n += f.length;
    return n;
  });
  batched.samples = half * hosts * RISK_LAYERS.length;
  const single = timed(() => {
    let n = 0;
    for (let k = half; k < intervals; k++) for (const it of items(k)) n += it.detector.observe(it.obs).length;
    return n;
  });
  single.samples = (intervals - half) * hosts * RISK_LAYERS.length;

  const rate = (r: typeof batched): number => r.samples / (r.cpuMs / 1000);
  const perHost = {
    heapKiB: (after.heap - before.heap) / hosts / 1024,
    externalKiB: (after.external - before.external) / hosts / 1024,
    rssKiB: (after.rss - before.rss) / hosts / 1024,
  };
  const rows = [
    ['observeMany (model batched across hosts)', String(batched.samples), batched.wallMs.toFixed(0), batched.cpuMs.toFixed(0), rate(batched).toFixed(0), String(batched.findings)],
    ['observe, one detector at a time', String(single.samples), single.wallMs.toFixed(0), single.cpuMs.toFixed(0), rate(single).toFixed(0), String(single.findings)],
  ];
  console.log(`\n${hosts} hosts × 3 layers × ~10 metrics, backend ${backend.name}${backend.simd ? ' (SIMD)' : ''}, ${os.cpus().length} cores, Node ${process.version}\n`);
  console.log(renderTable(['path', 'samples', 'wall ms', 'cpu ms', 'samples/s/core', 'findings'], rows));
  console.log(
    `\nmemory per monitored host (3 detectors, ${baselineLen}-row baselines, one model each): heap ${perHost.heapKiB.toFixed(1)} KiB, ` +
      `external+ArrayBuffers (incl. WASM) ${perHost.externalKiB.toFixed(1)} KiB, rss ${perHost.rssKiB.toFixed(1)} KiB`,
  );
  console.log(
    `setup ${(setupMs / 1000).toFixed(1)} s (stats fit + model load per detector); one model training: ${RISK_LAYERS.map((l) => `${l} ${trainMs[l].toFixed(0)} ms`).join(', ')}`,
  );
  const file = writeResults('throughput', {
    hosts,
    layers: RISK_LAYERS.length,
    intervals,
    baselineRows: baselineLen,
    backend: backendInfo(),
    node: process.version,
    batched: { ...batched, samplesPerSecPerCore: rate(batched) },
    single: { ...single, samplesPerSecPerCore: rate(single) },
    memoryPerHostKiB: perHost,
    setupMs,
    trainMsPerModel: trainMs,
  });
  console.log(`\nwrote ${file}`);
  for (const ds of fleet) for (const l of RISK_LAYERS) ds[l].dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
