/**
 * A decision in words, the same everywhere it is shown (watch output, editor hover and "why"
 * node, audit log): the cause, its evidence (metric, baseline band, value now, since when), what
 * each tier would cure, and why this tier. Pure: a decision in, lines out.
 */
import { clock } from './cause';
import type { Evidence } from './causeTypes';
import type { Decision } from './types';

function num(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

function show(v: number | string | null): string {
  return v === null ? '∅' : typeof v === 'number' ? num(v) : v;
}

/** "app.errorRatio 0.31 (normal 0–0.01, baseline 0) since 12:03:04Z"; forecasts with their limit and time. */
export function evidenceLine(e: Evidence): string {
  const band = e.band ? `normal ${num(e.band.low)}–${num(e.band.high)}` : '';
  const base = e.baseline !== null && e.baseline !== undefined ? `baseline ${show(e.baseline)}` : '';
  const ctx = [band, base].filter(Boolean).join(', ');
  const fc = e.forecast ? `, forecast to reach ${num(e.forecast.limit)}${e.forecast.timeToBreachMs != null ? ` in ${Math.round(e.forecast.timeToBreachMs / 1000)} s` : ''}` : '';
  const since = e.since !== null ? ` since ${clock(e.since)}` : '';
  return `${e.layer}.${e.metric} ${show(e.now)}${ctx ? ` (${ctx})` : ''}${fc}${since} [${e.source}]`;
}

export interface Explanation {
  /** One line: what was decided and why, short. */
  headline: string;
  cause: string;
  evidence: string[];
  /** One line per tier: whether its action cures the cause. */
  tiers: string[];
  /** Why this tier (or none): the policy's own sentence. */
  why: string;
  decidedBy: string;
}

export function explainDecision(d: Decision): Explanation {
  const what = d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}${d.blockedBy ? ` (blocked: ${d.blockedBy})` : d.execute ? ' (runs)' : d.needsApproval ? ' (awaits approval)' : ''}`;
  const cause = d.cause ? `${d.cause.kind}: ${d.cause.summary}` : 'no cause attributed';
  const ev = d.cause ? [...d.cause.harm, ...d.cause.evidence.filter((e) => !d.cause!.harm.includes(e))] : [];
  const seen = new Set<string>();
  const evidence = ev.filter((e) => !seen.has(`${e.layer}.${e.metric}.${e.source}`) && seen.add(`${e.layer}.${e.metric}.${e.source}`)).slice(0, 5).map(evidenceLine);
  const tiers = d.cures.map((c) => `tier ${c.tier} ${c.action}: ${c.cures ? 'cures' : 'does not cure'}${c.cures && !c.configured ? ' (not configured)' : ''}${c.failed ? ' (tried, did not cure)' : ''}: ${c.why}`);
  return {
    headline: `${d.host}: ${what}; cause ${d.cause?.kind ?? 'none'}; decided by ${d.decidedBy}`,
    cause,
    evidence,
    tiers,
    why: d.why,
    decidedBy: d.decidedBy,
  };
}

/** The explanation as indented plain-text lines (CLI, logs). */
export function explanationLines(d: Decision): string[] {
  const x = explainDecision(d);
  return [
    x.headline,
    `  cause: ${x.cause}`,
    ...x.evidence.map((e) => `  evidence: ${e}`),
    ...x.tiers.map((t) => `  ${t}`),
    ...(d.proposal ? [`  proposal: ${d.proposal.why} (${d.proposal.command})`] : []),
    `  why: ${x.why}`,
  ];
}
