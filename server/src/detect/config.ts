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
  readonly detectors: Readonly<Record<'value' | 'step' | 'level' | 'shape', boolean>>;
}

/**
 * Chosen on NAB as a whole (see test/bench/nab.bench.ts); one setting for the corpus. The shape
 * stretch was swept over 10–200 rows and its horizon over 600–2000 with everything else fixed:
 * 50 rows (long enough to hold the context of a daily or weekly cycle) over a 600-row horizon was
 * best, and every length from 30 to 100 beat the old 10.
 */
export const DEFAULT_CONFIG: DetectorConfig = {
  valueWindow: 1500,
  stepWindow: 1500,
  levelWindow: 10,
  shapeLength: 50,
  shapeHorizon: 600,
  recordHorizon: 5000,
  warmup: 100,
  floorFraction: 0.01,
  suppressRows: 100,
  suppressFactor: 0.3,
  detectors: { value: true, step: true, level: true, shape: true },
};
