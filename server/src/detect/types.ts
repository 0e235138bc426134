/** The sub-detectors of the ensemble; each one is a file in this folder. */
export type SubDetector = 'value' | 'step' | 'level' | 'shape' | 'predict' | 'likelihood' | 'context' | 'quiet' | 'suppression' | 'no-data';

/** Why a score is what it is: which sub-detector fired, on what, against which baseline and threshold. */
export interface Reason {
  /** The stream's metric name, when the caller gave one. */
  readonly metric?: string;
  readonly detector: SubDetector;
  /**
   * What the sub-detector observed: the value, the step, the recent median, the shape distance, the
   * pattern's surprisal, (likelihood) the short-term mean of log(1 + surprise) of the sub-detector
   * it names, or (context damping) the rows since the last new pattern.
   */
  readonly value: number;
  readonly baseline: number;
  /** The observation at which this row would have been as unusual as the recent record. */
  readonly threshold: number;
  readonly detail: string;
}

export interface DetectorOutput {
  /** Anomaly likelihood in [0, 1]; depends only on the rows seen so far. Above 0.5: a new record. */
  readonly score: number;
  readonly reasons: Reason[];
}

export interface Detector {
  update(timestampMs: number, value: number): DetectorOutput;
}
