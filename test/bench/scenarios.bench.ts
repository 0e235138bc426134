/**
 * The gauntlet: faults and benign changes injected into lab hosts, each from a fresh baseline;
 * Plumbline watches in auto mode and acts per its tier policy. Per scenario: the tier of the
 * first executed action, time from fault to action, lead time before the failure condition
 * (slow faults), verification, and requests through nginx during the action window.
 *
 *   npm run bench:scenarios -- [--hosts 2] [--only <substring>[,<substring>…]]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../server/src/engine/engine';
import { labDown, labUnavailableReason, labUp, type LabState } from '../../server/src/lab/lab';
import { renderTable } from '../../server/src/cli/table';
import type { ActionReport } from '../../server/src/act/types';
import type { Sample } from '../../server/src/monitor/sample';
import type { Decision } from '../../server/src/policy';
import { Watcher } from '../../server/src/watch/watcher';
import { flag, writeResults } from './benchUtil';
import { LIMIT_RSS_MIB, SLO_LATENCY_MS, type Injection, type Scenario, type ScenarioCtx } from './scenarios/gauntlet';
import { GAUNTLET } from './scenarios/index';
import type { CureResult } from '../../server/src/watch/cureWatch';
import { flipTime, requestLoop, resetHost, tallyBetween, type RequestTally } from './scenarios/labOps';
import { labSshSettings } from '../../server/src/lab/workspace';

const TARGET = 'web-1';
const WARMUP = 30;
/** How long a harmful scenario keeps watching after its first action, to see escalation. */
const FOLLOW_MS = 40_000;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const secs = (ms: number | null | undefined): string => (ms == null ? '-' : `${(ms / 1000).toFixed(1)} s`);

interface ActionSeen {
  at: number;
  tier: number | null;
  action: string;
  status: string;
  /** The host back to its baseline (the action's own verification). */
  verified: boolean | null;
  /** The trigger cleared (the watch's cure check); null until decided. */
  cured: boolean | null;
  cureSummary: string;
  cause: string | null;
  verifyFailures: string[];
  totalMs: number;
  host: string;
}

interface ScenarioResult {
  name: string;
  kind: 'harmful' | 'benign';
  right: string;
  failure: string;
  expectTier: number | null;
  expectCured: boolean;
  /** The causes the decisions named, in order, without repeats; and proposals made. */
  causes: string[];
  proposals: string[];
  /** Whether the outcome is the right one (see `judge`). */
  ok: boolean;
  skipped: string | null;
  error: string | null;
  tier: number | null;
  action: string | null;
  status: string | null;
  faultToActionMs: number | null;
  leadTimeMs: number | null;
  verified: boolean | null;
  verifyFailures: string[];
  /** Requests through nginx from the decision to act until the action started (the fault's own harm). */
  beforeAction: RequestTally | null;
  /** Requests through nginx while the action ran (lock, change, verification). */
  availability: RequestTally | null;
  /** Requests through nginx in the 5 s after the action. */
  afterAction: RequestTally | null;
  /**
   * For a switch: the requests of the action window after traffic moved to the other colour (the
   * switch's own doing); before that moment the faulty colour still served and failures are the fault's.
   */
  afterFlip: RequestTally | null;
  actions: ActionSeen[];
  decisions: Array<{ host: string; tier: number | null; action: string | null; execute: boolean; blockedBy?: string; cause: string | null; decidedBy: string; why: string }>;
  maxRisk: number;
  note: string;
}

function yamlForBench(text: string): string {
  const y = text
    .replace('interval: 2s', 'interval: 1s')
    .replace('mode: confirm', 'mode: auto\n      escalateAfter: 30s')
    .replace('limits: { memory: 512MiB, latency: 500ms }', `limits: { memory: ${LIMIT_RSS_MIB}MiB, latency: ${SLO_LATENCY_MS}ms }`);
  if (!y.includes('mode: auto') || !y.includes('interval: 1s')) throw new Error('the lab workspace changed shape; update yamlForBench');
  return y;
}

function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve(true);
      } else if (Date.now() > deadline) {
        clearInterval(t);
        resolve(false);
      }
    }, 250);
  });
}

