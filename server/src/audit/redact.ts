/** Longest command output kept per stream in an audit entry. */
export const MAX_OUTPUT_CHARS = 2000;

/**
 * Output as it may be kept: every secret value (and every line of a multi-line secret that is
 * long enough to be recognisable) replaced by `[redacted]`, then cut to `max` characters.
 */
export function redactOutput(text: string, secrets: readonly string[], max = MAX_OUTPUT_CHARS): string {
  let out = text;
  for (const needle of secretNeedles(secrets)) out = out.split(needle).join('[redacted]');
  if (out.length <= max) return out;
  return `${out.slice(0, max)}… [${out.length - max} more characters]`;
}

/** Whole secrets first, then their lines and `KEY=value` values; short fragments would redact noise. */
function secretNeedles(secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (s.trim().length >= 4) needles.add(s);
    for (const line of s.split('\n')) {
      const t = line.trim();
      if (t.length >= 6) needles.add(t);
      const eq = t.indexOf('=');
      if (eq > 0 && t.length - eq - 1 >= 6) needles.add(t.slice(eq + 1));
    }
  }
  return [...needles].sort((a, b) => b.length - a.length);
}
