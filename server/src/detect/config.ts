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
  readonly detectors: Readonly<Record<'value' | 'step' | 'level' | 'shape' | 'predict' | 'likelihood', boolean>>;
}

/**
 * Chosen on NAB as a whole (see test/bench/nab.bench.ts); one setting for the corpus, swept one or
 * two knobs at a time with the others fixed. Shape stretch: 10–200 rows (every length from 30 to
 * 100 beat the old 10; 50 holds the context of a daily or weekly cycle), horizon 600–2000 (1000
 * best with the predict detector). Likelihood: window 1000–10000 rows and short-term mean 5–30
 * rows (2000 and 20 best; most neighbours within a point), σ floor 0.001–0.1 (0.01). Quiet weight:
 * 400–8000 rows all gained 1–2 points, 2000 best. The rest is unchanged from before these three
 * were added (re-checked one at a time afterwards: value and record windows, level window,
 * suppression rows and factor stayed best where they were).
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
  detectors: { value: true, step: true, level: true, shape: true, predict: true, likelihood: true },
};
