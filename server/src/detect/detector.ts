import { DEFAULT_CONFIG, type DetectorConfig } from './config';
import { LevelShift } from './levelShift';
import { AnomalyLikelihood, tailLog10 } from './likelihood';
import { PatternContext } from './patternContext';
import { QuietWeight } from './quietWeight';
import { RecordRatio } from './recordRatio';
import { ShapeNovelty } from './shapeNovelty';
import { StepChange } from './stepChange';
import { Suppression } from './suppression';
import { NO_SURPRISE, type Surprise } from './surprise';
import type { Detector, DetectorOutput, Reason, SubDetector } from './types';
import { ValueDeviation } from './valueDeviation';

type Channel = Exclude<SubDetector, 'suppression' | 'quiet' | 'no-data'>;
/** The sub-detectors that measure a row directly in robust σ; the likelihood watches each of them. */
type Direct = Exclude<Channel, 'likelihood' | 'context'>;
/** The sub-detectors with one record each here (the context detector keeps one per scale itself). */
type Recorded = Exclude<Channel, 'context'>;
const DIRECT: readonly Direct[] = ['value', 'step', 'level', 'shape', 'predict'];
const RECORDED: readonly Recorded[] = [...DIRECT, 'likelihood'];

const DESCRIBE: Record<Direct, string> = {
  value: 'value against the median of the value window',
  step: 'change since the previous row against typical changes',
  level: 'recent median against the median of the value window',
  shape: 'distance of the latest stretch to its closest earlier match',
  predict: 'value against the row that followed the closest earlier match of the rows before it',
};

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** One fresh `make()` per recorded channel. */
const perChannel = <T>(make: () => T): Record<Recorded, T> => Object.fromEntries(RECORDED.map((ch) => [ch, make()])) as Record<Recorded, T>;

/**
 * An online anomaly detector for one univariate stream. Five robust sub-detectors (value, step,
 * level, shape, predict) each measure a surprise in robust σ, an anomaly likelihood watches each
 * one for a run of surprises above its usual level, and a pattern memory (context) measures the
 * surprisal of the latest pattern of segment means. Each surprise is divided by that
 * sub-detector's record over the recent past. The largest ratio r is damped unless a new pattern
 * has just appeared (more so when the stream has stayed within known patterns for a while), weighted
 * up when it is a record after a quiet spell, and becomes the score r/(1+r); bursts are suppressed
 * after their first high score. Every score depends only on rows already seen.
 */
