import type { EnvironmentConfig } from '../config/types';
import type { Result } from '../common/result';
import type { HostDiff } from '../fingerprint/diff';
import type { Fingerprint } from '../fingerprint/types';
import { shellCommand } from '../ssh/quote';
import type { SnapshotRecord } from '../store/store';
import { readHostState, type HostState } from './hostState';
import { actionConfigHash } from './approval';
import { HostLock, lockArgv, DEFAULT_LEASE_S, type Fence } from './lock';
import { remediate } from './remediate';
import { rollback, switchOwnedFile } from './rollback';
import { probeRoot, StepRunner } from './steps';
import { switchColour } from './switch';
import { ActionStop, type ActionKind, type ActionReport, type HostShell, type StepRecord, type Verification } from './types';
import type { Colour } from './upstream';
import { verifyAction } from './verify';

/** How long verification keeps re-capturing for the host to settle before it reports failure. */
export const DEFAULT_SETTLE_MS = 20_000;
const VERIFY_INTERVAL_MS = 1000;

/** The edges an action needs, injected so the orchestration is tested without SSH or a store. */
export interface ActDeps {
  shell: HostShell;
  env: EnvironmentConfig;
  host: string;
  /** `user@machine`: recorded as the lock owner and in the audit log. */
  actor: string;
  /** One live capture of the host (the agent, one exec). */
  capture(): Promise<Result<Fingerprint, string>>;
  /** The host's active baseline and a diff of `live` against it; undefined without a baseline. */
  compare(live: Fingerprint): { baseline: Fingerprint; diff: HostDiff } | undefined;
  /** The newest snapshot, secret contents included. */
  snapshot(): SnapshotRecord | undefined;
  log?(line: string): void;
}

export interface ActOptions {
  dryRun?: boolean;
  /** Seconds to wait for another actor's lock; 0 refuses at once. Default 30. */
  lockWaitS?: number;
  leaseS?: number;
  settleMs?: number;
  /** Switch: the colour to go to (default: the other one). */
  to?: Colour;
  /** Reasons this action was taken (policy decision, a person's note); recorded with it. */
  reasons?: string[];
  /** A shared fleet's lease token on the host: the host refuses it once it has seen a newer one. */
  fence?: Fence;
  /** Asked right after the lock is taken: a fleet worker says whether its lease on the host still holds. */
  stillHolds?: () => boolean;
  onLockWait?(holder: string): void;
  /** Told of each command as it is sent to the host (not in a dry run's change steps). */
  onStep?(title: string, effect: 'read' | 'change'): void;
  /** A person approved a dry run built on this config (its `configHash`): on another config the action is refused. */
  approved?: { configHash: string };
}

/**
 * Runs one action on one host: take the host's lock, run the action's commands (only listing the
 * changing ones in a dry run), then re-capture until the host verifies against its baseline or
 * the settle time runs out. Never throws for host trouble: the report says what happened.
 */
