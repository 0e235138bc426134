/**
 * Collector cost at a 1 s interval, three collectors side by side in the same windows:
 *  - Plumbline's agent as it streams now (paced by the server over SSH, health and metrics read
 *    by the server through the same connection) on lab host web-1;
 *  - the agent as it was before (test/support/agent-forking.sh: a sleep, cat, date, df, grep,
 *    tr and two curls every interval) on lab host web-2, with the same options;
 *  - prometheus-node-exporter on this machine, scraped every second.
 * CPU is utime+stime (+ reaped children) of each process tree over the window, from /proc; RSS
 * and PSS are read at the end of each window. The machine may be shared: only the ratios within
 * one window mean something, and the table quotes medians over the windows.
 *
 *   npm run bench:collector -- [--windows 5] [--seconds 30]
 *   needs root (lab hosts) and Debian's prometheus-node-exporter (apt-get install -y prometheus-node-exporter)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { streamArgv } from '../../server/src/fingerprint/agent';
import { labDown, labUp, requireRoot } from '../../server/src/lab/lab';
import { loadConfig } from '../../server/src/config/load';
import { streamOptions } from '../../server/src/monitor/agentOptions';
import { HostStream } from '../../server/src/monitor/hostStream';
import { makeProbe } from '../../server/src/monitor/probe';
import { SshPool } from '../../server/src/ssh/pool';
import { renderTable } from '../../server/src/cli/table';
import { packageRoot } from '../../server/src/common/paths';
import { flag, median, writeResults } from './benchUtil';
import { CLK, nsOf, readStat, tree, treeTicks } from './procCpu';

function memKiB(pids: number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const p of pids) {
    try {
      rss += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { rss, pss };
}


/**
 * The agent's main shell on a lab host: `sh -c SCRIPT plumbline-agent stream …` in that host's PID
 * namespace whose parent is not one too (the pipeline's subshell carries the same argv).
 */
function findAgent(initPid: number): number | undefined {
  const ns = nsOf(initPid);
  const found = new Set<number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[1] === '-c' && argv[3] === 'plumbline-agent' && argv[4] === 'stream' && nsOf(Number(d)) === ns) found.add(Number(d));
    } catch {
      // gone
    }
  }
  return [...found].find((p) => !found.has(ppid(p)));
}

