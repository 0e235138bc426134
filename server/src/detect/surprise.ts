/**
 * One sub-detector's view of the latest row: `observed` against `baseline`, in units of `scale`.
 * `z = |observed − baseline| / scale`; a reason turns the record z back into the value units.
 */
export interface Surprise {
  readonly z: number;
  readonly observed: number;
  readonly baseline: number;
  readonly scale: number;
}

export const NO_SURPRISE: Surprise = { z: 0, observed: NaN, baseline: NaN, scale: NaN };

/** Fewer rows than this in a window and a sub-detector stays silent. */
export const MIN_ROWS = 10;

export function surprise(observed: number, baseline: number, scale: number): Surprise {
  return { z: Math.abs(observed - baseline) / scale, observed, baseline, scale };
}
