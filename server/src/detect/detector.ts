import { DEFAULT_CONFIG, type DetectorConfig } from './config';
import { LevelShift } from './levelShift';
import { PatternContext } from './patternContext';
import { RecordRatio } from './recordRatio';
import { ShapeNovelty } from './shapeNovelty';
import { StepChange } from './stepChange';
import { Suppression } from './suppression';
import type { Surprise } from './surprise';
import type { Detector, DetectorOutput, Reason, SubDetector } from './types';
import { ValueDeviation } from './valueDeviation';

type Channel = Exclude<SubDetector, 'suppression' | 'no-data'>;
/** The sub-detectors that measure a surprise in robust σ, each with one record. */
type RobustChannel = Exclude<Channel, 'context'>;
const CHANNELS: readonly RobustChannel[] = ['value', 'step', 'level', 'shape'];

const DESCRIBE: Record<Channel, string> = {
  value: 'value against the median of the value window',
  step: 'change since the previous row against typical changes',
  level: 'recent median against the median of the value window',
  shape: 'distance of the latest stretch to its closest earlier match',
  context: 'surprisal of the pattern of the latest segment means, given the patterns seen before,',
};

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/**
 * An online anomaly detector for one univariate stream. Four robust sub-detectors (value, step,
 * level, shape) each measure a surprise in robust σ, and a pattern memory (context) the surprisal
 * of the latest pattern of segment means; each surprise is divided by that sub-detector's record
 * over the recent past. The largest ratio, damped unless a new pattern has just appeared (and more
 * so when the stream has stayed within patterns it has seen before for a while), becomes r and the
 * score r/(1+r); bursts are suppressed after their first high score. Every score depends only on rows already seen.
 */
export function createDetector(config: Partial<DetectorConfig> = {}): Detector {
  const cfg: DetectorConfig = { ...DEFAULT_CONFIG, ...config, detectors: { ...DEFAULT_CONFIG.detectors, ...config.detectors } };
  const value = new ValueDeviation(cfg.valueWindow);
  const step = new StepChange(cfg.stepWindow);
  const level = new LevelShift(cfg.levelWindow);
  const shape = new ShapeNovelty(cfg.shapeLength, cfg.shapeHorizon);
  const context = new PatternContext(cfg.contextSegments, cfg.contextWord, cfg.contextBins, cfg.contextDecay, cfg.recordHorizon, cfg.warmup, cfg.contextWeight);
  const records: Record<RobustChannel, RecordRatio> = {
    value: new RecordRatio(cfg.recordHorizon, 11),
    step: new RecordRatio(cfg.recordHorizon, 11),
    level: new RecordRatio(cfg.recordHorizon, 11),
    shape: new RecordRatio(cfg.recordHorizon, 11),
  };
  const suppression = new Suppression(cfg.suppressRows, cfg.suppressFactor);
  let n = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;

  function reason(ch: Channel, s: Surprise, record: number, ratio: number): Reason {
    const side = s.observed >= s.baseline ? 1 : -1;
    const unit = ch === 'context' ? 'nats' : 'robust σ';
    return {
      metric: cfg.metric,
      detector: ch,
      value: s.observed,
      baseline: s.baseline,
      threshold: s.baseline + side * record * s.scale,
      detail: `${ch}: ${DESCRIBE[ch]} is ${fmt(s.z)} ${unit}, ${fmt(ratio)}× the bar set by the largest of the last ${cfg.recordHorizon} rows (${fmt(record)} ${unit})`,
    };
  }

  function gateReason(familiarFor: number, factor: number): Reason {
    return {
      metric: cfg.metric,
      detector: 'context',
      value: familiarFor,
      baseline: 0,
      threshold: cfg.contextNewRows,
      detail: `context: every pattern of the last ${familiarFor} rows was seen before (a new one would count within ${cfg.contextNewRows} rows); score damped ×${factor}`,
    };
  }

  return {
    update(_timestampMs: number, x: number): DetectorOutput {
      if (!Number.isFinite(x)) {
        // A gap is reported, not scored, and does not enter any window.
        return { score: 0, reasons: [{ metric: cfg.metric, detector: 'no-data', value: x, baseline: NaN, threshold: NaN, detail: 'no data: value is not a finite number' }] };
      }
      n++;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      const floor = Math.max(1e-9, cfg.floorFraction * (hi - lo));
      const long = value.past;
      const surprises: Record<RobustChannel, Surprise> = {
        level: level.update(x, long, floor),
        shape: shape.update(x, long, floor),
        step: step.update(x, floor),
        value: value.update(x, floor),
      };
      const ctx = cfg.detectors.context ? context.update(x, long) : undefined;
      let best = 0;
      const fired: Reason[] = [];
      const consider = (ch: Channel, s: Surprise, record: number, ratio: number): void => {
        if (n < cfg.warmup) return;
        if (ratio > best) best = ratio;
        if (ratio >= 1) fired.push(reason(ch, s, record, ratio));
      };
      for (const ch of CHANNELS) {
        if (!cfg.detectors[ch]) continue;
        consider(ch, surprises[ch], records[ch].record(), records[ch].push(surprises[ch].z));
      }
      if (ctx) {
        consider('context', ctx.surprise, ctx.bar, ctx.ratio);
        // A deviation that comes with a new pattern is more anomalous than one inside patterns the stream keeps repeating.
        const factor = ctx.familiarFor <= cfg.contextNewRows ? 1 : ctx.familiarFor <= cfg.contextGateRows ? cfg.contextKnownFactor : cfg.contextGateFactor;
        best *= factor;
        if (factor < 1 && fired.length > 0) fired.push(gateReason(ctx.familiarFor, factor));
      }
      const raw = n < cfg.warmup ? 0 : best / (1 + best);
      const { score, suppressedBy } = suppression.apply(raw);
      if (suppressedBy !== undefined && fired.length > 0) {
        fired.push({
          metric: cfg.metric,
          detector: 'suppression',
          value: raw,
          baseline: score,
          threshold: raw,
          detail: `suppression: part of the burst that peaked ${suppressedBy} rows ago; score damped ×${cfg.suppressFactor}`,
        });
      }
      fired.sort((a, b) => (a.detector === 'suppression' ? 1 : b.detector === 'suppression' ? -1 : 0));
      return { score, reasons: fired };
    },
  };
}
