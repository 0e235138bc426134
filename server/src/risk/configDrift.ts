import type { DiffItem, Severity } from '../fingerprint/diff';
import type { Finding } from './types';

/** Config drift is persistent by nature, so it counts fully at once at the score of its severity. */
export const SEVERITY_SCORE: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 0.2,
  medium: 0.45,
  high: 0.7,
  critical: 0.95,
};

/** One `config` finding per drifted item that counts (`info` items describe the watch list, not the host). */
export function configFindings(items: readonly DiffItem[], ts: number): Finding[] {
  const out: Finding[] = [];
  for (const item of items) {
    const score = SEVERITY_SCORE[item.severity];
    if (score <= 0) continue;
    out.push({
      ts,
      layer: item.layer,
      source: 'config',
      metric: item.path,
      value: show(item.new),
      baseline: show(item.old),
      threshold: null,
      score,
      detail: `${item.kind} ${item.change} at ${item.path} (${item.severity} drift from the baseline)`,
    });
  }
  return out;
}

function show(v: unknown): string | number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  const text = typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** Reasons travel to the UI and the audit log; a whole file's content does not belong there. */
const MAX_SHOWN = 200;
