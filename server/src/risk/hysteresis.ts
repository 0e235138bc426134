import type { RiskState, RiskThresholds } from './types';

/** 0 ok, 1 minor, 2 moderate, 3 severe. */
export type Level = 0 | 1 | 2 | 3;

export const LEVEL_STATE: readonly ['ok', 'minor', 'moderate', 'severe'] = ['ok', 'minor', 'moderate', 'severe'];

/** The level a value reaches by plain thresholds. */
export function levelOf(value: number, t: RiskThresholds): Level {
  if (value >= t.severe) return 3;
  if (value >= t.moderate) return 2;
  if (value >= t.minor) return 1;
  return 0;
}

export function thresholdOf(level: Level, t: RiskThresholds): number {
  return level === 3 ? t.severe : level === 2 ? t.moderate : level === 1 ? t.minor : 0;
}

/**
 * Whether an interval at `level` with `value` keeps a run "at level k or worse" going: the state is
 * there and the value is too, within the hysteresis margin. Intervals in which hysteresis alone
 * holds a state up (a lone spike that already passed) do not count, so persistence measures
 * evidence, not the hysteresis delay.
 */
export function sustains(k: Level, level: Level, value: number, t: RiskThresholds, margin: number): boolean {
  return level >= k && (k === 0 || value >= thresholdOf(k, t) - margin);
}

/**
 * How bad a state is, for taking the worst of several: no data sits between minor and moderate,
 * so a host that stopped reporting never reads as healthy, and a layer that is known to be
 * moderate or severe still drives the host.
 */
export function stateRank(s: RiskState): number {
  switch (s) {
    case 'ok':
      return 0;
    case 'minor':
      return 1;
    case 'nodata':
      return 1.5;
    case 'moderate':
      return 2;
    case 'severe':
      return 3;
  }
}

/**
 * A level that goes up as soon as the value crosses a threshold and comes down only after the
 * value has stayed below the current threshold minus `margin` for `downIntervals` intervals, so a
 * value oscillating around a threshold does not flap.
 */
export class Hysteresis {
  private current: Level = 0;
  private below = 0;
  /** The highest plain level seen during the current run below the margin: where the state lands. */
  private landing: Level = 0;

  constructor(
    private readonly thresholds: RiskThresholds,
    private readonly margin: number,
    private readonly downIntervals: number,
  ) {}

  get level(): Level {
    return this.current;
  }

  /** Feeds one interval's value; returns the level after it. */
  step(value: number): Level {
    const plain = levelOf(value, this.thresholds);
    if (plain >= this.current) {
      this.current = plain;
      this.below = 0;
      return this.current;
    }
    if (value < thresholdOf(this.current, this.thresholds) - this.margin) {
      this.landing = this.below === 0 ? plain : (Math.max(this.landing, plain) as Level);
      this.below += 1;
      if (this.below >= this.downIntervals) {
        this.current = this.landing;
        this.below = 0;
      }
    } else {
      this.below = 0;
    }
    return this.current;
  }

  /** Starts over from the plain level of `value`: after a gap in the data nothing is known about the way down. */
  reset(value: number): Level {
    this.current = levelOf(value, this.thresholds);
    this.below = 0;
    return this.current;
  }
}
