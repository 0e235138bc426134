import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from './errors';
import { execInHost } from './exec';
import { hostAlive, hostServices, startInit, stopHost, waitReady } from './host';
import { HOST_KEY_PATH, appAssetPath, hostKeyFile, writeHostFiles } from './hostFiles';
import { generateKeys } from './keys';
import {
  LabNetwork,
  createBridge,
  createHostLinks,
  guardBridge,
  hostAddress,
  netnsName,
  networkForSlot,
  removeNetwork,
  MAX_SLOTS,
} from './network';
import { createHostDirs, hostDirs } from './overlay';
import { startPostgres, stopPostgres } from './postgres';
import { startNodeExporter, startPrometheus, stopPrometheus, waitTargetsUp } from './prometheus';
import { requireRoot } from './prerequisites';
import { RunResult, runOk } from './run';
import { LabHost, LabState, readState, removeState, writeState } from './state';
import { SUDOERS, appEnv } from './templates';
import { WORKSPACE_FILES, workspaceYaml, writeWorkspace } from './workspace';

export { LabError } from './errors';
export { labUnavailableReason, requireRoot } from './prerequisites';
export type { LabHost, LabState } from './state';
export { WORKSPACE_FILES } from './workspace';

/** Most hosts one lab holds: addresses .11 to .250 of its /24. */
export const MAX_HOSTS = 240;
const READY_TIMEOUT_MS = 30_000;

type Log = (line: string) => void;
const quiet: Log = () => undefined;

export interface LabHostStatus {
  host: LabHost;
  alive: boolean;
  sshd: boolean;
  nginx: boolean;
  app: { blue: boolean; green: boolean };
}

/**
 * Brings up `hosts` lab hosts (web-1 … web-N) and writes their SSH files and a workspace into
 * `dir`. Work is parallel across hosts; readiness is polled from the hosts' sockets. An `up`
 * that fails midway takes down whatever it made before it throws.
 */
export interface LabUpOptions {
  dir: string;
  hosts: number;
  log?: Log;
  /** node_exporter in every host and Prometheus on loopback scraping them (and the app) at this interval. */
  prometheus?: { scrapeIntervalMs: number };
  /** A PostgreSQL cluster of the lab's own, its URL in `<dir>/store-url`. */
  postgres?: boolean;
}

