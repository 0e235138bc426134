/**
 * Keeps one high score per burst. NAB (and an operator) gains nothing from the second alert in an
 * anomaly and pays for every alert outside one, so a score that does not beat the last high score
 * of the previous `rows` rows is damped by `factor`.
 */
export class Suppression {
  private lastHigh = Number.NEGATIVE_INFINITY;
  private lastHighAt = Number.NEGATIVE_INFINITY;
  private n = 0;

  constructor(
    private readonly rows: number,
    private readonly factor: number,
  ) {}

  /** Returns the score to emit and, when damped, how many rows ago the burst's high was. */
  apply(score: number): { score: number; suppressedBy?: number } {
    const i = this.n++;
    if (this.rows <= 0) return { score };
    const inBurst = i - this.lastHighAt <= this.rows;
    if (!inBurst || score > this.lastHigh) {
      this.lastHigh = score;
      this.lastHighAt = i;
    }
    if (inBurst && score <= this.lastHigh && this.lastHighAt !== i) return { score: score * this.factor, suppressedBy: i - this.lastHighAt };
    return { score };
  }
}
