/**
 * Counters (requests_total, bytes sent) are judged by their rate, not their value: a counter's
 * value only says how long the process has run. A stream is a counter when, over its first rows,
 * it almost never goes down, goes up in most steps, and every drop is a fall to well under half
 * of the value before it (a restart that reset it). Decided once, from the warm-up rows.
 */
export function looksLikeCounter(values: readonly number[]): boolean {
  if (values.length < 8) return false;
  let up = 0;
  let down = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i] - values[i - 1];
    if (d > 0) up++;
    else if (d < 0) {
      if (values[i] > 0.5 * values[i - 1]) return false;
      down++;
    }
  }
  const steps = values.length - 1;
  return up >= 0.5 * steps && down <= 0.05 * steps;
}

/** The counter's rate per second between two rows, or null across a reset (a drop) or a zero interval. */
export function counterRate(prevTs: number, prev: number, ts: number, x: number): number | null {
  const dt = (ts - prevTs) / 1000;
  if (!(dt > 0) || x < prev) return null;
  return (x - prev) / dt;
}
