import { DEFAULT_CONFIG, type DetectorConfig } from './config';
import { LevelShift } from './levelShift';
import { QuietWeight } from './quietWeight';
import { AnomalyLikelihood, tailLog10 } from './likelihood';
import { RecordRatio } from './recordRatio';
import { ShapeNovelty } from './shapeNovelty';
import { StepChange } from './stepChange';
import { Suppression } from './suppression';
import { NO_SURPRISE, type Surprise } from './surprise';
import type { Detector, DetectorOutput, Reason, SubDetector } from './types';
import { ValueDeviation } from './valueDeviation';

type Channel = Exclude<SubDetector, 'suppression' | 'quiet' | 'no-data'>;
/** The sub-detectors that measure a row directly; the likelihood watches each of them. */
type Direct = Exclude<Channel, 'likelihood'>;
const DIRECT: readonly Direct[] = ['value', 'step', 'level', 'shape', 'predict'];
const CHANNELS: readonly Channel[] = [...DIRECT, 'likelihood'];

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

/** One fresh `make()` per channel. */
const perChannel = <T>(make: () => T): Record<Channel, T> => Object.fromEntries(CHANNELS.map((ch) => [ch, make()])) as Record<Channel, T>;

/**
 * An online anomaly detector for one univariate stream. Five robust sub-detectors (value, step,
 * level, shape, predict) each measure a surprise in robust σ, and an anomaly likelihood watches
 * each one for a run of surprises above its usual level. Each surprise is divided by that
 * sub-detector's record over the recent past; the largest ratio r, weighted up when it is a record
 * after a quiet spell, becomes the score r/(1+r), and bursts are suppressed after their first high
 * score. Every score depends only on rows already seen.
 */
export function createDetector(config: Partial<DetectorConfig> = {}): Detector {
  const cfg: DetectorConfig = { ...DEFAULT_CONFIG, ...config, detectors: { ...DEFAULT_CONFIG.detectors, ...config.detectors } };
  const value = new ValueDeviation(cfg.valueWindow);
  const step = new StepChange(cfg.stepWindow);
  const level = new LevelShift(cfg.levelWindow);
  const shape = new ShapeNovelty(cfg.shapeLength, cfg.shapeHorizon);
  const likelihoods = perChannel(() => new AnomalyLikelihood(cfg.likelihoodWindow, cfg.likelihoodShort, cfg.likelihoodMinSigma));
  const records = perChannel(() => new RecordRatio(cfg.recordHorizon, 11));
  const suppression = new Suppression(cfg.suppressRows, cfg.suppressFactor);
  const quiet = new QuietWeight(cfg.quietRows);
  let n = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;

  function describe(ch: Channel, s: Surprise, source: Direct): string {
    if (ch !== 'likelihood') return `${DESCRIBE[ch]} is ${fmt(s.z)} robust σ`;
    return (
      `mean log(1 + ${source} surprise) over the last ${cfg.likelihoodShort} rows is ${fmt(s.z)} σ above its ${cfg.likelihoodWindow}-row mean ` +
      `(anomaly likelihood 1 − 10^−${fmt(tailLog10(s.z))})`
    );
  }

  function reason(ch: Channel, s: Surprise, record: number, ratio: number, source: Direct): Reason {
    const side = s.observed >= s.baseline ? 1 : -1;
    return {
      metric: cfg.metric,
      detector: ch,
      value: s.observed,
      baseline: s.baseline,
      threshold: s.baseline + side * record * s.scale,
      detail: `${ch}: ${describe(ch, s, source)}, ${fmt(ratio)}× the largest of the last ${cfg.recordHorizon} rows (${fmt(record)} σ)`,
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
      const run = likelihood(direct);
      const surprises: Record<Channel, Surprise> = { ...direct, likelihood: run.s };
      let best = 0;
      const fired: Reason[] = [];
      for (const ch of CHANNELS) {
        if (!cfg.detectors[ch]) continue;
        const record = records[ch].record();
        const ratio = records[ch].push(surprises[ch].z);
        if (n < cfg.warmup) continue;
        if (ratio > best) best = ratio;
        if (ratio >= 1) fired.push(reason(ch, surprises[ch], record, ratio, run.source));
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
