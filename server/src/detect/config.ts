/** One configuration for every stream: nothing here is tuned per stream, and labels are never read. */
export interface DetectorConfig {
  /** Put into every reason, so a caller with many streams can tell them apart. */
  readonly metric?: string;
  /** Rows of the value window: median and robust spread for the value, level and shape detectors. */
  readonly valueWindow: number;
  /** Rows of first differences for the step detector. */
  readonly stepWindow: number;
  /** Rows whose median the level detector compares with the long window's. */
  readonly levelWindow: number;
  /** Length of the stretch compared by the shape and predict detectors, and how far back they search. */
  readonly shapeLength: number;
  readonly shapeHorizon: number;
  /** Rows over which each sub-detector's record surprise is remembered. */
  readonly recordHorizon: number;
  /** No score before this many rows (the record needs a history). */
  readonly warmup: number;
  /** The smallest spread, as a fraction of the range seen so far (quantised and flat metrics). */
  readonly floorFraction: number;
  readonly suppressRows: number;
  readonly suppressFactor: number;
  /** A record after this many rows without an alert has its ratio doubled (quietWeight.ts); 0 = off. */
  readonly quietRows: number;
  /**
   * Anomaly likelihood (likelihood.ts) of each sub-detector's log(1 + surprise): rows modelled as a
   * normal, rows in the short-term mean, and the smallest σ.
   */
  readonly likelihoodWindow: number;
  readonly likelihoodShort: number;
  readonly likelihoodMinSigma: number;
  /** Pattern memory (context detector): rows per segment, one memory per entry; segments per word; levels; fading per row. */
  readonly contextSegments: readonly number[];
  readonly contextWord: number;
  readonly contextBins: number;
  readonly contextDecay: number;
  /** The context ratio is multiplied by this before it competes: it must beat its record by 1/weight. */
  readonly contextWeight: number;
  /**
   * Unless some context memory saw a new pattern in the last `contextNewRows` rows, the score's ratio is
   * multiplied by `contextKnownFactor`, or by `contextGateFactor` once no new pattern has been seen for
   * more than `contextGateRows` rows.
   */
  readonly contextNewRows: number;
  readonly contextKnownFactor: number;
  readonly contextGateRows: number;
  readonly contextGateFactor: number;
  readonly detectors: Readonly<Record<'value' | 'step' | 'level' | 'shape' | 'predict' | 'likelihood' | 'context', boolean>>;
}

/**
 * Chosen on NAB as a whole (see test/bench/nab.bench.ts); one setting for the corpus, swept one or
 * two knobs at a time with the others fixed. NAB standard / low FP / low FN.
 *
 * Each part was first tuned on its own: the likelihood, predict and quiet weight (window 1000–10000
 * and short mean 5–30 rows, σ floor 0.001–0.1, quiet rows 400–8000; 67.55 / 60.22 / 72.05 with
 * shape stretch 50), and the context detector with its damping (segments [1]–[6,36,216], words of
 * 4–8 segments, 4–12 levels, decay 0.997–0.9997, weight 0.6–1, new-pattern rows 0–3, known
 * factor 0.6–1, gate 5–30 rows and factor 0.1–1; 66.58 / 59.28 / 72.35 with stretch 60).
 *
 * Together, as they were: 69.10 / 62.54 / 73.65. Re-swept together: shape stretch 40–120 (a plateau
 * from 70 to 90, 72.00–72.26; 60 gives 70.73), likelihood window 1000–8000 (6000: 72.10; 4000,
 * 5000, 7000, 8000: 70.9–71.6), short mean 10–30 rows (20; the others lose 0.9–1.5), σ floor
 * 0.01–0.1 (0.02 and up steady, 0.01 loses 0.6), quiet rows 0–3000 (500–3000 within 0.6 of 1000; 0
 * loses 2.2), context weight 0.8–1 (0.9; 0.85 and 0.95 lose 1.2–2.2), known factor 0.5–1 (0.67),
 * gate factor 0.1–1 and rows 5–20, new-pattern rows 0–2 (1), and the record horizon, value and
 * level windows, shape horizon, suppression rows and the context memory's segments, word, levels
 * and decay (unchanged: every neighbour lost 0.4–6). Result 72.10 / 65.22 / 76.66. Switching one
 * part off: value −0.8, level −4.9, predict −1.4, likelihood −2.2, context −5.7, its damping −1.9,
 * quiet weight −2.2, suppression −3.0; shape ±0.4 (kept: it names a changed stretch); step +0.5 on
 * NAB, kept because it flags a level shift on its first row, which nothing else does inside a
 * familiar pattern.
 */
export const DEFAULT_CONFIG: DetectorConfig = {
  valueWindow: 1500,
  stepWindow: 1500,
  levelWindow: 10,
  shapeLength: 80,
  shapeHorizon: 1000,
  recordHorizon: 5000,
  warmup: 100,
  floorFraction: 0.01,
  suppressRows: 100,
  suppressFactor: 0.3,
  quietRows: 1000,
  likelihoodWindow: 6000,
  likelihoodShort: 20,
  likelihoodMinSigma: 0.05,
  contextSegments: [6, 36],
  contextWord: 6,
  contextBins: 5,
  contextDecay: 0.998,
  contextWeight: 0.9,
  contextNewRows: 1,
  contextKnownFactor: 0.67,
  contextGateRows: 10,
  contextGateFactor: 0.2,
  detectors: { value: true, step: true, level: true, shape: true, predict: true, likelihood: true, context: true },
};
