import { createHash } from 'node:crypto';
import type { EnvironmentConfig } from '../config/types';
import type { ManagedFileState } from '../fingerprint/types';
import type { SnapshotInput, SnapshotRecord } from '../store/store';
import { RUNNING_SINCE_SCRIPT, SNAPSHOT_READ_SCRIPT, scriptArgv } from './scripts';
import type { StepRunner } from './steps';
import { ActionStop } from './types';

/** A managed file as a snapshot keeps it: the fingerprint's fields plus the group, for an exact restore. */
export interface SnapshotFile extends ManagedFileState {
  group?: string;
}

/** What tier 3 restores, read from the host: the release target and each managed file with its bytes. */
export interface HostState {
  release: { path: string; target: string | null } | null;
  files: SnapshotFile[];
  /** Remote path → text content of each secret file that exists and is text. */
  secretContents: Record<string, string>;
}

/** Reads the release link and every managed file (content, mode, owner, group) in one exec, as root. */
export async function readHostState(run: StepRunner, env: EnvironmentConfig, title = 'read the release link and managed files'): Promise<HostState> {
  const files = env.layers.app.files;
  const r = await run.must({
    title,
    effect: 'read',
    root: true,
    privateOutput: true,
    argv: scriptArgv('plumbline-snapshot-read', SNAPSHOT_READ_SCRIPT, [env.layers.app.release ?? '', ...files.map((f) => f.remote)]),
    timeoutMs: 120_000,
  });
  return parseHostState(r.stdout, env);
}

/** Parses SNAPSHOT_READ_SCRIPT's output. Files are named by position, never by a path read back. */
export function parseHostState(stdout: string, env: EnvironmentConfig): HostState {
  const files = env.layers.app.files;
  const lines = stdout.split('\n');
  const state: HostState = { release: null, files: [], secretContents: {} };
  const releasePath = env.layers.app.release;
  const byIndex = new Map<number, SnapshotFile>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('@R') && releasePath) {
      state.release = { path: releasePath, target: line === '@R-' ? null : line.slice(3) };
    } else if (line.startsWith('@M ')) {
      const n = Number(line.slice(3));
      const f = files[n - 1];
      if (f) byIndex.set(n, { remote: f.remote, exists: false, sha256: null, size: null, mode: null, owner: null, secret: f.secret });
    } else if (line.startsWith('@F ')) {
      const [, idx, mode, owner, group] = line.split(' ');
      const n = Number(idx);
      const f = files[n - 1];
      const chunks: string[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== `@E ${idx}`) chunks.push(lines[++i]);
      if (i + 1 >= lines.length) throw new ActionStop('failed', `reading ${f?.remote ?? `file ${idx}`} was cut short`);
      i++;
      if (!f) continue;
      const bytes = Buffer.from(chunks.join(''), 'base64');
      const entry: SnapshotFile = {
        remote: f.remote,
        exists: true,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        mode,
        owner,
        group,
        secret: f.secret,
      };
      const text = bytes.toString('utf8');
      if (bytes.includes(0) || !Buffer.from(text, 'utf8').equals(bytes)) entry.note = 'binary: content not kept, so rollback cannot restore it';
      else if (f.secret) state.secretContents[f.remote] = text;
      else entry.content = text;
      byIndex.set(n, entry);
    }
  }
  for (let n = 1; n <= files.length; n++) {
    const f = byIndex.get(n);
    if (!f) throw new ActionStop('failed', `reading ${files[n - 1].remote} gave no answer`);
    state.files.push(f);
  }
  if (releasePath && !state.release) throw new ActionStop('failed', `reading the release link ${releasePath} gave no answer`);
  return state;
}

export function snapshotInput(state: HostState, meta: { takenBy: string; reason: string }): SnapshotInput {
  return { takenBy: meta.takenBy, reason: meta.reason, release: state.release, files: state.files, secretContents: state.secretContents };
}

/** The content a snapshot holds for a file, secret or not; undefined when it kept none. */
export function snapshotContent(snapshot: Pick<SnapshotRecord, 'files' | 'secretContents'>, remote: string): string | undefined {
  const f = snapshot.files.find((x) => x.remote === remote);
  if (!f) return undefined;
  return f.secret ? snapshot.secretContents?.[remote] : f.content;
}

/** Differences between a file now and as the snapshot has it, as short phrases ([] when equal). */
export function fileDifferences(want: SnapshotFile, have: SnapshotFile | undefined): string[] {
  if (!have) return ['not read'];
  if (want.exists !== have.exists) return [want.exists ? 'missing' : 'should not exist'];
  if (!want.exists) return [];
  const out: string[] = [];
  if (want.sha256 !== have.sha256) out.push('content');
  if (want.mode !== have.mode) out.push(`mode ${have.mode} (want ${want.mode})`);
  if (want.owner !== have.owner) out.push(`owner ${have.owner} (want ${want.owner})`);
  if (want.group !== undefined && want.group !== have.group) out.push(`group ${have.group} (want ${want.group})`);
  return out;
}

/** A named process that started before the release link last changed: it runs the release from before. */
export interface StaleProcess {
  name: string;
  pid: number;
  startedAt: string;
  linkChangedAt: string;
}

/**
 * The app's processes (`names`) that started before the release link last changed: a rollback or
 * deploy cut off between the link and the restart leaves them. [] without a release link.
 */
export async function staleProcesses(run: StepRunner, env: EnvironmentConfig, names: readonly string[]): Promise<StaleProcess[]> {
  const rel = env.layers.app.release;
  if (!rel || names.length === 0) return [];
  const r = await run.must({ title: 'compare when the app processes started with when the release link changed', effect: 'read', root: true, argv: scriptArgv('plumbline-running-since', RUNNING_SINCE_SCRIPT, [rel, ...names]) });
  return parseStaleProcesses(r.stdout);
}

/** Parses RUNNING_SINCE_SCRIPT's output into the processes older than the link. */
export function parseStaleProcesses(stdout: string): StaleProcess[] {
  const link = /^@L (\d+)$/m.exec(stdout);
  if (!link) return [];
  const changed = Number(link[1]);
  const out: StaleProcess[] = [];
  for (const m of stdout.matchAll(/^@P (\S+) (\d+) (\d+)$/gm)) {
    const started = Number(m[3]);
    // Whole seconds on both sides: a process started in the link's own second is not called stale.
    if (started < changed) out.push({ name: m[1], pid: Number(m[2]), startedAt: new Date(started * 1000).toISOString(), linkChangedAt: new Date(changed * 1000).toISOString() });
  }
  return out;
}