export function createDetector(config: Partial<DetectorConfig> = {}): Detector {
  const cfg: DetectorConfig = { ...DEFAULT_CONFIG, ...config, detectors: { ...DEFAULT_CONFIG.detectors, ...config.detectors } };
  const value = new ValueDeviation(cfg.valueWindow);
  const step = new StepChange(cfg.stepWindow);
  const level = new LevelShift(cfg.levelWindow);
  const shape = new ShapeNovelty(cfg.shapeLength, cfg.shapeHorizon);
  const context = new PatternContext(cfg.contextSegments, cfg.contextWord, cfg.contextBins, cfg.contextDecay, cfg.recordHorizon, cfg.warmup, cfg.contextWeight);
  const likelihoods = perChannel(() => new AnomalyLikelihood(cfg.likelihoodWindow, cfg.likelihoodShort, cfg.likelihoodMinSigma));
  const records = perChannel(() => new RecordRatio(cfg.recordHorizon, 11));
  const suppression = new Suppression(cfg.suppressRows, cfg.suppressFactor);
  const quiet = new QuietWeight(cfg.quietRows);
  let n = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;

  function describe(ch: Channel, s: Surprise, source: Direct): string {
    if (ch === 'context') return `surprisal of the pattern of the latest segment means, given the patterns seen before, is ${fmt(s.z)} nats`;
    if (ch !== 'likelihood') return `${DESCRIBE[ch]} is ${fmt(s.z)} robust σ`;
    return (
      `mean log(1 + ${source} surprise) over the last ${cfg.likelihoodShort} rows is ${fmt(s.z)} σ above its ${cfg.likelihoodWindow}-row mean ` +
      `(anomaly likelihood 1 − 10^−${fmt(tailLog10(s.z))})`
    );
  }

  function reason(ch: Channel, s: Surprise, record: number, ratio: number, source: Direct): Reason {
    const side = s.observed >= s.baseline ? 1 : -1;
    const unit = ch === 'context' ? 'nats' : 'σ';
    return {
      metric: cfg.metric,
      detector: ch,
      value: s.observed,
      baseline: s.baseline,
      threshold: s.baseline + side * record * s.scale,
      detail: `${ch}: ${describe(ch, s, source)}, ${fmt(ratio)}× the bar set by the largest of the last ${cfg.recordHorizon} rows (${fmt(record)} ${unit})`,
    };
  }

  /** The reason for the context damping: how long the stream has stayed within known patterns. */
  function dampingReason(familiarFor: number, factor: number): Reason {
    return {
      metric: cfg.metric,
      detector: 'context',
      value: familiarFor,
      baseline: 0,
      threshold: cfg.contextNewRows,
      detail: `context: every pattern of the last ${familiarFor} rows was seen before (a new one would count within ${cfg.contextNewRows} rows); score damped ×${factor}`,
    };
  }

  /** The most surprising run among the direct sub-detectors, and which one it was. */
  function likelihood(surprises: Record<Direct, Surprise>): { s: Surprise; source: Direct } {
    let best = { s: NO_SURPRISE, source: 'value' as Direct };
    for (const ch of DIRECT) {
      if (!cfg.detectors[ch]) continue;
      const s = likelihoods[ch].push(Math.log1p(surprises[ch].z));
      if (s.z > best.s.z) best = { s, source: ch };
    }
    return best;
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
      const pattern = shape.update(x, long, floor);
      const direct: Record<Direct, Surprise> = {
        level: level.update(x, long, floor),
        shape: pattern.shape,
        predict: pattern.predict,
        step: step.update(x, floor),
        value: value.update(x, floor),
      };
      const ctx = cfg.detectors.context ? context.update(x, long) : undefined;
      const run = likelihood(direct);
      const surprises: Record<Recorded, Surprise> = { ...direct, likelihood: run.s };
      let best = 0;
      const fired: Reason[] = [];
      const consider = (ch: Channel, s: Surprise, record: number, ratio: number): void => {
        if (n < cfg.warmup) return;
        if (ratio > best) best = ratio;
        if (ratio >= 1) fired.push(reason(ch, s, record, ratio, run.source));
      };
      for (const ch of RECORDED) {
        if (!cfg.detectors[ch]) continue;
        consider(ch, surprises[ch], records[ch].record(), records[ch].push(surprises[ch].z));
      }
      if (ctx) {
        consider('context', ctx.surprise, ctx.bar, ctx.ratio);
        // A deviation that comes with a new pattern is more anomalous than one inside patterns the stream keeps repeating.
        const factor = ctx.familiarFor <= cfg.contextNewRows ? 1 : ctx.familiarFor <= cfg.contextGateRows ? cfg.contextKnownFactor : cfg.contextGateFactor;
        best *= factor;
        if (factor < 1 && fired.length > 0) fired.push(dampingReason(ctx.familiarFor, factor));
      }
      const weight = quiet.weight(best);
      best *= weight;
      const raw = n < cfg.warmup ? 0 : best / (1 + best);
      const { score, suppressedBy } = suppression.apply(raw);
      quiet.emitted(score);
      if (weight > 1 && fired.length > 0) {
        fired.push({
          metric: cfg.metric,
          detector: 'quiet',
          value: weight,
          baseline: 1,
          threshold: 1,
          detail: `quiet: the first record after ${fmt(Math.round((weight - 1) * cfg.quietRows))}${weight >= 2 ? '+' : ''} quiet rows; ratio weighted ×${fmt(weight)}`,
        });
      }
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
      const last = (d: SubDetector): number => (d === 'suppression' ? 2 : d === 'quiet' ? 1 : 0);
      fired.sort((a, b) => last(a.detector) - last(b.detector));
      return { score, reasons: fired };
    },
  };
}
