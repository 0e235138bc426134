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
 * Chosen on NAB as a whole (see test/bench/nab.bench.ts); one setting for the corpus; the merge of the likelihood, predict and quiet weight work with the
 * context detector scored 69.10 / 62.54 / 73.65 before the joint re-sweep.
 */
export const DEFAULT_CONFIG: DetectorConfig = {
  valueWindow: 1500,
  stepWindow: 1500,
  levelWindow: 10,
  shapeLength: 50,
  shapeHorizon: 1000,
  recordHorizon: 5000,
  warmup: 100,
  floorFraction: 0.01,
  suppressRows: 100,
  suppressFactor: 0.3,
  quietRows: 2000,
  likelihoodWindow: 2000,
  likelihoodShort: 20,
  likelihoodMinSigma: 0.01,
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
