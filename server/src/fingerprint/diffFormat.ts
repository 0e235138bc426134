import type { DiffItem, HostDiff } from './diff';
import type { LineRange } from './diffRanges';

const MAX_VALUE = 40;
const MAX_PATH = 60;
const HEADERS = ['HOST', 'LAYER', 'KIND', 'PATH', 'CHANGE', 'SEVERITY'];

/**
 * The diffs as a plain terminal table, one row per item: host, layer, kind, path,
 * "old → new" (with the workspace lines for managed files) and severity. Values come from remote
 * hosts, so control characters are escaped: a host cannot drive the terminal.
 */
export function formatDiffTable(diffs: HostDiff[]): string {
  const rows: string[][] = [];
  for (const d of diffs) {
    const host = d.baselineVersion !== undefined ? `${d.host} (v${d.baselineVersion})` : d.host;
    if (d.items.length === 0) rows.push([host, '', '', '', 'no drift', '']);
    for (const i of d.items) rows.push([host, i.layer, i.kind, shorten(i.path, MAX_PATH), describeChange(i), i.severity]);
  }
  const cells = [HEADERS, ...rows].map((r) => r.map(printable));
  const widths = HEADERS.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function describeChange(i: DiffItem): string {
  const value = (v: unknown): string => shorten(stringify(v), MAX_VALUE);
  const text = i.change === 'added' ? `+ ${value(i.new)}` : i.change === 'removed' ? `- ${value(i.old)}` : `${value(i.old)} → ${value(i.new)}`;
  if (!i.file) return text;
  const where = i.file.ranges.length > 0 ? `${i.file.local ?? i.file.remote}:${formatRanges(i.file.ranges)}` : i.file.note;
  return where ? `${text} (${where})` : text;
}

/** "3-4,9" */
export function formatRanges(ranges: readonly LineRange[]): string {
  return ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
}

function stringify(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  return JSON.stringify(v);
}

/** Keeps both ends of long values: hashes and paths differ at either end. */
function shorten(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ');
  if (flat.length <= max) return flat;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${flat.slice(0, head)}…${flat.slice(flat.length - tail)}`;
}

function printable(s: string): string {
  // C0/C1 controls and bidi overrides, which could rewrite what the terminal shows
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