export async function labUp(opts: LabUpOptions): Promise<LabState> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = path.resolve(opts.dir);
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new LabError(`a lab has 1 to ${MAX_HOSTS} hosts, not ${opts.hosts}`);
  }
  // The path goes into overlay mount options, where these characters have meaning.
  if (/[,:\s\\'"]/.test(dir)) throw new LabError(`the lab dir must not contain commas, colons, quotes or spaces: ${dir}`);
  // Each host overlays these folders; upper dirs inside one of them would sit on an overlay themselves.
  const overlaid = ['/etc', '/var', '/srv', '/opt'].find((d) => dir === d || dir.startsWith(`${d}/`));
  if (overlaid) throw new LabError(`the lab dir must not be under ${overlaid}, which every lab host mounts over: ${dir}`);
  const previous = readState(dir);
  if (previous) {
    if (previous.hosts.some((h) => hostAlive(h, hostDirs(dir, h.name)))) {
      throw new LabError(`a lab is already up in ${dir}; run "plumbline lab down --dir ${dir}" first`);
    }
    log(`cleaning up a stale lab in ${dir}`);
    await labDown({ dir, log });
  }
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const net = await createBridge();
  const state: LabState = {
    dir,
    subnet: net.subnet,
    bridge: net.bridge,
    slot: net.slot,
    nftTable: net.nftTable,
    createdAt: new Date().toISOString(),
    hosts: Array.from({ length: opts.hosts }, (_, i) => {
      const name = `web-${i + 1}`;
      return { name, address: hostAddress(net, i), netns: netnsName(net, name), initPid: 0, launcherPid: 0, upperDir: hostDirs(dir, name).upper };
    }),
  };
  // Recorded before anything else exists, so "lab down" can clean up after a crash of this process.
  writeState(state);
  try {
    await bringUp(state, net, log);
    if (opts.prometheus) await bringUpPrometheus(state, opts.prometheus.scrapeIntervalMs, log);
    if (opts.postgres) {
      const pg = await startPostgres({ log });
      state.postgres = { pid: pg.pid, port: pg.port, dir: pg.dir };
      writeState(state);
      fs.writeFileSync(path.join(dir, WORKSPACE_FILES.storeUrl), `${pg.url}\n`, { mode: 0o600 });
    }
  } catch (e) {
    log(`lab up failed, cleaning up: ${e instanceof Error ? e.message : String(e)}`);
    await labDown({ dir, log }).catch((down: unknown) => log(`cleanup failed too: ${String(down)}`));
    throw e;
  }
  log(`${state.hosts.length} hosts up in ${Date.now() - started} ms on ${net.bridge} (${net.subnet})`);
  return state;
}

async function bringUp(state: LabState, net: LabNetwork, log: Log): Promise<void> {
  const dir = state.dir;
  const dirsOf = new Map(state.hosts.map((h) => [h.name, hostDirs(dir, h.name)]));
  for (const d of dirsOf.values()) createHostDirs(d);
  const sudoersCheck = path.join(dir, 'hosts', 'sudoers.check');
  fs.writeFileSync(sudoersCheck, SUDOERS, { mode: 0o440 });

  const userKeyFile = path.join(dir, WORKSPACE_FILES.userKey);
  const [keys] = await Promise.all([
    generateKeys([
      { file: userKeyFile, comment: `plumbline-lab@${net.bridge}` },
      ...state.hosts.map((h) => ({ file: hostKeyFile(dirsOf.get(h.name)!), comment: `root@${h.name}` })),
    ]),
    guardBridge(net),
    createHostLinks(net, state.hosts.map((h, index) => ({ netns: h.netns, address: h.address, index }))),
    runOk('visudo', ['-c', '-q', '-f', sudoersCheck]),
  ]);
  fs.rmSync(sudoersCheck);
  log(`network ${net.bridge} ${net.subnet} and ${keys.length} keys ready`);

  const env = appEnv(randomBytes(12).toString('hex'));
  const shared = { userPublicKey: keys[0].publicKey, appEnv: env, appJs: fs.readFileSync(appAssetPath(), 'utf8'), createdAt: state.createdAt };
  const hostKeys = new Map(state.hosts.map((h, i) => [h.name, keys[i + 1].publicKey]));
  for (const h of state.hosts) writeHostFiles(dirsOf.get(h.name)!, h, shared);

  await Promise.all(
    state.hosts.map(async (h) => {
      const pids = await startInit(h.netns, dirsOf.get(h.name)!);
      h.initPid = pids.initPid;
      h.launcherPid = pids.launcherPid;
    }),
  );
  writeState(state);
  log(`inits started: ${state.hosts.map((h) => `${h.name}=${h.initPid}`).join(' ')}`);
  writeWorkspace(state, hostKeys, env);
  await Promise.all(state.hosts.map((h) => waitReady(h, dirsOf.get(h.name)!, READY_TIMEOUT_MS)));
}

async function bringUpPrometheus(state: LabState, scrapeIntervalMs: number, log: Log): Promise<void> {
  await Promise.all(state.hosts.map((h) => startNodeExporter(h)));
  const p = await startPrometheus(state, { dir: path.join(state.dir, 'prometheus'), scrapeIntervalMs, log });
  state.prometheus = p;
  writeState(state);
  // node_exporter and the app on every host.
  await waitTargetsUp(p.url, 2 * state.hosts.length);
  fs.writeFileSync(path.join(state.dir, WORKSPACE_FILES.workspace), workspaceYaml(state));
}

/**
 * Takes the lab in `dir` down: kills each host's init (the kernel kills the rest of the host),
 * deletes namespaces, veths, bridge and nftables table, then the host dirs and lab.json.
 * Idempotent, and safe after an `up` that failed at any point.
 */
export async function labDown(opts: { dir: string; log?: Log }): Promise<void> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = path.resolve(opts.dir);
  const state = readState(dir);
  if (!state) {
    fs.rmSync(path.join(dir, 'hosts'), { recursive: true, force: true });
    return;
  }
  if (state.prometheus) await stopPrometheus(state.prometheus);
  if (state.postgres) await stopPostgres(state.postgres);
  fs.rmSync(path.join(dir, WORKSPACE_FILES.storeUrl), { force: true });
  const results = await Promise.all(state.hosts.map((h) => stopHost(h, hostDirs(dir, h.name))));
  const stuck = state.hosts.filter((_, i) => !results[i]).map((h) => h.name);
  if (stuck.length) throw new LabError(`lab hosts did not stop: ${stuck.join(', ')}`);
  const slot = state.slot ?? (/^plb(\d+)$/.exec(state.bridge) ? Number(state.bridge.slice(3)) : -1);
  if (slot >= 0 && slot < MAX_SLOTS) await removeNetwork(networkForSlot(slot), log);
  fs.rmSync(path.join(dir, 'hosts'), { recursive: true, force: true });
  removeState(dir);
  log(`lab in ${dir} is down`);
}

/** Each recorded host: is its init alive, and do sshd, nginx and both app colours listen. */
export async function labStatus(dir: string): Promise<LabHostStatus[]> {
  const state = mustRead(dir);
  return state.hosts.map((host) => {
    const alive = hostAlive(host, hostDirs(state.dir, host.name));
    const s = alive ? hostServices(host) : { sshd: false, nginx: false, blue: false, green: false };
    return { host, alive, sshd: s.sshd, nginx: s.nginx, app: { blue: s.blue, green: s.green } };
  });
}

/** Runs argv as root inside the host's namespaces via nsenter (not over SSH). */
export async function labExec(dir: string, host: string, argv: string[], opts: { input?: string } = {}): Promise<RunResult> {
  const state = mustRead(dir);
  const h = state.hosts.find((x) => x.name === host || x.address === host);
  if (!h) throw new LabError(`no lab host "${host}" in ${state.dir} (hosts: ${state.hosts.map((x) => x.name).join(', ')})`);
  if (!hostAlive(h, hostDirs(state.dir, h.name))) throw new LabError(`lab host ${h.name} is not running`);
  return execInHost(h, argv, opts);
}

/** Reads lab.json or explains that no lab is up there. */
export function mustRead(dir: string): LabState {
  const state = readState(path.resolve(dir));
  if (!state) throw new LabError(`no lab in ${path.resolve(dir)} (run "plumbline lab up --dir ${dir}")`);
  return state;
}

export { HOST_KEY_PATH };
