/** Rows before this index are NAB's probation period: seen by the detector, never scored (SCORING.md §2). */
export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}
