/**
 * NAB's final score (SCORING.md §7): 0 for the null detector's raw score, 100 for a perfect one
 * (one alert on each window's first row, nothing else).
 */
export function normalise(raw: number, nullRaw: number, perfectRaw: number): number {
  return (100 * (raw - nullRaw)) / (perfectRaw - nullRaw);
}
