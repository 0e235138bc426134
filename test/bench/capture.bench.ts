/**
 * Capture speed: fingerprints of N lab hosts per round, Plumbline against Ansible's `setup`
 * module, in the same run, alternating which goes first. Both start cold each round (new SSH
 * connections); Ansible gets its fastest settings (pipelining, one fork per host).
 *
 *   npm run bench:capture -- [--hosts 10] [--rounds 7]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../server/src/engine/engine';
import { labDown, labUp, requireRoot } from '../../server/src/lab/lab';
import { renderTable } from '../../server/src/cli/table';
import { flag, median, quantile, writeResults } from './benchUtil';
import { labSshSettings } from '../../server/src/lab/workspace';

async function plumblineRound(configFile: string, dataDir: string, hosts: number): Promise<number> {
  const opened = await Engine.open({ configFile, dataDir });
  if (!opened.ok) throw new Error(`config: ${opened.error.map((e) => e.message).join('; ')}`);
  const engine = opened.value;
  try {
    const t0 = performance.now();
    const outcomes = await engine.capture('lab');
    const ms = performance.now() - t0;
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0 || outcomes.length !== hosts) throw new Error(`plumbline capture failed: ${JSON.stringify(failed)}`);
    return ms;
  } finally {
    await engine.close();
  }
}

function cliRound(configFile: string, dataDir: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'baseline', 'lab', '-q', '--json', '--config', configFile, '--data', dataDir], {
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`plumbline CLI failed (${r.status}): ${r.stderr}`);
  return ms;
}

function ansibleRound(labDir: string, inventory: string, hosts: number): number {
  const env = {
    ...process.env,
    ANSIBLE_SSH_ARGS: `-F ${path.join(labDir, 'ssh_config')} -o ControlMaster=no -o ControlPath=none`,
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_FORKS: String(hosts),
    ANSIBLE_LOCAL_TEMP: path.join(labDir, 'ansible-tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  };
  const t0 = performance.now();
  const r = spawnSync('ansible', ['all', '-i', inventory, '-m', 'setup', '-o'], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  const ok = (r.stdout.match(/ \| SUCCESS/g) ?? []).length;
  if (r.status !== 0 || ok !== hosts) throw new Error(`ansible failed (${r.status}, ${ok}/${hosts} ok): ${r.stderr.slice(0, 2000)}${r.stdout.slice(0, 2000)}`);
  return ms;
}

async function main(): Promise<void> {
  const hosts = flag('hosts', 10);
  const rounds = flag('rounds', 7);
  requireRoot();
  if (spawnSync('ansible', ['--version']).status !== 0) {
    process.stderr.write('bench:capture needs Ansible as the peer: apt-get install -y ansible\n');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-capture-'));
  const labDir = path.join(dir, 'lab');
  process.stderr.write(`bringing up ${hosts} lab hosts…\n`);
  const lab = await labUp({ dir: labDir, hosts });
  process.env.PLUMBLINE_SSH_CONFIG = labSshSettings(lab.dir).config; // plumbline.yaml cannot choose it
  try {
    const inventory = path.join(dir, 'inventory.ini');
    fs.writeFileSync(inventory, `${lab.hosts.map((h) => h.name).join('\n')}\n`);
    const configFile = path.join(labDir, 'plumbline.yaml');
    const dataDir = path.join(dir, 'data');
    // One untimed warm-up each: page cache, Python bytecode, sshd's first fork.
    await plumblineRound(configFile, dataDir, hosts);
    cliRound(configFile, dataDir);
    ansibleRound(labDir, inventory, hosts);
    const samples = { plumbline: [] as number[], plumblineCli: [] as number[], ansible: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['plumbline', 'cli', 'ansible'] : ['ansible', 'cli', 'plumbline'];
      for (const tool of order) {
        if (tool === 'plumbline') samples.plumbline.push(await plumblineRound(configFile, dataDir, hosts));
        else if (tool === 'cli') samples.plumblineCli.push(cliRound(configFile, dataDir));
        else samples.ansible.push(ansibleRound(labDir, inventory, hosts));
      }
      process.stderr.write(`round ${r + 1}/${rounds} done\n`);
    }
    const row = (name: string, xs: number[]): string[] => [
      name,
      median(xs).toFixed(0),
      quantile(xs, 0.9).toFixed(0),
      (median(xs) / hosts).toFixed(1),
      (median(samples.ansible) / median(xs)).toFixed(1) + 'x',
    ];
    process.stdout.write(
      `\nCapture of ${hosts} lab hosts, ${rounds} rounds (cold SSH connections each round)\n\n` +
        renderTable(
          ['TOOL', 'MEDIAN ROUND ms', 'P90 ms', 'ms PER HOST', 'ANSIBLE / TOOL'],
          [
            row('plumbline (engine)', samples.plumbline),
            row('plumbline (CLI process, incl. startup and store)', samples.plumblineCli),
            row('ansible -m setup (pipelining)', samples.ansible),
          ],
          60,
        ) +
        '\n',
    );
    const file = writeResults('capture', {
      hosts,
      rounds,
      machine: { cpus: os.cpus().length, node: process.version },
      samplesMs: samples,
      medianMs: { plumbline: median(samples.plumbline), plumblineCli: median(samples.plumblineCli), ansible: median(samples.ansible) },
      ratio: { ansibleOverPlumbline: median(samples.ansible) / median(samples.plumbline), ansibleOverPlumblineCli: median(samples.ansible) / median(samples.plumblineCli) },
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    await labDown({ dir: labDir });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:capture failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
