import type { DiffItem, DiffKind, HostDiff } from '../fingerprint/diff';
import type { Fingerprint } from '../fingerprint/types';
import type { SnapshotRecord } from '../store/store';
import { fileDifferences, type HostState, type SnapshotFile } from './hostState';
import type { ActionKind, VerificationCheck } from './types';
import { activeColour, type Colour } from './upstream';

export interface VerifyInput {
  action: ActionKind;
  live: Fingerprint;
  /** Live diff against the active baseline; undefined when the host has none. */
  diff?: HostDiff;
  baseline?: Fingerprint;
  /** Rollback: the snapshot it went back to, and the host's files and release read after it. */
  snapshot?: SnapshotRecord;
  state?: HostState;
  /** Rollback: a managed file it leaves as it is (the switch's upstream), not compared with the snapshot. */
  leftAlone?: string;
  /** Switch (nginx-upstream): the colour traffic should now go to. */
  upstream?: { path: string; colour: Colour; addresses: Record<Colour, string> };
}

export interface VerifyResult {
  ok: boolean;
  checks: VerificationCheck[];
  drift: DiffItem[];
  otherDrift: DiffItem[];
}

/** Drift kinds each action is meant to fix; drift of these kinds fails its verification. */
const TARGET_KINDS: Record<ActionKind, readonly DiffKind[]> = {
  remediate: ['process', 'health', 'service'],
  switch: ['process', 'health', 'service'],
  // Release and files are checked against the snapshot instead, which is what rollback restores.
  rollback: ['process', 'health', 'service'],
};

/**
 * Did the host come back? Pure: a live capture (plus what the action itself read) in, checks out.
 * Health must answer 2xx, the app process must run when it ran in the baseline, and nothing the
 * action was meant to fix may still differ from the baseline — or, for rollback, from the snapshot.
 */
export function verifyAction(input: VerifyInput): VerifyResult {
  const checks: VerificationCheck[] = [];
  const { live } = input;
  if (!input.diff || !input.baseline) {
    checks.push({ name: 'baseline', ok: false, detail: 'no active baseline to verify against; promote one with `plumbline baseline`' });
  }
  const health = live.app.health;
  if (health) {
    const ok = health.status !== null && health.status >= 200 && health.status < 300;
    checks.push({ name: 'health', ok, detail: `${health.url} → ${health.status ?? `no response${health.error ? ` (${health.error})` : ''}`}` });
  }
  const wasRunning = (input.baseline?.app.process?.pids.length ?? 0) > 0;
  if (live.app.process && wasRunning) {
    const n = live.app.process.pids.length;
    checks.push({ name: 'process', ok: n > 0, detail: `${live.app.process.pattern}: ${n} process(es)` });
  }

  let expectedFile: string | undefined;
  if (input.upstream) {
    expectedFile = input.upstream.path;
    const file = live.app.files.find((f) => f.remote === input.upstream!.path);
    if (file?.content !== undefined) {
      const c = activeColour(file.content, input.upstream.addresses);
      checks.push({
        name: 'upstream',
        ok: c.ok && c.value === input.upstream.colour,
        detail: c.ok ? `${input.upstream.path} sends traffic to ${c.value}` : c.error,
      });
    }
  }

  if (input.snapshot && input.state) {
    const rel = input.snapshot.release;
    if (rel) {
      const now = input.state.release?.target ?? null;
      checks.push({ name: 'release', ok: now === rel.target, detail: `${rel.path} → ${now ?? '(none)'} (snapshot: ${rel.target ?? '(none)'})` });
    }
    for (const want of input.snapshot.files as SnapshotFile[]) {
      if (want.remote === input.leftAlone) {
        checks.push({ name: `file ${want.remote}`, ok: true, detail: 'left as the switch set it (which colour serves is the switch\'s decision)' });
        continue;
      }
      const diffs = fileDifferences(want, input.state.files.find((f) => f.remote === want.remote));
      checks.push({ name: `file ${want.remote}`, ok: diffs.length === 0, detail: diffs.length ? `differs from the snapshot: ${diffs.join(', ')}` : 'as in the snapshot' });
    }
  }

  const items = (input.diff?.items ?? []).filter((i) => i.severity !== 'info');
  const targets = TARGET_KINDS[input.action];
  const drift = items.filter((i) => targets.includes(i.kind));
  const otherDrift = items.filter((i) => !targets.includes(i.kind) && !(expectedFile && i.kind === 'file' && i.path.startsWith(`app.files.${expectedFile}`)));
  return { ok: checks.every((c) => c.ok) && drift.length === 0, checks, drift, otherDrift };
}
