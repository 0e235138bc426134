/**
 * Capture speed: `diff` of N lab hosts per round (capture every host, compare with its baseline,
 * store), Plumbline against Ansible's `setup` module, all in the same run, the order turned
 * round each round.
 *
 * - engine cold: a new Engine each round (new SSH connections); engine warm: one Engine kept
 *   open (its pooled connections reused); engine warm, no perf window: the same with
 *   `hardware.perf: false`, which shows what the perf window (PERF_WINDOW_MS) costs.
 * - CLI: `node dist/cli.js diff` as a person runs it: a new process, new connections. Cold: Node's
 *   compile cache off; warm: on and filled by the previous run.
 * - Ansible cold: `ControlMaster=no`; warm: its default ControlPersist, masters kept from the
 *   previous run. Pipelining on, one fork per host: its fastest settings.
 * - CPU: the server-side CPU of each (process.cpuUsage for the engine, the child's user+sys for
 *   the CLI and Ansible): less sensitive to a shared machine than wall time.
 * - Start-up: the CLI as built now (split chunks, validators compiled at build time) against the
 *   same sources bundled the way they were before (one bundle, ajv at run time).
 *
 *   npm run bench:capture -- [--hosts 10] [--rounds 7]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { Engine } from '../../server/src/engine/engine';
import { labDown, labUp, requireRoot } from '../../server/src/lab/lab';
import { renderTable } from '../../server/src/cli/table';
import { packageRoot } from '../../server/src/common/paths';
import { flag, median, quantile, writeResults } from './benchUtil';
import { labSshSettings } from '../../server/src/lab/workspace';

interface Timed {
  ms: number;
  /** Server-side CPU, ms. */
  cpuMs: number;
}

const root = packageRoot();
const cli = path.join(root, 'dist', 'cli.js');

async function engineDiff(engine: Engine, hosts: number): Promise<void> {
  const outcomes = await engine.diff('lab');
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0 || outcomes.length !== hosts) throw new Error(`plumbline diff failed: ${JSON.stringify(failed)}`);
}

async function open(configFile: string, dataDir: string): Promise<Engine> {
  const opened = await Engine.open({ configFile, dataDir });
  if (!opened.ok) throw new Error(`config: ${opened.error.map((e) => e.message).join('; ')}`);
  return opened.value;
}

async function engineCold(configFile: string, dataDir: string, hosts: number): Promise<Timed> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const engine = await open(configFile, dataDir);
  try {
    await engineDiff(engine, hosts);
  } finally {
    await engine.close();
  }
  return { ms: performance.now() - t0, cpuMs: cpuSince(c0) };
}

