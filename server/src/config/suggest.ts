/** "Did you mean …?" for misspelt keys: the closest allowed key within 2 edits, or one it starts or ends. */
export function suggestKey(written: string, allowed: readonly string[]): string | undefined {
  const w = written.toLowerCase();
  let best: { key: string; score: number } | undefined;
  for (const key of allowed) {
    const k = key.toLowerCase();
    const distance = editDistance(w, k);
    // A prefix either way ("env" → "environments", "hostsList" → "hosts") counts as a near miss.
    const score = distance <= 2 ? distance : w.length >= 2 && (k.startsWith(w) || w.startsWith(k)) ? 3 : Infinity;
    if (score < (best?.score ?? Infinity)) best = { key, score };
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
