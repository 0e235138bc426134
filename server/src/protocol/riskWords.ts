/**
 * Risk in words, shared by the server (hovers, diagnostics) and the client (trees, status bar,
 * tooltips) so every face says the same thing. Pure.
 */
import type { ReasonView, RiskStateWord, RiskView } from './protocol';

/** The tier a risk state maps to, as the policy reads it: minor → 1, moderate → 2, severe → 3. */
export function tierOf(state: RiskStateWord): 0 | 1 | 2 | 3 {
  return state === 'minor' ? 1 : state === 'moderate' ? 2 : state === 'severe' ? 3 : 0;
}

/** "ok", "minor", "moderate", "severe", "no data". */
export function stateWord(state: RiskStateWord): string {
  return state === 'nodata' ? 'no data' : state;
}

/** "moderate risk (tier 2)", "ok", "no data". */
export function riskPhrase(r: Pick<RiskView, 'state'>): string {
  const tier = tierOf(r.state);
  return tier > 0 ? `${r.state} risk (tier ${tier})` : stateWord(r.state);
}

export const RISK_ORDER: readonly RiskStateWord[] = ['ok', 'minor', 'moderate', 'severe', 'nodata'];

/** Higher is worse; no data ranks above severe: it must never look fine. */
export function riskRank(r: Pick<RiskView, 'state' | 'value'> | undefined): number {
  return r ? RISK_ORDER.indexOf(r.state) * 10 + r.value : -1;
}

/** "moderate 0.62: app rssKiB 812 MiB (baseline 400, threshold 600), breach in 4 min" — for tooltips and hovers. */
export function reasonLine(r: ReasonView): string {
  const parts = [`${r.layer} ${r.metric} = ${show(r.value)}`];
  if (r.baseline !== undefined && r.baseline !== null) parts.push(`baseline ${show(r.baseline)}`);
  if (r.threshold !== undefined && r.threshold !== null) parts.push(`threshold ${show(r.threshold)}`);
  if (r.forecast) parts.push(r.forecast.timeToBreachMs === null ? `limit ${show(r.forecast.limit)} not reached at this trend` : `reaches ${show(r.forecast.limit)} in ${duration(r.forecast.timeToBreachMs)}`);
  return `${parts.join(', ')} (${r.source}, score ${r.score.toFixed(2)})`;
}

function show(v: number | string | null): string {
  if (v === null) return 'n/a';
  if (typeof v === 'string') return v;
  return String(Number(v.toPrecision(4)));
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
