import * as readline from 'node:readline/promises';
import type { Command } from 'commander';
import { parseDuration } from '../config/duration';
import { explanationLines, type Decision } from '../policy';
import type { HostRisk } from '../risk';
import type { HostWatchStatus } from '../watch/watcher';
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from './exitCodes';
import { renderTable } from './table';
import { CliExit, withEngine, workspaceOptions, type WorkspaceFlags } from './workspace';
import { control, print, printJson } from './output';

/** One JSON object per line on stdout; `type` says which. Documented in the README as stable. */
function jsonLine(obj: Record<string, unknown>): void {
  printJson(obj);
}

function riskJson(r: HostRisk): Record<string, unknown> {
  return {
    host: r.host,
    ts: r.ts,
    state: r.state,
    value: round(r.value),
    layers: Object.fromEntries(Object.entries(r.layers).map(([l, x]) => [l, { state: x.state, value: round(x.value) }])),
    reasons: r.reasons.slice(0, 5),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function phaseText(s: HostWatchStatus): string {
  if (s.acting) return 'acting';
  if (s.phase.kind === 'learning') return `learning ${s.phase.have}/${s.phase.need}`;
  if (s.phase.kind === 'training') return 'training';
  return 'watching';
}

function streamText(s: HostWatchStatus): string {
  const st = s.stream;
  if (!st) return 'starting';
  if (st.kind === 'backoff') return `retry #${st.attempt}: ${st.error}`;
  return st.kind === 'streaming' ? `${st.kind} (${st.source})` : st.kind;
}

function liveTable(env: string, rows: HostWatchStatus[], events: string[]): string {
  const table = renderTable(
    ['HOST', 'STREAM', 'PHASE', 'RISK', 'HW', 'OS', 'APP', 'TOP REASON'],
    rows.map((s) => {
      const r = s.risk;
      const layer = (l: 'hardware' | 'os' | 'app'): string => (r ? `${r.layers[l].state} ${r.layers[l].value.toFixed(2)}` : '-');
      return [s.host, streamText(s), phaseText(s), r ? `${r.state} ${r.value.toFixed(2)}` : 'no data yet', layer('hardware'), layer('os'), layer('app'), r?.reasons[0]?.detail ?? ''];
    }),
    70,
  );
  return ` plumbline watch ${env} — ${new Date().toISOString()} (Ctrl-C to stop)\n\n${table}\n\n${events.slice(-12).join('\n')}\n`;
}

/** Clears the screen (the CLI's own control sequence), then the table as printable text. */
function drawLive(text: string): void {
  control('\x1b[H\x1b[2J');
  print(text);
}

async function askApproval(d: Decision, rl: readline.Interface): Promise<boolean> {
  const answer = await rl.question(`\nApprove tier ${d.tier} ${d.action} on ${d.host}? ${d.why}\n  [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

/** `watch`: live per-host, per-layer risk; acts per the environment's policy. */
export function registerWatchCommand(program: Command): void {
  workspaceOptions(
    program
      .command('watch <env>')
      .description('watch ENV continuously: per-host, per-layer risk, findings and actions per policy')
      .option('--for <duration>', 'stop after this long (e.g. 30s, 10m); default: until Ctrl-C')
      .option('--warmup <samples>', 'samples after the baseline that train the detectors'),
  ).action(async (envName: string, flags: WorkspaceFlags & { for?: string; warmup?: string }) => {
    const forMs = flags.for === undefined ? undefined : parseDuration(flags.for);
    if (flags.for !== undefined && forMs === undefined) throw new CliExit(EXIT_ERROR, `--for: expected a duration like "30s", got "${flags.for}"`);
    process.exitCode = await withEngine(flags, envName, 'watching', async (engine) => {
      const live = !flags.json && process.stdout.isTTY;
      const rl = live && process.stdin.isTTY ? readline.createInterface({ input: process.stdin, output: process.stdout }) : undefined;
      // Loaded on use: the detectors bring tfjs, which other commands should not pay for at start-up.
      const { Watcher } = await import('../watch/watcher');
      const watcher = new Watcher(engine, envName, {
        warmup: flags.warmup === undefined ? undefined : Number(flags.warmup),
        approve: rl ? (d) => askApproval(d, rl) : undefined,
      });
      const events: string[] = [];
      const say = (line: string): void => {
        const stamped = `${new Date().toISOString().slice(11, 19)} ${line}`;
        if (flags.json) return;
        if (live) events.push(stamped);
        else print(stamped);
      };
      watcher.on('log', (line) => (flags.json ? jsonLine({ type: 'log', message: line }) : say(line)));
      watcher.on('sample', (host, s) => flags.json && jsonLine({ type: 'sample', host, sample: s }));
      watcher.on('risk', (r) => flags.json && jsonLine({ type: 'risk', ...riskJson(r) }));
      watcher.on('riskChanged', (r, prev) => {
        if (flags.json) jsonLine({ type: 'riskChanged', previous: prev, ...riskJson(r) });
        else say(`${r.host}: ${prev ?? 'start'} → ${r.state} (${r.value.toFixed(2)})${r.reasons[0] ? `: ${r.reasons[0].detail}` : ''}`);
      });
      watcher.on('findings', (host, findings) => flags.json && jsonLine({ type: 'findings', host, findings }));
      watcher.on('decision', (d) => {
        if (flags.json) jsonLine({ type: 'decision', decision: d, metricsFrom: watcher.metricsSource });
        else {
          for (const line of explanationLines(d)) say(line);
          if (watcher.metricsSource !== 'agent') say(`  metrics from ${watcher.metricsSource}`);
        }
      });
      watcher.on('proposal', (p) => {
        if (flags.json) jsonLine({ type: 'proposal', proposal: p });
        else say(`${p.host}: PROPOSAL ${p.why}; accept with: ${p.command}`);
      });
      watcher.on('cure', (c) => {
        if (flags.json) jsonLine({ type: 'cure', cure: c });
        else say(`${c.host}: ${c.action} ${c.cured ? 'CURED' : 'NOT CURED'}: ${c.summary}`);
      });
      watcher.on('action', (report) => {
        if (flags.json) jsonLine({ type: 'action', report });
        else say(`${report.host}: ${report.action} ${report.status.toUpperCase()}: ${report.message}`);
      });
      watcher.on('release', (host, from, to) => {
        if (flags.json) jsonLine({ type: 'release', host, from, to });
        else say(`${host}: NEW RELEASE ${from ?? 'none'} → ${to ?? 'none'} deployed outside Plumbline; judged once it has settled`);
      });
      watcher.on('stream', (host, st) => {
        if (flags.json) jsonLine({ type: 'stream', host, state: st });
        else if (st.kind === 'backoff') say(`${host}: stream down (${st.error}); retry #${st.attempt}`);
      });

      watcher.start();
      const redraw = live ? setInterval(() => drawLive(liveTable(envName, watcher.status(), events)), 1000) : undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        if (forMs !== undefined) setTimeout(done, forMs).unref();
      });
      clearInterval(redraw);
      rl?.close();
      const final = watcher.status();
      await watcher.stop();
      if (live) drawLive(liveTable(envName, final, events));
      if (flags.json) for (const s of final) jsonLine({ type: 'final', host: s.host, state: s.risk?.state ?? 'nodata', value: s.risk ? round(s.risk.value) : null });
      const unhealthy = final.filter((s) => !s.risk || s.risk.state !== 'ok');
      return unhealthy.length > 0 ? EXIT_DRIFT : EXIT_OK;
    });
  });
}
