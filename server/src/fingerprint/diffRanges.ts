import { diffArrays, type ChangeObject } from 'diff';

/** 1-based inclusive line numbers. */
export interface LineRange {
  start: number;
  end: number;
}

/** Beyond this many line edits two texts are not compared line by line: Myers' diff costs edits × lines. */
const MAX_EDIT_LENGTH = 1000;

/** Lines without their terminators; a final newline does not start another line, and CRLF counts as LF. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/**
 * The baseline lines a change from `baseline` to `live` touches: removed or replaced lines, and
 * for a pure insertion the line the text was inserted at (the baseline line it now precedes),
 * clamped to [1, line count]. Undefined when the texts differ too much to compare.
 */
export function changedBaselineRanges(baseline: readonly string[], live: readonly string[]): LineRange[] | undefined {
  const changes = lineChanges(baseline, live);
  if (!changes) return undefined;
  const ranges: LineRange[] = [];
  let line = 0; // baseline lines consumed so far
  let previous: ChangeObject<string[]> | undefined;
  for (const c of changes) {
    if (c.removed) {
      ranges.push({ start: line + 1, end: line + c.count });
      line += c.count;
    } else if (c.added) {
      // Text added right after removed lines replaces them; that range already covers it.
      if (!previous?.removed) {
        const at = clamp(line + 1, 1, Math.max(1, baseline.length));
        ranges.push({ start: at, end: at });
      }
    } else {
      line += c.count;
    }
    previous = c;
  }
  return merge(ranges);
}

/**
 * Moves baseline line ranges onto a workspace copy of the file that may have been edited since.
 * Lines the workspace kept map to where they are now; lines it replaced map onto the replacing
 * lines; lines it deleted map to the nearest line that survived. Undefined when the two texts
 * differ too much to align.
 */
export function mapRanges(ranges: readonly LineRange[], baseline: readonly string[], workspace: readonly string[]): LineRange[] | undefined {
  if (sameLines(baseline, workspace)) return ranges.map((r) => ({ ...r }));
  const alignment = alignLines(baseline, workspace);
  if (!alignment) return undefined;
  const toWorkspace = (line: number): number => {
    if (baseline.length === 0) return 1;
    const at = clamp(line, 1, baseline.length);
    const direct = alignment[at];
    if (direct !== undefined) return direct;
    for (let d = 1; d < baseline.length; d++) {
      const before = alignment[at - d];
      if (at - d >= 1 && before !== undefined) return before;
      const after = alignment[at + d];
      if (at + d <= baseline.length && after !== undefined) return after;
    }
    return 1; // nothing of the baseline survived in the workspace copy
  };
  const mapped = ranges.map((r) => {
    const a = toWorkspace(r.start);
    const b = toWorkspace(r.end);
    return { start: Math.min(a, b), end: Math.max(a, b) };
  });
  return merge(mapped);
}

/**
 * For each baseline line (1-based index), the workspace line it corresponds to, or undefined
 * when the workspace deleted it without a replacement.
 */
export function alignLines(baseline: readonly string[], workspace: readonly string[]): Array<number | undefined> | undefined {
  const changes = lineChanges(baseline, workspace);
  if (!changes) return undefined;
  const map: Array<number | undefined> = new Array<number | undefined>(baseline.length + 1).fill(undefined);
  let b = 0;
  let w = 0;
  for (let i = 0; i < changes.length; ) {
    const c = changes[i];
    if (!c.added && !c.removed) {
      for (let k = 1; k <= c.count; k++) map[b + k] = w + k;
      b += c.count;
      w += c.count;
      i++;
      continue;
    }
    // A run of removed and added chunks is one edit: spread the removed baseline lines over the
    // lines that replaced them, in order; with nothing added they stay unmapped (deleted).
    let removed = 0;
    let added = 0;
    for (; i < changes.length && (changes[i].added || changes[i].removed); i++) {
      if (changes[i].removed) removed += changes[i].count;
      else added += changes[i].count;
    }
    if (added > 0) for (let k = 0; k < removed; k++) map[b + 1 + k] = w + 1 + Math.min(k, added - 1);
    b += removed;
    w += added;
  }
  return map;
}

function lineChanges(a: readonly string[], b: readonly string[]): Array<ChangeObject<string[]>> | undefined {
  return diffArrays([...a], [...b], { maxEditLength: MAX_EDIT_LENGTH });
}

/** Sorted, with overlapping ranges joined. */
function merge(ranges: LineRange[]): LineRange[] {
  const sorted = [...ranges].sort((x, y) => x.start - y.start || x.end - y.end);
  const out: LineRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