async function runScenario(engine: Engine, lab: LabState, sc: Scenario, lastSample: { s?: Sample }): Promise<ScenarioResult> {
  const target = lab.hosts.find((h) => h.name === TARGET)!;
  const samples: Sample[] = [];
  const ctx: ScenarioCtx = { dir: lab.dir, host: TARGET, address: target.address, samples, log: (l) => out(`   ${l}`) };
  const r = emptyResult(sc);
  const t0 = Date.now();
  out(`\n== ${sc.name} (${sc.kind})`);
  await Promise.all(lab.hosts.map((h) => resetHost(lab.dir, h.name)));
  const skip = sc.skip ? await sc.skip(ctx, lastSample.s) : null;
  if (skip) {
    r.skipped = skip;
    out(`   SKIPPED: ${skip}`);
    return r;
  }
  // Steady traffic through nginx from before the baseline to the end: the detectors learn it as
  // normal, and the availability through an action is read from it (not from a loop the action's
  // own decision starts, which would itself be new behaviour to score).
  const background = requestLoop(target.address, { maxRequests: 20_000, maxMs: 600_000, gapMs: 100 });
  try {
    return await watchScenario({ engine, sc, ctx, r, background, t0, lastSample });
  } finally {
    await background.stop();
  }
}

interface WatchArgs {
  engine: Engine;
  sc: Scenario;
  ctx: ScenarioCtx;
  r: ScenarioResult;
  background: ReturnType<typeof requestLoop>;
  t0: number;
  lastSample: { s?: Sample };
}

