/**
 * Weighs a new record by how long the stream has been quiet: a record ratio r ≥ 1 becomes
 * r × (1 + min(q, rows) / rows), q the rows since the last alert (a score of at least 0.5). The first
 * record after a long calm is the start of something; a record that follows another by a few rows
 * is a drift or a burst still going on. Ratios below 1 are left alone, so the order of non-records
 * and the point where records begin do not move.
 */
export class QuietWeight {
  private lastAlertAt = 0;
  private n = 0;

  constructor(private readonly rows: number) {}

  /** The weight for this row's ratio (1 when `rows` is 0 or the ratio is not a record). */
  weight(ratio: number): number {
    this.n++;
    if (this.rows <= 0 || ratio < 1) return 1;
    return 1 + Math.min(this.n - this.lastAlertAt, this.rows) / this.rows;
  }

  /** Tells it the score that was emitted for this row. */
  emitted(score: number): void {
    if (score >= 0.5) this.lastAlertAt = this.n;
  }
}