function ppid(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The sshd process serving the agent's session: the nearest ancestor named sshd. */
function sshdOf(pid: number): number | undefined {
  for (let p = ppid(pid), i = 0; p > 1 && i < 10; p = ppid(p), i++) {
    if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd') return p;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Window {
  cpuPct: { plumbline: number; plumblineWithSshd: number; before: number; beforeWithSshd: number; nodeExporter: number };
  memKiB: { plumbline: { rss: number; pss: number }; before: { rss: number; pss: number }; nodeExporter: { rss: number; pss: number } };
  samples: { plumbline: number; before: number; scrapes: number };
}

async function main(): Promise<void> {
  const windows = flag('windows', 5);
  const seconds = flag('seconds', 30);
  requireRoot();
  if (spawnSync('prometheus-node-exporter', ['--version']).status !== 0) {
    process.stderr.write('bench:collector needs node_exporter as the peer: apt-get install -y prometheus-node-exporter\n');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-collector-'));
  const labDir = path.join(dir, 'lab');
  process.stderr.write('bringing up 2 lab hosts…\n');
  const lab = await labUp({ dir: labDir, hosts: 2 });
  const pool = new SshPool({ sshConfigFile: path.join(labDir, 'ssh_config'), knownHostsFile: path.join(labDir, 'known_hosts'), agentSocket: '' });
  const port = await freePort();
  const exporter = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const streams: HostStream[] = [];
  try {
    const config = await loadConfig(path.join(labDir, 'plumbline.yaml'));
    if (!config.config) throw new Error(`lab config: ${JSON.stringify(config.errors)}`);
    const env = config.config.environments.find((e) => e.name === 'lab')!;
    const opts = { ...streamOptions(env), intervalMs: 1000 };
    const [now, then] = lab.hosts;
    const counts = { plumbline: 0, before: 0, scrapes: 0 };

    // Now: paced over SSH, health and metrics read by the server.
    const paced = new HostStream({
      host: now.name,
      opener: pool,
      source: 'stream',
      intervalMs: 1000,
      argv: (_s, fromSeq, isPaced) => streamArgv(isPaced ? { ...opts, fromSeq, ticks: 'stdin', health: undefined, metrics: undefined } : { ...opts, fromSeq }),
      pace: { probe: makeProbe((h, p) => forward(pool, now.name, h, p), { health: opts.health, metrics: opts.metrics, intervalMs: 1000 }) },
    });
    // Before: the agent as it was, forking every interval, its own sleep and curls.
    const oldScript = fs.readFileSync(path.join(packageRoot(), 'test', 'support', 'agent-forking.sh'), 'utf8');
    const forking = new HostStream({
      host: then.name,
      opener: pool,
      source: 'stream',
      intervalMs: 1000,
      argv: (_s, fromSeq) => {
        const argv = streamArgv({ ...opts, fromSeq });
        argv[2] = oldScript;
        return argv;
      },
    });
    paced.on('sample', () => counts.plumbline++);
    forking.on('sample', () => counts.before++);
    streams.push(paced, forking);
    paced.start();
    forking.start();
    const scraper = setInterval(() => {
      void fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .then(() => counts.scrapes++, () => undefined);
    }, 1000);
    try {
      // Warm-up: both streams up and sampling, node_exporter answering.
      const t0 = Date.now();
      while ((counts.plumbline < 3 || counts.before < 3 || counts.scrapes < 3) && Date.now() - t0 < 60_000) await sleep(200);
      if (counts.plumbline < 3 || counts.before < 3 || counts.scrapes < 3) throw new Error(`warm-up failed: ${JSON.stringify(counts)}`);
      const results: Window[] = [];
      for (let w = 0; w < windows; w++) {
        const agentNow = findAgent(now.initPid);
        const agentThen = findAgent(then.initPid);
        if (!agentNow || !agentThen) throw new Error('agent process not found on a lab host');
        const sshdNow = sshdOf(agentNow) ?? 0;
        const sshdThen = sshdOf(agentThen) ?? 0;
        const c0 = { ...counts };
        const start = performance.now();
        const a0 = treeTicks(tree(agentNow));
        const b0 = treeTicks(tree(agentThen));
        const sa0 = readStat(sshdNow)?.ticks ?? 0;
        const sb0 = readStat(sshdThen)?.ticks ?? 0;
        const e0 = treeTicks([exporter.pid!]);
        await sleep(seconds * 1000);
        const a1 = treeTicks(tree(agentNow));
        const b1 = treeTicks(tree(agentThen));
        const sa1 = readStat(sshdNow)?.ticks ?? 0;
        const sb1 = readStat(sshdThen)?.ticks ?? 0;
        const e1 = treeTicks([exporter.pid!]);
        const secs = (performance.now() - start) / 1000;
        const pct = (ticks: number): number => (ticks / CLK / secs) * 100;
        results.push({
          cpuPct: {
            plumbline: pct(a1 - a0),
            plumblineWithSshd: pct(a1 - a0 + sa1 - sa0),
            before: pct(b1 - b0),
            beforeWithSshd: pct(b1 - b0 + sb1 - sb0),
            nodeExporter: pct(e1 - e0),
          },
          memKiB: { plumbline: memKiB(tree(agentNow)), before: memKiB(tree(agentThen)), nodeExporter: memKiB([exporter.pid!]) },
          samples: { plumbline: counts.plumbline - c0.plumbline, before: counts.before - c0.before, scrapes: counts.scrapes - c0.scrapes },
        });
        process.stderr.write(`window ${w + 1}/${windows}: ${JSON.stringify(results[results.length - 1].cpuPct)}\n`);
      }
      report(results, seconds);
    } finally {
      clearInterval(scraper);
    }
  } finally {
    await Promise.all(streams.map((s) => s.stop()));
    exporter.kill();
    await pool.close();
    await labDown({ dir: labDir });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function forward(pool: SshPool, host: string, toHost: string, toPort: number) {
  const r = await pool.forward(host, toHost, toPort);
  if (r.ok) return r;
  return { ok: false as const, refused: r.error.kind === 'ForwardFailed' && r.error.refused, message: 'message' in r.error ? r.error.message : r.error.kind };
}

function report(ws: Window[], seconds: number): void {
  const m = (f: (w: Window) => number): number => median(ws.map(f));
  const ne = m((w) => w.cpuPct.nodeExporter);
  const ratio = (f: (w: Window) => number): number => median(ws.map((w) => f(w) / w.cpuPct.nodeExporter));
  const rows = [
    ['plumbline agent (paced, server reads HTTP)', m((w) => w.cpuPct.plumbline), ratio((w) => w.cpuPct.plumbline), m((w) => w.memKiB.plumbline.rss), m((w) => w.memKiB.plumbline.pss)],
    ['  … with its sshd', m((w) => w.cpuPct.plumblineWithSshd), ratio((w) => w.cpuPct.plumblineWithSshd), NaN, NaN],
    ['agent before (forking, curl each interval)', m((w) => w.cpuPct.before), ratio((w) => w.cpuPct.before), m((w) => w.memKiB.before.rss), m((w) => w.memKiB.before.pss)],
    ['  … with its sshd', m((w) => w.cpuPct.beforeWithSshd), ratio((w) => w.cpuPct.beforeWithSshd), NaN, NaN],
    ['prometheus-node-exporter (1 s scrapes)', ne, 1, m((w) => w.memKiB.nodeExporter.rss), m((w) => w.memKiB.nodeExporter.pss)],
  ] as const;
  const fmt = (x: number, d = 2): string => (Number.isNaN(x) ? '' : x.toFixed(d));
  process.stdout.write(
    `\nCollector cost at a 1 s interval: ${ws.length} windows of ${seconds} s, all three at once (machine shared; medians)\n\n` +
      renderTable(
        ['COLLECTOR', 'CPU % OF A CORE', '× NODE_EXPORTER', 'RSS KiB', 'PSS KiB'],
        rows.map(([name, cpu, r, rss, pss]) => [name, fmt(cpu), fmt(r) + '×', fmt(rss, 0), fmt(pss, 0)]),
        60,
      ) +
      '\n',
  );
  const file = writeResults('collector', {
    intervalMs: 1000,
    windowSeconds: seconds,
    machine: { cpus: os.cpus().length, node: process.version, shared: true, loadavg: os.loadavg() },
    windows: ws,
    median: Object.fromEntries(rows.map(([name, cpu, r, rss, pss]) => [name.trim(), { cpuPct: cpu, overNodeExporter: r, rssKiB: rss, pssKiB: pss }])),
  });
  process.stdout.write(`results: ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:collector failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