async function engineWarm(engine: Engine, hosts: number): Promise<Timed> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await engineDiff(engine, hosts);
  return { ms: performance.now() - t0, cpuMs: cpuSince(c0) };
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Runs a command under GNU time: wall ms and the child's user+sys ms. */
function timed(argv: string[], env: NodeJS.ProcessEnv, check: (r: { status: number | null; stdout: string; stderr: string }) => void): Timed {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'PLCPU %U %S', ...argv], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  const m = /PLCPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  check({ status: r.status, stdout: r.stdout, stderr: r.stderr });
  return { ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

function cliDiff(configFile: string, dataDir: string, cache: 'off' | 'on', cacheDir: string): Timed {
  const env = { ...process.env, NODE_COMPILE_CACHE: cacheDir, ...(cache === 'off' ? { NODE_DISABLE_COMPILE_CACHE: '1' } : {}) };
  return timed([process.execPath, cli, 'diff', 'lab', '-q', '--json', '--config', configFile, '--data', dataDir], env, (r) => {
    // 0: no drift, 1: drift; both mean every host answered.
    if (r.status !== 0 && r.status !== 1) throw new Error(`plumbline CLI failed (${r.status}): ${r.stderr}`);
  });
}

function ansibleEnv(labDir: string, hosts: number, warm: boolean): NodeJS.ProcessEnv {
  const control = warm ? `-o ControlMaster=auto -o ControlPersist=120s -o ControlPath=${path.join(labDir, 'cm-%h')}` : '-o ControlMaster=no -o ControlPath=none';
  return {
    ...process.env,
    ANSIBLE_SSH_ARGS: `-F ${path.join(labDir, 'ssh_config')} ${control}`,
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_FORKS: String(hosts),
    ANSIBLE_LOCAL_TEMP: path.join(labDir, 'ansible-tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  };
}

function ansible(labDir: string, inventory: string, hosts: number, warm: boolean): Timed {
  return timed(['ansible', 'all', '-i', inventory, '-m', 'setup', '-o'], ansibleEnv(labDir, hosts, warm), (r) => {
    const ok = (r.stdout.match(/ \| SUCCESS/g) ?? []).length;
    if (r.status !== 0 || ok !== hosts) throw new Error(`ansible failed (${r.status}, ${ok}/${hosts} ok): ${r.stderr.slice(0, 2000)}${r.stdout.slice(0, 2000)}`);
  });
}

/** The same CLI sources bundled as before: one file, schemas compiled by ajv at run time. */
async function singleBundle(dir: string): Promise<string> {
  const outfile = path.join(dir, 'cli.js');
  await build({
    entryPoints: [path.join(root, 'server/src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'error',
    external: ['vscode', 'cpu-features', '*.node'],
    ignoreAnnotations: true,
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return outfile;
}

function startup(argv: string[], env: NodeJS.ProcessEnv, runs: number): { ms: number; cpuMs: number } {
  const xs: Timed[] = [];
  for (let i = 0; i < runs; i++) {
    xs.push(
      timed([process.execPath, ...argv], env, (r) => {
        if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
      }),
    );
  }
  return { ms: median(xs.map((x) => x.ms)), cpuMs: median(xs.map((x) => x.cpuMs)) };
}

async function main(): Promise<void> {
  const hosts = flag('hosts', 10);
  const rounds = flag('rounds', 7);
  requireRoot();
  if (spawnSync('ansible', ['--version']).status !== 0) {
    process.stderr.write('bench:capture needs Ansible as the peer: apt-get install -y ansible\n');
    process.exit(2);
  }
  if (!fs.existsSync('/usr/bin/time')) {
    process.stderr.write('bench:capture needs GNU time (/usr/bin/time) to read child CPU: apt-get install -y time\n');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-capture-'));
  const labDir = path.join(dir, 'lab');
  // Inside the package (packageRoot() finds the agent from there), removed at the end.
  const singleDir = fs.mkdtempSync(path.join(root, 'out', 'bench-cli-single-'));
  process.stderr.write(`bringing up ${hosts} lab hosts…\n`);
  const lab = await labUp({ dir: labDir, hosts });
  process.env.PLUMBLINE_SSH_CONFIG = labSshSettings(lab.dir).config; // plumbline.yaml cannot choose it
  let warmEngine: Engine | undefined;
  let noPerfEngine: Engine | undefined;
  try {
    const inventory = path.join(dir, 'inventory.ini');
    fs.writeFileSync(inventory, `${lab.hosts.map((h) => h.name).join('\n')}\n`);
    const configFile = path.join(labDir, 'plumbline.yaml');
    const noPerfConfig = path.join(labDir, 'plumbline-noperf.yaml');
    const yaml = fs.readFileSync(configFile, 'utf8');
    if (!/^ {6}hardware:\n/m.test(yaml)) throw new Error('the lab workspace has no hardware layer to turn the perf window off in');
    fs.writeFileSync(noPerfConfig, yaml.replace(/^( {6}hardware:\n)/m, '$1        perf: false\n'));
    const dataDir = path.join(dir, 'data');
    const cacheDir = path.join(dir, 'node-compile-cache');

    // A baseline to diff against, then one untimed warm-up each: page cache, Python bytecode,
    // sshd's first fork, the compile cache, Ansible's control masters.
    const setup = await open(configFile, dataDir);
    await setup.baseline('lab');
    await setup.close();
    warmEngine = await open(configFile, dataDir);
    noPerfEngine = await open(noPerfConfig, dataDir);
    await engineWarm(warmEngine, hosts);
    await engineWarm(noPerfEngine, hosts);
    await engineCold(configFile, dataDir, hosts);
    cliDiff(configFile, dataDir, 'on', cacheDir);
    ansible(labDir, inventory, hosts, false);
    ansible(labDir, inventory, hosts, true);

    const runners: Record<string, () => Promise<Timed> | Timed> = {
      engineCold: () => engineCold(configFile, dataDir, hosts),
      engineWarm: () => engineWarm(warmEngine as Engine, hosts),
      engineWarmNoPerf: () => engineWarm(noPerfEngine as Engine, hosts),
      cliCold: () => cliDiff(configFile, dataDir, 'off', cacheDir),
      cliWarm: () => cliDiff(configFile, dataDir, 'on', cacheDir),
      ansibleCold: () => ansible(labDir, inventory, hosts, false),
      ansibleWarm: () => ansible(labDir, inventory, hosts, true),
    };
    const samples: Record<string, Timed[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? Object.keys(runners) : Object.keys(runners).reverse();
      for (const name of order) samples[name].push(await runners[name]());
      process.stderr.write(`round ${r + 1}/${rounds} done\n`);
    }

    // Start-up alone, as built now and as before, with Node's compile cache off and warm.
    const single = await singleBundle(singleDir);
    const off = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
    const on = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
    const startups = {
      node: startup(['-e', '0'], off, rounds),
      beforeVersion: startup([single, '--version'], off, rounds),
      beforeDiffHelp: startup([single, 'diff', '--help'], off, rounds),
      nowVersion: startup([cli, '--version'], off, rounds),
      nowDiffHelpCold: startup([cli, 'diff', '--help'], off, rounds),
      nowDiffHelpWarm: startup([cli, 'diff', '--help'], on, rounds),
    };

    const med = (name: string, k: 'ms' | 'cpuMs' = 'ms'): number => median(samples[name].map((x) => x[k]));
    const peer = (name: string): string => (name.endsWith('Cold') ? 'ansibleCold' : 'ansibleWarm');
    const labels: Record<string, string> = {
      engineCold: 'plumbline engine, cold (new connections)',
      engineWarm: 'plumbline engine, warm (pooled connections)',
      engineWarmNoPerf: ' … warm, perf window off',
      cliCold: 'plumbline CLI process, cold (no compile cache)',
      cliWarm: 'plumbline CLI process, warm (compile cache)',
      ansibleCold: 'ansible -m setup, cold (ControlMaster=no)',
      ansibleWarm: 'ansible -m setup, warm (ControlPersist)',
    };
    const rows = Object.keys(runners).map((name) => [
      labels[name],
      med(name).toFixed(0),
      quantile(samples[name].map((x) => x.ms), 0.9).toFixed(0),
      med(name, 'cpuMs').toFixed(0),
      name.startsWith('ansible') ? '1.0x' : `${(med(peer(name)) / med(name)).toFixed(1)}x`,
      name.startsWith('ansible') ? '1.0x' : `${(med(peer(name), 'cpuMs') / med(name, 'cpuMs')).toFixed(1)}x`,
    ]);
    const startRows = [
      ['node -e 0 (Node alone)', startups.node],
      ['before: one bundle, --version', startups.beforeVersion],
      ['before: one bundle, diff --help', startups.beforeDiffHelp],
      ['now: --version', startups.nowVersion],
      ['now: diff --help, no compile cache', startups.nowDiffHelpCold],
      ['now: diff --help, compile cache', startups.nowDiffHelpWarm],
    ].map(([l, s]) => [l as string, (s as Timed).ms.toFixed(0), (s as Timed).cpuMs.toFixed(0)]);
    const perfShare = 1 - med('engineWarmNoPerf') / med('engineWarm');
    process.stdout.write(
      `\nDiff of ${hosts} lab hosts, ${rounds} rounds (machine shared with other work; medians; ratios are Ansible's median over ours, cold to cold and warm to warm)\n\n` +
        renderTable(['TOOL', 'MEDIAN ms', 'P90 ms', 'SERVER CPU ms', 'ANSIBLE / TOOL (wall)', 'ANSIBLE / TOOL (CPU)'], rows, 60) +
        `\nThe perf window (hardware.perf) is ${(perfShare * 100).toFixed(0)} % of a warm round: ${med('engineWarm').toFixed(0)} ms with it, ${med('engineWarmNoPerf').toFixed(0)} ms without.\n` +
        `\nCLI start-up (median of ${rounds})\n\n` +
        renderTable(['START-UP', 'WALL ms', 'CPU ms'], startRows, 50) +
        '\n',
    );
    const file = writeResults('capture', {
      hosts,
      rounds,
      machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg() },
      samples,
      medianMs: Object.fromEntries(Object.keys(runners).map((k) => [k, med(k)])),
      medianCpuMs: Object.fromEntries(Object.keys(runners).map((k) => [k, med(k, 'cpuMs')])),
      ratio: Object.fromEntries(Object.keys(runners).filter((k) => !k.startsWith('ansible')).map((k) => [k, { wall: med(peer(k)) / med(k), cpu: med(peer(k), 'cpuMs') / med(k, 'cpuMs') }])),
      perfWindowShareOfWarmRound: perfShare,
      startup: startups,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await warmEngine?.close();
    await noPerfEngine?.close();
    // Ansible's control masters end with their sockets' folder gone; ask them to exit first.
    for (const h of lab.hosts) {
      spawnSync('ssh', ['-F', path.join(labDir, 'ssh_config'), '-o', `ControlPath=${path.join(labDir, 'cm-%h')}`, '-O', 'exit', h.name], { stdio: 'ignore' });
    }
    await labDown({ dir: labDir });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(singleDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:capture failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