/** Snapshot, (deploy), baseline, warm-up, fault, and the watcher's response. */
async function watchScenario({ engine, sc, ctx, r, background, t0, lastSample }: WatchArgs): Promise<ScenarioResult> {
  const clock = (): string => `+${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s`;
  const samples = ctx.samples;
  const snaps = await engine.snapshot('lab', { reason: `bench: before ${sc.name}` });
  if (snaps.some((s) => !s.ok)) throw new Error(`snapshot failed: ${JSON.stringify(snaps.filter((s) => !s.ok))}`);
  let deployedAt = 0;
  if (sc.deploy) {
    await sc.deploy(ctx);
    deployedAt = Date.now();
  }
  // A faulty release is the fault from the moment it is deployed.
  let faultAt = deployedAt;
  const b = await engine.baseline('lab', { reason: `bench: ${sc.name}` });
  if (b.some((o) => !o.ok)) throw new Error(`baseline failed: ${JSON.stringify(b.filter((o) => !o.ok))}`);

  const watcher = new Watcher(engine, 'lab', { warmup: WARMUP });
  let injection: Injection | undefined;
  let decidedAt = 0;
  let samplesAtDecision: Sample[] | undefined;
  let firstAction: ActionSeen | undefined;
  let failAtDecision: number | null = null;
  watcher.on('sample', (host, s) => {
    if (host !== TARGET) return;
    samples.push(s);
    lastSample.s = s;
  });
  watcher.on('risk', (risk) => {
    if (faultAt > 0) r.maxRisk = Math.max(r.maxRisk, risk.value);
  });
  watcher.on('riskChanged', (risk, prev) => out(`   ${clock()} ${risk.host}: risk ${prev ?? 'start'} → ${risk.state} (${risk.value.toFixed(2)}) ${risk.reasons[0]?.detail ?? ''}`.slice(0, 220)));
  watcher.on('decision', (d: Decision) => {
    r.decisions.push({ host: d.host, tier: d.tier, action: d.action, execute: d.execute, blockedBy: d.blockedBy, cause: d.cause?.kind ?? null, decidedBy: d.decidedBy, why: d.why });
    if (d.host === TARGET && d.cause && !r.causes.includes(d.cause.kind)) r.causes.push(d.cause.kind);
    out(`   ${clock()} ${d.host}: DECISION ${d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}`} [${d.cause?.kind ?? '-'}; ${d.mode}${d.blockedBy ? `, blocked by ${d.blockedBy}` : ''}${d.execute ? ', executing' : ''}] ${d.why}`.slice(0, 400));
    // Availability is measured over the action window: from the decision to execute until its report.
    if (d.execute && d.host === TARGET && decidedAt === 0 && !firstAction) {
      decidedAt = Date.now();
      // The failure time as projected when Plumbline decided (later samples already show the cure).
      samplesAtDecision = samples.slice();
      failAtDecision = injection?.projectedFailureAt?.(decidedAt, samplesAtDecision) ?? null;
    }
  });
  watcher.on('proposal', (p) => {
    if (p.host === TARGET) r.proposals.push(`promote ${p.release.to ?? '(none)'}`);
    out(`   ${clock()} ${p.host}: PROPOSAL ${p.command}: ${p.why}`);
  });
  watcher.on('cure', (c: CureResult) => {
    const a = [...r.actions].reverse().find((x) => x.host === c.host && x.action === c.action && x.cured === null);
    if (a) {
      a.cured = c.cured;
      a.cureSummary = c.summary;
    }
    out(`   ${clock()} ${c.host}: CURE CHECK ${c.action}: ${c.summary}`.slice(0, 300));
  });
  watcher.on('action', (report: ActionReport, d: Decision) => {
    if (report.dryRun) return;
    const seen: ActionSeen = {
      at: Date.now(),
      tier: d.tier,
      action: report.action,
      status: report.status,
      verified: report.verification ? report.verification.ok : null,
      cured: null,
      cureSummary: '',
      cause: d.cause?.kind ?? null,
      verifyFailures: (report.verification?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      totalMs: report.timings.totalMs,
      host: report.host,
    };
    r.actions.push(seen);
    if (report.host === TARGET) firstAction ??= seen;
    out(`   ${clock()} ${report.host}: ACTION ${report.action} ${report.status.toUpperCase()} in ${report.timings.totalMs} ms, verification ${seen.verified === null ? 'none' : seen.verified ? 'ok' : 'FAILED'}: ${report.message}`.slice(0, 240));
    for (const f of seen.verifyFailures) out(`        verify FAIL ${f}`.slice(0, 200));
  });
  watcher.on('log', (l) => out(`   ${clock()} ${l}`.slice(0, 220)));
  watcher.start();
  try {
    const watching = await waitFor(() => watcher.status().every((s) => s.phase.kind === 'watching'), (WARMUP + 90) * 1000);
    if (!watching) throw new Error(`detectors not watching after warmup: ${JSON.stringify(watcher.status().map((s) => [s.host, s.phase]))}`);
    out(`   ${clock()} watching; injecting`);
    faultAt = deployedAt || Date.now();
    injection = await sc.inject(ctx);
    // A deployed fault can be acted on before watching formally starts: project from the samples then.
    if (samplesAtDecision && failAtDecision === null) failAtDecision = injection.projectedFailureAt?.(decidedAt, samplesAtDecision) ?? null;
    if (sc.kind === 'harmful') {
      await waitFor(() => firstAction !== undefined, sc.timeoutMs - (Date.now() - faultAt));
      if (firstAction) {
        const doneAt = firstAction.at;
        await waitFor(() => false, 5000);
        const startAt = firstAction.at - firstAction.totalMs;
        const tally = background.snapshot();
        r.beforeAction = tallyBetween(tally, decidedAt || startAt, startAt);
        r.availability = tallyBetween(tally, startAt, doneAt);
        r.afterAction = tallyBetween(tally, doneAt, doneAt + 5000);
        const flip = firstAction.action === 'switch' ? flipTime(tally, startAt, doneAt) : null;
        if (flip !== null) r.afterFlip = tallyBetween(tally, flip, doneAt);
        // Escalation: does a first action that did not cure lead on to the right tier?
        await waitFor(() => false, FOLLOW_MS);
      }
    } else {
      // Benign changes are watched for their window, and at least 30 s after they end.
      await waitFor(() => false, Math.max(30_000, sc.timeoutMs - (Date.now() - faultAt)));
    }
    if (firstAction) {
      const startAt = firstAction.at - firstAction.totalMs;
      r.tier = firstAction.tier;
      r.action = firstAction.action;
      r.status = firstAction.status;
      r.verified = firstAction.verified;
      r.verifyFailures = firstAction.verifyFailures;
      r.faultToActionMs = startAt - faultAt;
      if (sc.slow && failAtDecision != null) r.leadTimeMs = failAtDecision - startAt;
      const later = r.actions.filter((a) => a.host === TARGET && a !== firstAction);
      if (later.length) r.note = `then ${later.map((a) => `${a.action}(${a.status}) at +${((a.at - a.totalMs - faultAt) / 1000).toFixed(0)} s`).join(', ')}`;
    } else if (sc.slow && injection.projectedFailureAt) {
      const failAt = injection.projectedFailureAt(Date.now(), samples);
      r.note = failAt != null ? `no action; failure projected ${secs(failAt - faultAt)} after the fault` : 'no action';
    }
    const extra = injection.note?.();
    if (extra) r.note = [r.note, extra].filter(Boolean).join('; ');
  } catch (e) {
    r.error = e instanceof Error ? e.message : String(e);
    out(`   ERROR ${r.error}`);
  } finally {
    await background.stop();
    await injection?.stop?.().catch(() => undefined);
    await watcher.stop();
  }
  return r;
}

/**
 * The right outcome, as written beside each scenario before it runs. Harmful: the first action
 * is the expected tier, taken before the failure (slow faults), its cure check ends as expected,
 * and a cure that did not hold is followed by no repeat of the same action. Benign: no action.
 */
function judge(r: ScenarioResult): boolean {
  const mine = r.actions.filter((a) => a.host === TARGET);
  if (r.kind === 'benign') return r.actions.length === 0;
  if (mine.length === 0 || r.tier !== r.expectTier) return false;
  if (r.leadTimeMs != null && r.leadTimeMs <= 0) return false;
  if (mine[0].cured !== r.expectCured) return false;
  const repeated = mine.some((a, i) => i > 0 && a.action === mine[0].action);
  return !repeated;
}

function outcomeText(r: ScenarioResult): string {
  const mine = r.actions.filter((a) => a.host === TARGET);
  const others = r.actions.filter((a) => a.host !== TARGET).map((a) => `${a.host}:${a.action}`);
  const acts = mine.map((a) => `${a.tier} ${a.action}${a.status !== 'done' ? ` (${a.status})` : ''}${a.cured === null ? '' : a.cured ? ', cured' : ', NOT cured'}`);
  const text = [...acts, ...others].join('; then ') || 'no action';
  return r.proposals.length ? `${text}; proposal: ${r.proposals.join(', ')}` : text;
}

function row(r: ScenarioResult): string[] {
  if (r.skipped) return [r.name, r.right, 'skipped', '-', '-', '-', '-', r.skipped];
  if (r.error) return [r.name, r.right, 'error', '-', '-', '-', '-', r.error];
  const fmt = (t: RequestTally | null): string => (t ? `${t.failed}/${t.sent}` : '-');
  const failed = r.availability ? `${fmt(r.beforeAction)} | ${fmt(r.availability)} | ${fmt(r.afterAction)}` : '-';
  const lead = r.kind === 'benign' ? '-' : r.leadTimeMs == null ? (r.tier === null ? '-' : 'immediate') : secs(r.leadTimeMs);
  return [
    r.name,
    r.right,
    outcomeText(r),
    r.ok ? 'yes' : 'NO',
    r.causes.join(' → ') || '-',
    lead,
    failed,
    [
      r.afterFlip ? `after traffic moved: ${r.afterFlip.failed}/${r.afterFlip.sent} failed` : '',
      r.faultToActionMs != null ? `fault→action ${secs(r.faultToActionMs)}` : '',
      `max risk ${r.maxRisk.toFixed(2)}`,
      r.note,
    ].filter(Boolean).join('; '),
  ];
}

async function main(): Promise<void> {
  const missing = labUnavailableReason();
  if (missing) {
    process.stderr.write(`bench:scenarios runs on lab hosts, and ${missing}\n`);
    process.exit(2);
  }
  const hosts = flag('hosts', 2);
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
  const wanted = only?.split(',').map((w) => w.trim()) ?? [];
  const scenarios = GAUNTLET.filter((s) => wanted.length === 0 || wanted.some((w) => s.name.includes(w)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-scenarios-'));
  const labDir = path.join(dir, 'lab');
  const started = Date.now();
  out(`bringing up ${hosts} lab hosts in ${labDir}…`);
  const results: ScenarioResult[] = [];
  let engine: Engine | undefined;
  try {
    const lab = await labUp({ dir: labDir, hosts });
    process.env.PLUMBLINE_SSH_CONFIG = labSshSettings(lab.dir).config; // plumbline.yaml cannot choose it
    const yamlFile = path.join(labDir, 'plumbline.yaml');
    fs.writeFileSync(yamlFile, yamlForBench(fs.readFileSync(yamlFile, 'utf8')));
    const opened = await Engine.open({ configFile: yamlFile, dataDir: path.join(dir, 'data') });
    if (!opened.ok) throw new Error(opened.error.map((e) => e.message).join('; '));
    engine = opened.value;
    const lastSample: { s?: Sample } = {};
    for (const sc of scenarios) {
      try {
        results.push(await runScenario(engine, lab, sc, lastSample));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        out(`   ERROR ${msg}`);
        results.push({ ...emptyResult(sc), error: msg });
      }
    }
  } finally {
    await engine?.close();
    await labDown({ dir: labDir }).catch((e: unknown) => out(`lab down failed: ${String(e)}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  out(`\nscenarios on ${hosts} lab hosts (target ${TARGET}), ${secs(Date.now() - started)} in all:`);
  for (const r of results) r.ok = !r.skipped && !r.error && judge(r);
  out(renderTable(['SCENARIO', 'RIGHT OUTCOME (written before)', 'OUTCOME', 'RIGHT?', 'CAUSE NAMED', 'LEAD TIME', 'FAILED REQS before|during|after', 'NOTES'], results.map(row), 90));
  const harmful = results.filter((r) => r.kind === 'harmful' && !r.skipped);
  const benign = results.filter((r) => r.kind === 'benign' && !r.skipped);
  const targets = {
    rightOutcomes: `${results.filter((r) => r.ok).length}/${results.filter((r) => !r.skipped).length}`,
    rightTierBeforeFailure: harmful.filter((r) => r.tier === r.expectTier && (r.leadTimeMs == null || r.leadTimeMs > 0)).length + `/${harmful.length}`,
    benignActions: benign.reduce((a, r) => a + r.actions.length, 0),
    actionsVerified: results.flatMap((r) => r.actions).filter((a) => a.verified).length + `/${results.flatMap((r) => r.actions).length}`,
    failedRequestsDuringSwitch: harmful.filter((r) => r.action === 'switch').reduce((a, r) => a + (r.afterFlip?.failed ?? r.availability?.failed ?? 0), 0),
    failedRequestsBeforeFlip: harmful.filter((r) => r.action === 'switch').reduce((a, r) => a + (r.availability?.failed ?? 0) - (r.afterFlip?.failed ?? r.availability?.failed ?? 0), 0),
    failedRequestsDuringRollback: results.flatMap((r) => (r.action === 'rollback' ? [r.availability?.failed ?? 0] : [])).reduce((a, b) => a + b, 0),
    failedStatusesDuringSwitch: harmful.filter((r) => r.action === 'switch').map((r) => ({ name: r.name, during: r.availability?.statuses ?? {}, afterFlip: r.afterFlip?.statuses ?? null })),
  };
  out(`\ntargets: right outcomes ${targets.rightOutcomes}; right tier before failure ${targets.rightTierBeforeFailure}; benign actions ${targets.benignActions} (target 0); actions verified ${targets.actionsVerified}; failed requests during switches ${targets.failedRequestsDuringSwitch} after traffic moved (target 0; ${targets.failedRequestsBeforeFlip} before it, while the faulty colour still served); during rollbacks ${targets.failedRequestsDuringRollback}`);
  const file = writeResults('scenarios', { hosts, target: TARGET, warmup: WARMUP, intervalMs: 1000, durationMs: Date.now() - started, targets, results });
  out(`results: ${file}`);
}

function emptyResult(sc: Scenario): ScenarioResult {
  return {
    name: sc.name,
    kind: sc.kind,
    right: sc.right,
    failure: sc.failure,
    expectTier: sc.expectTier ?? null,
    expectCured: sc.expectCured ?? true,
    causes: [],
    proposals: [],
    ok: false,
    skipped: null,
    error: null,
    tier: null,
    action: null,
    status: null,
    faultToActionMs: null,
    leadTimeMs: null,
    verified: null,
    verifyFailures: [],
    beforeAction: null,
    availability: null,
    afterAction: null,
    afterFlip: null,
    actions: [],
    decisions: [],
    maxRisk: 0,
    note: '',
  };
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
