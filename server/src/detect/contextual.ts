import { compareActive, ContextMemory } from './contextMemory';

export interface ContextualConfig {
  /** Bits of the quantised value (2^bits − 1 steps over the range). */
  readonly bits: number;
  /** A raw score at or above this starts a rest period. */
  readonly restThreshold: number;
  /** Rows after a raw score ≥ restThreshold during which the output is 0. */
  readonly restRows: number;
  readonly maxLeftLength: number;
  readonly maxActive: number;
  /** Contexts remembered at most (learning stops there); NAB's CAD OSE has no limit. */
  readonly maxContexts: number;
  /**
   * The value range to quantise over (values outside it take the end levels). NAB hands its
   * detectors the whole file's min and max, a look-ahead; `RangedContextual` keeps it online.
   */
  readonly range: { readonly min: number; readonly max: number };
}

export const CONTEXTUAL_DEFAULTS: ContextualConfig = { bits: 3, restThreshold: 0.75, restRows: 150, maxLeftLength: 7, maxActive: 15, maxContexts: 10000, range: { min: 0, max: 1 } };

export interface ContextualOutput {
  /** Score after the rest period (0 during rest). */
  readonly score: number;
  /** Score before the rest period. */
  readonly raw: number;
  /** The quantised value, 0 … 2^bits − 1. */
  readonly level: number;
  /** Whether any bit of the quantised value was not predicted one row ago. */
  readonly unpredicted: boolean;
  /** Fraction of the tested contexts that came wholly true. */
  readonly fulfilled: number;
  /** Fraction of the candidate contexts that were new. */
  readonly novel: number;
}

const NEURON = 2 ** 31;
const SENSOR = 65536;

/**
 * Contextual anomaly detection over a quantised value (the method of CAD OSE). The raw score is
 * high when the row was not predicted, few contexts that should have held did, and the row taught
 * many new contexts: (1 − fulfilled + novel) / 2. After a raw score ≥ restThreshold the output rests.
 */
export class Contextual {
  private readonly cfg: ContextualConfig;
  private readonly memory: ContextMemory;
  private readonly maxLevel: number;
  private left: number[] = [];
  private predicted = new Set<number>();
  private n = 0;
  /** Row of the last raw score ≥ restThreshold (−1 as if before the first row: the first rows rest, as in the reference). */
  private lastHigh = -1;

  constructor(config: Partial<ContextualConfig> = {}) {
    this.cfg = { ...CONTEXTUAL_DEFAULTS, ...config };
    this.memory = new ContextMemory(this.cfg.maxLeftLength, this.cfg.maxContexts);
    this.maxLevel = 2 ** this.cfg.bits - 1;
  }

  get contexts(): number {
    return this.memory.size;
  }

  private quantise(x: number): number {
    const { min, max } = this.cfg.range;
    const span = max - min === 0 ? this.maxLevel : max - min;
    const q = Math.trunc((x - min) / (span / this.maxLevel));
    return Math.min(this.maxLevel, Math.max(0, q));
  }

  update(x: number): ContextualOutput {
    const level = this.quantise(x);
    const sensors: number[] = [];
    for (let b = 0; b < this.cfg.bits; b++) sensors.push(SENSOR + 2 * b + ((level >> b) & 1));
    const unpredicted = sensors.some((f) => !this.predicted.has(f));

    const learned = this.left.length > 0 && this.memory.store(this.left, sensors, true);
    const crossing = this.memory.crossRight(sensors, learned);
    let distinct = 0;
    if (learned) {
      const keys = new Set<string>([`${this.left.join(',')}|${sensors.join(',')}`]);
      for (const [l, r] of crossing.candidates) keys.add(`${l.join(',')}|${r.join(',')}`);
      distinct = keys.size;
    }
    const fulfilled = crossing.selected > 0 ? crossing.active.length / crossing.selected : 0;

    const active = crossing.active.sort(compareActive);
    const neurons = active.slice(-this.cfg.maxActive).map((c) => NEURON + c.id);
    this.left = [...sensors, ...neurons.sort((a, b) => a - b)];
    const { added, predicted } = this.memory.crossLeft(this.left, crossing.candidates);
    this.predicted = predicted;
    const novel = learned ? (added + 1) / distinct : 0;

    const raw = unpredicted ? (1 - fulfilled + novel) / 2 : 0;
    const i = this.n++;
    const resting = i - this.lastHigh <= this.cfg.restRows;
    if (raw >= this.cfg.restThreshold) this.lastHigh = i;
    return { score: resting ? 0 : raw, raw, level, unpredicted, fulfilled, novel };
  }
}
