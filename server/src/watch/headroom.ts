import type { LimitSpec } from '../detect/layer/forecast';
import type { Finding, Layer } from '../detect/layer/types';

/** A deviation this far along the way from the baseline to the limit counts in full. */
export const FULL_AT_SHARE = 0.5;
/** However far from the limit, a deviation keeps this much of its score (it is still unusual). */
export const MIN_WEIGHT = 0.2;

/**
 * A metric with a limit in plumbline.yaml (memory, latency SLO, fds, disk) is judged by how much
 * of the way to its limit it has gone, not only by how unusual it is: health latency moving from
 * 5 ms to 60 ms on a busy machine is unusual, but far from a 500 ms SLO. Statistic and model
 * findings on such a metric are weighted by the share of the headroom used (in full from
 * halfway); forecasts already speak in time to the limit and pass untouched, as do metrics
 * without a limit.
 */
export function weighByHeadroom(findings: readonly Finding[], limits: Partial<Record<Layer, Record<string, LimitSpec>>>): Finding[] {
  return findings.map((f) => {
    if (f.source !== 'stats' && f.source !== 'model') return f;
    const limit = limits[f.layer]?.[f.metric];
    if (!limit || limit.value === undefined || typeof f.value !== 'number' || typeof f.baseline !== 'number' || f.score <= 0) return f;
    const sign = limit.direction === 'up' ? 1 : -1;
    const room = sign * (limit.value - f.baseline);
    const at = limit.value;
    if (!(room > 0)) return f;
    const used = (sign * (f.value - f.baseline)) / room;
    const weight = Math.min(1, Math.max(MIN_WEIGHT, used / FULL_AT_SHARE));
    if (weight >= 1) return f;
    return {
      ...f,
      score: f.score * weight,
      detail: `${f.detail} It has used ${Math.max(0, Math.round(used * 100))}% of the way from its baseline to its limit (${at}).`,
    };
  });
}
