import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Engine } from '../engine/engine';
import { formatDiffTable } from '../fingerprint/diffFormat';
import { labDown, labExec, labUnavailableReason, labUp } from '../lab/lab';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { CliExit } from './workspace';

const step = (n: number, text: string): void => {
  process.stdout.write(`\n== ${n}. ${text}\n`);
};

async function mustExec(dir: string, host: string, argv: string[]): Promise<void> {
  const r = await labExec(dir, host, argv);
  if (r.code !== 0) throw new Error(`${host}: ${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

/**
 * The foundation demo on lab hosts: baseline, no drift, three kinds of drift on three hosts,
 * and the diff that finds exactly them.
 */
async function demo(opts: { dir: string; hosts: number; keep: boolean }): Promise<number> {
  const missing = labUnavailableReason();
  if (missing) throw new CliExit(EXIT_ERROR, `the demo runs on lab hosts, and ${missing}`);
  const dir = path.resolve(opts.dir);
  step(1, `bringing up ${opts.hosts} lab hosts in ${dir}`);
  const lab = await labUp({ dir, hosts: opts.hosts, log: (l) => process.stdout.write(`   ${l}\n`) });
  let engine: Engine | undefined;
  try {
    process.stdout.write(`${renderTable(['HOST', 'ADDRESS'], lab.hosts.map((h) => [h.name, h.address]))}\n`);
    const opened = await Engine.open({ configFile: path.join(dir, 'plumbline.yaml') });
    if (!opened.ok) throw new Error(opened.error.map((e) => e.message).join('; '));
    engine = opened.value;

    step(2, 'capturing the golden baseline of every host (one SSH exec each)');
    const baseline = await engine.baseline('lab', { reason: 'demo: good deployment' });
    process.stdout.write(
      `${renderTable(
        ['HOST', 'BASELINE', 'CAPTURE', 'PACKAGES', 'KERNEL', 'RELEASE'],
        baseline.map((o) =>
          o.ok
            ? [o.host, `v${o.value.baseline.version}`, `${o.durationMs} ms`, String(Object.keys(o.value.fingerprint.os.packages ?? {}).length), o.value.fingerprint.os.kernel, o.value.fingerprint.app.release?.target ?? '-']
            : [o.host, 'FAILED', `${o.durationMs} ms`, o.error.message, '', ''],
        ),
      )}\n`,
    );
    if (baseline.some((o) => !o.ok)) throw new Error('baseline failed on some hosts');

    step(3, 'diff right after the baseline: expecting no drift');
    const clean = await engine.diff('lab');
    const drifted = clean.filter((o) => !o.ok || o.value.diff.drift);
    process.stdout.write(drifted.length === 0 ? '   no drift on any host\n' : `   unexpected: ${JSON.stringify(drifted)}\n`);

    const [h1, h2, h3] = lab.hosts.map((h) => h.name);
    step(4, `drifting: edit nginx's app.conf on ${h1}, change a sysctl on ${h2}, flip the release symlink on ${h3}`);
    await mustExec(dir, h1, ['sed', '-i', 's/proxy_read_timeout [0-9]*s;/proxy_read_timeout 5s;/', '/etc/nginx/conf.d/app.conf']);
    await mustExec(dir, h2, ['sysctl', '-q', '-w', 'net.core.somaxconn=512']);
    await mustExec(dir, h3, ['sh', '-c', 'cd /srv/app && ln -sfn releases/$(ls releases | sort | head -n 1) current.new && mv -T current.new current']);

    step(5, 'diff again: Plumbline names each drifted item, per host and layer, with line ranges in the workspace file');
    const after = await engine.diff('lab');
    process.stdout.write(`${formatDiffTable(after.flatMap((o) => (o.ok && o.value.diff.drift ? [o.value.diff] : [])))}\n`);
    for (const o of after) if (!o.ok) process.stdout.write(`   ${o.host}: ${o.error.message}\n`);
    const hostsWithDrift = after.filter((o) => o.ok && o.value.diff.drift).map((o) => o.host);
    step(6, `summary: drift on ${hostsWithDrift.join(', ') || 'no host'}; workspace in ${dir} (try: cd ${dir} && npx plumbline diff lab)`);
    return EXIT_OK;
  } finally {
    await engine?.close();
    if (opts.keep) {
      process.stdout.write(`\nlab left up (--keep); take it down with: npx plumbline lab down --dir ${dir}\n`);
    } else {
      await labDown({ dir });
      fs.rmSync(path.join(dir, '.plumbline'), { recursive: true, force: true });
      process.stdout.write('\nlab taken down\n');
    }
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('bring up lab hosts, baseline them, make them drift, and show the diff (needs root)')
    .option('--dir <dir>', 'lab folder', '.lab-demo')
    .option('--hosts <n>', 'number of lab hosts', '3')
    .option('--keep', 'leave the lab up afterwards')
    .action(async (flags: { dir: string; hosts: string; keep?: boolean }) => {
      process.exitCode = await demo({ dir: flags.dir, hosts: Math.max(3, Number(flags.hosts)), keep: Boolean(flags.keep) });
    });
}