export async function runAction(kind: ActionKind, deps: ActDeps, opts: ActOptions = {}): Promise<ActionReport> {
  const started = Date.now();
  const dryRun = opts.dryRun ?? false;
  const log = deps.log ?? (() => undefined);
  const report: ActionReport = {
    env: deps.env.name,
    host: deps.host,
    action: kind,
    dryRun,
    status: 'done',
    message: '',
    reasons: [...(opts.reasons ?? [])],
    steps: [],
    timings: { lockWaitMs: 0, actionMs: 0, verifyMs: 0, totalMs: 0 },
  };
  let lock: HostLock | undefined;
  let lockedAt: number | undefined;
  let runner: StepRunner | undefined;
  const lockRecord: StepRecord[] = [];
  report.configHash = actionConfigHash(deps.env);
  try {
    if (opts.approved && !dryRun && opts.approved.configHash !== report.configHash) {
      throw new ActionStop('refused', `plumbline.yaml changed for ${deps.env.name} since the approval (its actions, release link, managed files or health check); nothing ran: plan and approve it again`);
    }
    const root = await probeRoot(deps.shell, deps.host);
    report.steps.push(root.record);
    const owner = JSON.stringify({ by: deps.actor, pid: process.pid, action: kind, since: new Date().toISOString() });
    const lockOpts = { owner, waitS: opts.lockWaitS ?? 30, leaseS: opts.leaseS ?? DEFAULT_LEASE_S, sudo: !root.isRoot, ...(opts.fence && { fence: opts.fence }) };
    if (opts.fence) report.fence = { ...opts.fence, holder: deps.actor };
    const argv = lockArgv(lockOpts);
    const record: StepRecord = { title: 'take the host lock (held until the action is verified)', effect: 'change', argv, command: shellCommand(argv), ran: false };
    lockRecord.push(record);
    if (!dryRun) {
      const t = Date.now();
      opts.onStep?.(record.title, 'change');
      const l = await HostLock.acquire(deps.shell, deps.host, { ...lockOpts, onWait: (h) => (log(`${deps.host}: waiting for the host lock held by ${h}`), opts.onLockWait?.(h)) });
      report.timings.lockWaitMs = Date.now() - t;
      record.ran = true;
      record.durationMs = report.timings.lockWaitMs;
      if (!l.ok) {
        const e = l.error;
        record.error = e.kind === 'LockHeld' ? `held by ${e.holder}` : e.kind === 'Fenced' ? `fenced: the host has seen token ${e.seen}` : e.message;
        throw new ActionStop(
          'refused',
          e.kind === 'LockHeld'
            ? `another actor holds the lock on ${deps.host}: ${e.holder} (waited ${Math.round(e.waitedMs / 1000)} s)`
            : e.kind === 'Fenced'
              ? `fenced: this actor's lease token ${e.token} is older than token ${e.seen}, which ${deps.host} has seen from the worker that holds it now`
              : `cannot take the lock on ${deps.host}: ${e.message}`,
        );
      }
      lock = l.value;
      lockedAt = Date.now();
      if (opts.stillHolds && !opts.stillHolds()) throw new ActionStop('refused', `the lease on ${deps.host} is no longer this worker's; another worker watches it now`);
      if (lock.holderWhileWaiting !== undefined) report.reasons.push(`waited ${report.timings.lockWaitMs} ms for the lock held by ${lock.holderWhileWaiting}`);
    }
    const held = lock;
    runner = new StepRunner(deps.shell, deps.host, dryRun, root.isRoot, () => {
      if (held?.lost) throw new ActionStop('failed', `lost the host lock mid-action (${held.lost}); stopped before the next change`);
    });
    if (opts.onStep) runner.onStep = (title, effect) => opts.onStep?.(title, effect);
    let snapshot: SnapshotRecord | undefined;
    try {
      snapshot = kind === 'rollback' ? deps.snapshot() : undefined;
    } catch (e) {
      // A snapshot that cannot be read whole (its secrets key missing) is refused before any change.
      throw new ActionStop('refused', e instanceof Error ? e.message : String(e));
    }
    const actionStarted = Date.now();
    let upstream: Parameters<typeof verifyAction>[0]['upstream'];
    if (kind === 'remediate') report.reasons.push(...(await remediate(runner, deps.env)));
    else if (kind === 'switch') {
      const r = await switchColour(runner, deps.env, { to: opts.to });
      report.reasons.push(...r.notes);
      const sw = deps.env.actions.switch;
      if (r.to && sw?.upstream && sw.blue && sw.green) upstream = { path: sw.upstream, colour: r.to, addresses: { blue: sw.blue, green: sw.green } };
    } else report.reasons.push(...(await rollback(runner, deps.env, snapshot, owner)));
    report.timings.actionMs = Date.now() - actionStarted;

    if (dryRun) {
      report.status = 'planned';
      report.message = `dry run: ${runner.records.filter((s) => s.effect === 'change').length} change(s) would run on ${deps.host}; nothing was changed`;
    } else {
      const v = await verifyLoop(deps, runner, kind, { snapshot, upstream, settleMs: opts.settleMs ?? DEFAULT_SETTLE_MS });
      report.verification = v;
      report.timings.verifyMs = v.durationMs;
      if (v.ok) {
        report.status = 'done';
        // "Verified" here is the host's state (health, process, files, release); whether the action
        // cured what triggered it is the watch's cure check, on the samples after it.
        report.message = `${kind} on ${deps.host} done; the host is back to its baseline (${v.attempts} capture(s))`;
      } else {
        report.status = 'verify-failed';
        const failed = [...v.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`), ...v.drift.map((d) => `${d.path}: ${String(d.old)} → ${String(d.new)}`)];
        report.message = `VERIFICATION FAILED: ${kind} on ${deps.host} ran, but the host is not back to its baseline after ${Math.round(v.durationMs / 1000)} s: ${failed.join('; ')}`;
      }
    }
  } catch (e) {
    if (!(e instanceof ActionStop)) throw e;
    report.status = e.status;
    report.message = `${kind} on ${deps.host} ${e.status === 'refused' ? 'refused' : 'FAILED'}: ${e.message}`;
  } finally {
    if (lock) await lock.release();
    if (lockedAt !== undefined) report.window = { from: lockedAt, to: Date.now() };
    report.steps.push(...lockRecord, ...(runner?.records ?? []));
    report.timings.totalMs = Date.now() - started;
  }
  return report;
}

async function verifyLoop(
  deps: ActDeps,
  runner: StepRunner,
  kind: ActionKind,
  opts: { snapshot?: SnapshotRecord; upstream?: Parameters<typeof verifyAction>[0]['upstream']; settleMs: number },
): Promise<Verification> {
  const started = Date.now();
  const deadline = started + opts.settleMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const live = await deps.capture();
    let result: ReturnType<typeof verifyAction>;
    if (!live.ok) {
      result = { ok: false, checks: [{ name: 'capture', ok: false, detail: live.error }], drift: [], otherDrift: [] };
    } else {
      let state: HostState | undefined;
      if (kind === 'rollback' && opts.snapshot) state = await readHostState(runner, deps.env, 'read the release link and managed files to verify');
      const cmp = deps.compare(live.value);
      result = verifyAction({ action: kind, live: live.value, diff: cmp?.diff, baseline: cmp?.baseline, snapshot: opts.snapshot, state, upstream: opts.upstream, leftAlone: switchOwnedFile(deps.env) });
    }
    const out = () => ({ ...result, attempts, durationMs: Date.now() - started });
    if (result.ok || Date.now() + VERIFY_INTERVAL_MS > deadline) return out();
    await new Promise((r) => setTimeout(r, VERIFY_INTERVAL_MS));
  }
}
