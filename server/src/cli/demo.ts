import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Engine } from '../engine/engine';
import { faultyReleaseScript } from '../lab/faultyRelease';
import { labDown, labExec, labUnavailableReason, labUp } from '../lab/lab';
import type { Decision } from '../policy';
import type { HostRisk, Reason } from '../risk';
import type { ActionReport } from '../act/types';
import type { Watcher } from '../watch/watcher';
import { EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { CliExit } from './workspace';
import { print } from './output';
import { labSshSettings } from '../lab/workspace';

const CANARY = 'web-1';
const LEAK_MB_PER_SEC = 1;
const LIMIT_MIB = 512;

const out = (line = ''): void => print(line);
const step = (n: number, text: string): void => out(`\n== ${n}. ${text}`);
const clock = (t0: number): string => `+${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s`;

async function mustExec(dir: string, host: string, argv: string[]): Promise<string> {
  const r = await labExec(dir, host, argv);
  if (r.code !== 0) throw new Error(`${host}: ${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Deploys release r3 (a copy of r2 that leaks memory) on the canary. */
async function deployLeakyRelease(dir: string): Promise<void> {
  await mustExec(dir, CANARY, ['sh', '-c', faultyReleaseScript({ leakMBPerSec: LEAK_MB_PER_SEC })]);
}

function top(reasons: Reason[]): string {
  const r = reasons[0];
  return r ? r.detail : '';
}

/**
 * The main demo on lab hosts: a good deployment and its baseline, then a canary release with a
 * slow memory leak; Plumbline watches, forecasts the breach, acts before it lands (per the
 * tier policy, in auto mode), verifies the host came back, and sums up.
 */
async function demo(opts: { dir: string; keep: boolean; timeoutMs: number }): Promise<number> {
  const missing = labUnavailableReason();
  if (missing) throw new CliExit(EXIT_ERROR, `the demo runs on lab hosts, and ${missing}`);
  const dir = path.resolve(opts.dir);
  const t0 = Date.now();
  step(1, `bringing up 3 lab hosts in ${dir} (namespaces with real sshd, nginx, a blue and a green app)`);
  const lab = await labUp({ dir, hosts: 3, log: (l) => out(`   ${l}`) });
  let engine: Engine | undefined;
  let watcher: Watcher | undefined;
  try {
    // The lab workspace, tuned for a short demo: 1 s samples, actions in auto mode.
    const yamlFile = path.join(dir, 'plumbline.yaml');
    const yaml = fs
      .readFileSync(yamlFile, 'utf8')
      .replace('interval: 2s', 'interval: 1s')
      .replace('mode: confirm', 'mode: auto\n      escalateAfter: 30s');
    fs.writeFileSync(yamlFile, yaml);
    out(renderTable(['HOST', 'ADDRESS'], lab.hosts.map((h) => [h.name, h.address])));
    const opened = await Engine.open({ configFile: yamlFile, ssh: labSshSettings(dir) });
    if (!opened.ok) throw new Error(opened.error.map((e) => e.message).join('; '));
    engine = opened.value;

    step(2, 'pre-deployment snapshot of every host (release symlink and managed files, for tier 3)');
    const snaps = await engine.snapshot('lab', { reason: 'demo: before deploying r3' });
    for (const s of snaps) out(`   ${s.host}: ${s.ok ? `snapshot #${s.value.id} (release ${s.value.release?.target ?? '-'})` : `FAILED ${s.error.message}`}`);
    if (snaps.some((s) => !s.ok)) throw new Error('snapshot failed');

    step(3, `deploying release r3 to the canary ${CANARY}: it leaks ${LEAK_MB_PER_SEC} MB/s per app instance (the limit is ${LIMIT_MIB} MiB)`);
    await deployLeakyRelease(dir);
    const deployedAt = Date.now();
    out(`   ${CANARY}: /srv/app/current → releases/r3, app restarted and healthy`);

    step(4, 'the deployment looks good: capturing the golden baseline of every host');
    const b = await engine.baseline('lab', { reason: 'demo: after deploying r3' });
    for (const o of b) out(`   ${o.host}: ${o.ok ? `baseline v${o.value.baseline.version} (${o.durationMs} ms)` : `FAILED ${o.error.message}`}`);
    if (b.some((o) => !o.ok)) throw new Error('baseline failed');

    step(5, 'watching: the detectors learn 30 s of behaviour after the baseline, then score every sample');
    // Loaded on use: the detectors bring tfjs, which other commands should not pay for at start-up.
    const watchModule = await import('../watch/watcher');
    watcher = new watchModule.Watcher(engine, 'lab', { warmup: 30 });
    const latest = new Map<string, HostRisk>();
    const worstOther = { value: 0 };
    const otherActions: string[] = [];
    let firstForecast: { at: number; ttbMs: number } | undefined;
    let decided: Decision | undefined;
    let action: { report: ActionReport; at: number; ttbMs: number | null } | undefined;
    const rssMiB = new Map<string, number>();
    watcher.on('sample', (host, s) => {
      if (s.app.process && s.app.process.pids.length > 0) rssMiB.set(host, s.app.process.rssKiB / 1024);
    });
    watcher.on('risk', (r) => {
      latest.set(r.host, r);
      if (r.host !== CANARY) worstOther.value = Math.max(worstOther.value, r.value);
      const f = r.layers.app.reasons.find((x) => x.source === 'forecast' && x.forecast?.timeToBreachMs != null);
      if (r.host === CANARY && f && !firstForecast) {
        firstForecast = { at: Date.now(), ttbMs: f.forecast!.timeToBreachMs! };
        out(`   ${clock(t0)} ${CANARY}: FORECAST ${f.detail}`);
      }
    });
    watcher.on('riskChanged', (r, prev) => out(`   ${clock(t0)} ${r.host}: risk ${prev ?? 'start'} → ${r.state} (${r.value.toFixed(2)}) ${top(r.reasons)}`));
    watcher.on('decision', (d) => {
      if (d.host === CANARY && !d.blockedBy) decided ??= d;
      out(`   ${clock(t0)} ${d.host}: DECISION tier ${d.tier} ${d.action} [${d.mode}${d.blockedBy ? `, blocked by ${d.blockedBy}` : ''}]: ${d.why}`);
    });
    watcher.on('action', (report, d) => {
      const f = latest.get(d.host)?.layers.app.reasons.find((x) => x.source === 'forecast');
      if (d.host === CANARY) action ??= { report, at: Date.now(), ttbMs: f?.forecast?.timeToBreachMs ?? null };
      else otherActions.push(`${d.host} ${report.action}`);
      out(`   ${clock(t0)} ${report.host}: ACTION ${report.action} ${report.status.toUpperCase()} in ${report.timings.totalMs} ms: ${report.message}`);
      for (const s of report.steps.filter((x) => x.effect === 'change')) out(`        $ ${s.title}`);
      for (const c of report.verification?.checks ?? []) out(`        verify ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    });
    watcher.on('log', (l) => out(`   ${clock(t0)} ${l}`));
    watcher.start();
    const ticker = setInterval(() => {
      const rows = [...latest.values()].map((r) => [
        r.host,
        rssMiB.has(r.host) ? `${rssMiB.get(r.host)!.toFixed(0)} MiB` : '-',
        `${r.state} ${r.value.toFixed(2)}`,
        `${r.layers.app.state} ${r.layers.app.value.toFixed(2)}`,
        top(r.layers.app.reasons).slice(0, 90),
      ]);
      const phase = watcher!.status().map((s) => `${s.host}:${s.phase.kind}`).join(' ');
      out(`\n   ${clock(t0)} ${phase}\n${renderTable(['HOST', 'APP RSS', 'RISK', 'APP', 'APP REASON'], rows, 90).replace(/^/gm, '   ')}`);
    }, 10_000);
    const deadline = Date.now() + opts.timeoutMs;
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const settled = action && Date.now() - action.at > 15_000;
        if (settled || Date.now() > deadline) {
          clearInterval(poll);
          resolve();
        }
      }, 500);
    });
    clearInterval(ticker);
    await watcher.stop();
    watcher = undefined;

    step(6, 'summary');
    const chain = engine.auditLog().verify();
    const a = action as { report: ActionReport; at: number; ttbMs: number | null } | undefined;
    const rows: string[][] = [
      ['faulty release deployed', `${CANARY} at +${((deployedAt - t0) / 1000).toFixed(0)} s`],
      ['first forecast', firstForecast ? `${((firstForecast.at - deployedAt) / 1000).toFixed(0)} s after the deploy, breach predicted in ${(firstForecast.ttbMs / 1000).toFixed(0)} s` : 'none'],
      ['decision', decided ? `tier ${decided.tier} ${decided.action}: ${decided.why}` : 'none'],
      ['action', a ? `${a.report.action} ${a.report.status} ${((a.at - deployedAt) / 1000).toFixed(0)} s after the deploy` : 'none before the timeout'],
      ['lead time', a?.ttbMs != null ? `${(a.ttbMs / 1000).toFixed(0)} s before the memory limit would have been reached` : 'n/a'],
      ['verification', a ? (a.report.verification?.ok ? 'host verified back to its pre-deployment state' : 'FAILED (see above)') : 'n/a'],
      ['other hosts', `highest risk ${worstOther.value.toFixed(2)}; ${otherActions.length === 0 ? 'no action' : `ACTED: ${otherActions.join(', ')}`}`],
      ['audit log', chain.ok ? `chain verified (${engine.auditLog().entries({ env: 'lab' }).length} entries): npx plumbline audit lab --config ${yamlFile}` : `CHAIN BROKEN at #${chain.badId}`],
    ];
    out(renderTable(['', ''], rows, 120));
    const success = Boolean(a && a.report.status === 'done' && a.report.verification?.ok && otherActions.length === 0);
    out(success ? '\nPlumbline acted before the failure and the host verified back.' : '\nThe demo did not complete as expected; the log above says where.');
    return success ? EXIT_OK : EXIT_ERROR;
  } finally {
    await watcher?.stop();
    await engine?.close();
    if (opts.keep) {
      out(`\nlab left up (--keep); take it down with: npx plumbline lab down --dir ${dir}`);
    } else {
      await labDown({ dir });
      fs.rmSync(path.join(dir, '.plumbline'), { recursive: true, force: true });
      out('\nlab taken down');
    }
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the lab demo: a leaking release, the forecast, the predictive action and its verification (needs root)')
    .option('--dir <dir>', 'lab folder', '.lab-demo')
    .option('--keep', 'leave the lab up afterwards')
    .option('--timeout <seconds>', 'give up after this long', '420')
    .action(async (flags: { dir: string; keep?: boolean; timeout: string }) => {
      process.exitCode = await demo({ dir: flags.dir, keep: Boolean(flags.keep), timeoutMs: Number(flags.timeout) * 1000 });
    });
}
