import type { ManagedFile } from '../config/types';
import type { DiffItem, FileDiff } from './diff';
import { changedBaselineRanges, mapRanges, sameLines, splitLines, type LineRange } from './diffRanges';
import { severityOf, type SeverityRule } from './diffSeverity';
import type { ManagedFileState } from './types';

export const SECRET_NOTE = 'secret file: content not compared line by line';

export interface FileDiffOptions {
  files?: ManagedFile[];
  readLocal?: (local: string) => string | undefined;
}

/**
 * Managed files, baseline → live: existence, content (by sha256, with the baseline and workspace
 * lines that changed when both sides carry text), mode and owner. Secret files are compared by
 * hash only and their content never reaches an item.
 */
export function diffManagedFiles(baseline: ManagedFileState[], live: ManagedFileState[], opts: FileDiffOptions = {}): DiffItem[] {
  const items: DiffItem[] = [];
  const before = new Map(baseline.map((f) => [f.remote, f]));
  const after = new Map(live.map((f) => [f.remote, f]));
  for (const remote of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(remote);
    const l = after.get(remote);
    const config = opts.files?.find((f) => f.remote === remote);
    const secret = Boolean(b?.secret || l?.secret || config?.secret);
    const path = `app.files.${remote}`;
    const file = (ranges: LineRange[], baselineRanges: LineRange[], note?: string): FileDiff => ({
      ...(config ? { local: config.local } : {}),
      remote,
      secret,
      ranges,
      baselineRanges,
      ...(note ? { note } : {}),
    });
    const item = (change: DiffItem['change'], rule: SeverityRule, itemPath: string, old: unknown, now: unknown, f: FileDiff): DiffItem => ({
      layer: 'app',
      kind: 'file',
      change,
      path: itemPath,
      ...(old !== undefined ? { old } : {}),
      ...(now !== undefined ? { new: now } : {}),
      severity: severityOf(rule),
      file: f,
    });

    if (!b || !l) {
      const only = (b ?? l)!;
      const note = b ? 'no longer a managed file' : 'not managed when the baseline was taken';
      items.push(item(b ? 'removed' : 'added', 'coverage', path, b && fileRef(only, secret), l && fileRef(only, secret), file([], [], note)));
      continue;
    }
    if (b.exists !== l.exists) {
      if (b.exists) items.push(item('removed', 'file.missing', path, fileRef(b, secret), undefined, file([], [], 'file missing on host')));
      else items.push(item('added', 'file.appeared', path, undefined, fileRef(l, secret), file([], [], 'file appeared on host; it was absent in the baseline')));
      continue;
    }
    if (!b.exists) continue;

    const content = compareContent(b, l, secret, opts.readLocal, config);
    if (content) items.push(item('changed', content.rule, path, fileRef(b, secret), fileRef(l, secret), file(content.ranges, content.baselineRanges, content.note)));

    const permissionRule: SeverityRule = secret ? 'file.secretPermissions' : 'file.permissions';
    for (const attr of ['mode', 'owner'] as const) {
      if (b[attr] !== null && l[attr] !== null && b[attr] !== l[attr]) {
        items.push(item('changed', permissionRule, `${path}#${attr}`, b[attr], l[attr], file([], [], `${attr} changed; no line to point at`)));
      }
    }
  }
  return items;
}

interface ContentChange {
  rule: SeverityRule;
  ranges: LineRange[];
  baselineRanges: LineRange[];
  note?: string;
}

function compareContent(
  b: ManagedFileState,
  l: ManagedFileState,
  secret: boolean,
  readLocal: FileDiffOptions['readLocal'],
  config: ManagedFile | undefined,
): ContentChange | undefined {
  if (b.sha256 === null || l.sha256 === null) {
    if (b.sha256 !== null) return { rule: 'file.unreadable', ranges: [], baselineRanges: [], note: `content could not be read on host${l.note ? `: ${l.note}` : ''}` };
    return undefined; // nothing was known about the baseline's content
  }
  if (b.sha256 === l.sha256) return undefined;
  if (secret) return { rule: 'file.secretContent', ranges: [], baselineRanges: [], note: SECRET_NOTE };
  if (b.content === undefined || l.content === undefined) {
    const why = (b.content === undefined ? b.note : l.note) ?? 'no text captured';
    return { rule: 'file.content', ranges: [], baselineRanges: [], note: `content not compared line by line (${why}); the hash changed` };
  }

  const baseLines = splitLines(b.content);
  const liveLines = splitLines(l.content);
  if (sameLines(baseLines, liveLines)) {
    return { rule: 'file.content', ranges: [], baselineRanges: [], note: 'only line endings or the final newline differ' };
  }
  const localText = config ? readLocal?.(config.local) : undefined;
  const localLines = localText === undefined ? undefined : splitLines(localText);
  const baselineRanges = changedBaselineRanges(baseLines, liveLines);
  if (!baselineRanges) {
    const whole = (lines: readonly string[]): LineRange[] => [{ start: 1, end: Math.max(1, lines.length) }];
    const note = 'too many changes to compare line by line; the whole file is marked';
    return { rule: 'file.content', ranges: whole(localLines ?? baseLines), baselineRanges: whole(baseLines), note };
  }
  if (!config) return { rule: 'file.content', ranges: baselineRanges, baselineRanges, note: 'no workspace file mapped; ranges are baseline lines' };
  if (!localLines) {
    return { rule: 'file.content', ranges: baselineRanges, baselineRanges, note: `workspace file ${config.local} not readable; ranges are baseline lines` };
  }
  if (sameLines(localLines, baseLines)) return { rule: 'file.content', ranges: baselineRanges, baselineRanges };
  const mapped = mapRanges(baselineRanges, baseLines, localLines);
  if (!mapped) {
    const note = `workspace file ${config.local} differs too much from the baseline to align; ranges are baseline lines`;
    return { rule: 'file.content', ranges: baselineRanges, baselineRanges, note };
  }
  return { rule: 'file.content', ranges: mapped, baselineRanges, note: `workspace file ${config.local} differs from the baseline; lines mapped onto it` };
}

/** How a file is shown in old/new: its hash, never its content (secret hashes shortened). */
function fileRef(f: ManagedFileState, secret: boolean): string {
  if (!f.exists) return 'absent';
  if (f.sha256 === null) return 'unreadable';
  return `sha256:${secret ? f.sha256.slice(0, 12) : f.sha256}`;
}
