import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from './errors';
import { execInHost } from './exec';
import { freePort } from './postgres';
import { which } from './prerequisites';
import { isOurs, sleep } from './proc';
import type { LabHost, LabState } from './state';

/** node_exporter's port inside each lab host. */
export const NODE_EXPORTER_PORT = 9100;
const NODE_EXPORTER = 'prometheus-node-exporter';

/** Prometheus run by hand for the lab: its own config and data folder, on loopback. */
export interface LabPrometheus {
  pid: number;
  url: string;
  dir: string;
  scrapeIntervalMs: number;
}

/** Why Prometheus or node_exporter cannot run here, or undefined. */
export function prometheusUnavailableReason(): string | undefined {
  const missing = [['prometheus', 'prometheus'], [NODE_EXPORTER, 'prometheus-node-exporter']].filter(([cmd]) => !which(cmd));
  return missing.length ? `missing ${missing.map(([c]) => c).join(', ')}: apt-get install ${missing.map(([, p]) => p).join(' ')}` : undefined;
}

/**
 * Starts Debian's node_exporter inside a lab host (its own PID, mount and network namespaces, so
 * it sees the host's processes, mounts and NIC), with the processes collector Plumbline's
 * process count needs. Resolves once it listens.
 */
export async function startNodeExporter(host: LabHost): Promise<void> {
  const bin = which(NODE_EXPORTER);
  if (!bin) throw new LabError(prometheusUnavailableReason()!);
  const script = `mkdir -p /var/log/plumbline-lab && setsid ${bin} --web.listen-address=0.0.0.0:${NODE_EXPORTER_PORT} --collector.processes </dev/null >/var/log/plumbline-lab/node-exporter.log 2>&1 &`;
  const r = await execInHost(host, ['sh', '-c', script]);
  if (r.code !== 0) throw new LabError(`${host.name}: node_exporter did not start: ${r.stderr.trim()}`);
  const deadline = Date.now() + 15_000;
  // Go listens on a dual-stack socket (tcp6 only in /proc), so ask it over the bridge instead.
  const url = `http://${host.address}:${NODE_EXPORTER_PORT}/metrics`;
  while (!(await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) {
      const log = await execInHost(host, ['sh', '-c', 'tail -n 3 /var/log/plumbline-lab/node-exporter.log']);
      throw new LabError(`${host.name}: node_exporter does not listen on :${NODE_EXPORTER_PORT}: ${log.stdout.trim().split('\n').join(' | ')}`);
    }
    await sleep(100);
  }
}

/** Stops node_exporter in a lab host (a fault: the target goes down). */
export async function stopNodeExporter(host: LabHost): Promise<void> {
  await execInHost(host, ['sh', '-c', `pkill -x ${NODE_EXPORTER.slice(0, 15)} || true`]);
}

/** prometheus.yml for the lab: node_exporter on every host, and the app's /metrics behind nginx. */
export function prometheusConfig(state: LabState, scrapeIntervalMs: number): string {
  const every = `${Math.max(1, Math.round(scrapeIntervalMs / 1000))}s`;
  const targets = (port: number): string => state.hosts.map((h) => `'${h.address}:${port}'`).join(', ');
  return `# Written by plumbline lab for ${state.subnet}.
global:
  scrape_interval: ${every}
  evaluation_interval: ${every}
scrape_configs:
  - job_name: node
    static_configs:
      - targets: [${targets(NODE_EXPORTER_PORT)}]
  - job_name: app
    metrics_path: /metrics
    static_configs:
      - targets: [${targets(80)}]
`;
}

/** Starts Prometheus on a free loopback port with its config and data under `dir`. */
export async function startPrometheus(state: LabState, opts: { dir: string; scrapeIntervalMs: number; log?: (line: string) => void }): Promise<LabPrometheus> {
  const bin = which('prometheus');
  if (!bin) throw new LabError(prometheusUnavailableReason()!);
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, prometheusConfig(state, opts.scrapeIntervalMs));
  const port = await freePort();
  const logFd = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
  const child = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      // Debian's build looks for its console templates under /etc; the lab needs none.
      `--web.console.templates=${dir}`,
      `--web.console.libraries=${dir}`,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  child.unref();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new LabError(`Prometheus did not start: ${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').trim().split('\n').slice(-3).join(' | ')}`);
    }
    await sleep(200);
  }
  opts.log?.(`Prometheus up on ${url}, scraping every ${opts.scrapeIntervalMs} ms`);
  return { pid: child.pid!, url, dir, scrapeIntervalMs: opts.scrapeIntervalMs };
}

/** Stops the lab's Prometheus (SIGTERM, then SIGKILL) and removes its folder. */
export async function stopPrometheus(p: Pick<LabPrometheus, 'pid' | 'dir'>): Promise<void> {
  if (isOurs(p.pid, 'prometheus')) {
    process.kill(p.pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isOurs(p.pid, 'prometheus') && Date.now() < deadline) await sleep(50);
    if (isOurs(p.pid, 'prometheus')) process.kill(p.pid, 'SIGKILL');
  }
  fs.rmSync(p.dir, { recursive: true, force: true });
}

/** Waits until Prometheus has scraped every target at least once and all are up. */
export async function waitTargetsUp(url: string, expected: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await fetch(`${url}/api/v1/targets?state=active`).then((x) => x.json() as Promise<{ data?: { activeTargets?: Array<{ health: string; scrapeUrl: string; lastError: string }> } }>, () => undefined);
    const t = r?.data?.activeTargets ?? [];
    const up = t.filter((x) => x.health === 'up').length;
    if (t.length >= expected && up === t.length) return;
    last = t.filter((x) => x.health !== 'up').map((x) => `${x.scrapeUrl}: ${x.health} ${x.lastError}`).join('; ');
    await sleep(250);
  }
  throw new LabError(`Prometheus targets not all up after ${timeoutMs} ms: ${last}`);
}
