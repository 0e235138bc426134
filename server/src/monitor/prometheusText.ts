/**
 * Prometheus text exposition, read the way the agent reads it (agent/src/stream.awk, metric_line):
 * every `name{labels} value [timestamp]` line, values summed over labels per metric name;
 * comments, blank lines, NaN and ±Inf skipped; at most `maxNames` names (the rest counted as
 * dropped) and `maxLines` lines read. Pure: text in, numbers out.
 */
export interface PrometheusSums {
  metrics: Record<string, number>;
  /** Names over the cap, dropped. */
  dropped: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const VALUE = /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/;

export function sumPrometheusText(body: string, maxNames = 256, maxLines = 100_000): PrometheusSums {
  const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
  let names = 0;
  let dropped = 0;
  let start = 0;
  for (let n = 0; n < maxLines && start < body.length; n++) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const line = body.slice(start, end);
    start = end + 1;
    if (/^[ \t]*(#|$)/.test(line)) continue;
    const m = NAME.exec(line);
    if (!m) continue;
    const name = m[0];
    let rest = line.slice(name.length);
    // Labels end at the last '}' (a label value may hold '}').
    if (rest.startsWith('{')) {
      const close = rest.lastIndexOf('}');
      if (close < 0) continue;
      rest = rest.slice(close + 1);
    }
    const v = rest.split(/[ \t]+/).filter(Boolean)[0];
    if (v === undefined || !VALUE.test(v)) continue;
    if (!(name in metrics)) {
      if (names >= maxNames) {
        dropped++;
        continue;
      }
      names++;
      metrics[name] = 0;
    }
    metrics[name] += Number(v);
  }
  // The agent prints sums with %.15g; the same rounding keeps both paths' numbers equal.
  for (const k of Object.keys(metrics)) metrics[k] = Number(metrics[k].toPrecision(15));
  return { metrics: { ...metrics }, dropped };
}
