import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureBackend } from './backend';
import { forwardDense } from './batch';
import { ModelFilesError, readModelFolder, sha256, writeModelFolder } from './modelFiles';
import type { Layer } from '../layer/types';

/**
 * A dense autoencoder over one layer's metric vector (fixed feature order, standardised with the
 * baseline's median and robust scale). It learns how the metrics move together in the baseline, so
 * a vector whose values are each normal but whose combination is not (rss high while requests are
 * low) reconstructs badly.
 *
 * The error is per feature, divided by that feature's own residual variance on the baseline: a
 * feature the model cannot predict (independent noise) does not drown one it predicts well
 * (rss from requests). The row error is the mean of those ratios; the threshold is a quantile of
 * the baseline's row errors times a margin; each feature's share of the row error is its
 * contribution.
 */

export interface AutoencoderOptions {
  /** Hidden width = max(minHidden, round(d · hiddenRatio)); bottleneck = max(minBottleneck, round(d · bottleneckRatio)). */
  hiddenRatio: number;
  bottleneckRatio: number;
  minHidden: number;
  minBottleneck: number;
  maxEpochs: number;
  /** Early stopping on the validation loss. */
  patience: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  /** Fewer baseline rows than this: no model (the statistics still run). */
  minRows: number;
  thresholdQuantile: number;
  thresholdMargin: number;
  /** Per-feature residual variance floor, in standardised units². */
  residualFloor: number;
  /** Standardised inputs are clipped to ±clipZ so one absurd value cannot overflow the network. */
  clipZ: number;
  /** Score = 1 − exp(−(error/threshold − 1) / errorSpread) above the threshold. */
  errorSpread: number;
  seed: number;
}

export const DEFAULT_AUTOENCODER_OPTIONS: AutoencoderOptions = {
  hiddenRatio: 1.5,
  bottleneckRatio: 0.25,
  minHidden: 4,
  minBottleneck: 2,
  // Full-batch steps: on WASM a step costs its dispatch, not its rows, so fewer larger steps
  // train in ~0.5 s what batches of 64 took ~3 s for (measured, 8 features, 240 rows).
  maxEpochs: 200,
  patience: 10,
  batchSize: 256,
  learningRate: 0.05,
  validationFraction: 0.2,
  minRows: 30,
  thresholdQuantile: 0.99,
  thresholdMargin: 1.25,
  // Half a robust sigma of unexplained movement per feature is noise, not news: a tiny residual on a
  // quiet baseline window would otherwise turn any later wobble into a huge error.
  residualFloor: 0.25,
  clipZ: 50,
  // Twice the threshold scores 0.28, five times 0.74: a model on a short baseline window wobbles.
  errorSpread: 3,
  seed: 1,
};

export interface AutoencoderMeta {
  format: 'plumbline-layer-autoencoder';
  version: 1;
  layer: Layer;
  features: string[];
  center: number[];
  scale: number[];
  residualVar: number[];
  threshold: number;
  errorSpread: number;
  clipZ: number;
  trainedAt: number;
  rows: number;
  epochs: number;
  loss: number;
  valLoss: number | null;
  backend: string;
  files?: { 'model.json': string; 'weights.bin': string };
}

export interface Contribution {
  feature: string;
  /** Share of the row error, in [0, 1]. */
  share: number;
  value: number | null;
  /** What the model expected, in the metric's unit. */
  expected: number;
}

export interface ModelScore {
  /** Mean residual-normalised squared error. */
  error: number;
  threshold: number;
  score: number;
  /** Highest share first; missing features are left out. */
  contributions: Contribution[];
}

/** The weights of a dense stack as plain arrays, for scoring many models in one batched pass. */
export interface DenseStack {
  /** Same key, same shapes: models with one key can be stacked. */
  key: string;
  dims: number[];
  kernels: Float32Array[];
  biases: Float32Array[];
  activations: string[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(values: Float64Array | number[], q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return 0;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const META_FILE = 'meta.json';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export class LayerAutoencoder {
  private stack: DenseStack | null = null;

  private constructor(
    private readonly model: tfl.LayersModel,
    readonly meta: AutoencoderMeta,
  ) {}

  get features(): readonly string[] {
    return this.meta.features;
  }

  /**
   * Trains on the baseline rows (`rows[i][j]` is feature j of row i, null when missing) with early
   * stopping. `center`/`scale` standardise each feature (median and 1.4826·MAD + floor). Null when
   * there are too few rows to learn anything.
   */
  static async train(
    layer: Layer,
    features: readonly string[],
    scaler: { center: readonly number[]; scale: readonly number[] },
    rows: ReadonlyArray<ReadonlyArray<number | null>>,
    options: Partial<AutoencoderOptions> = {},
  ): Promise<LayerAutoencoder | null> {
    const o = { ...DEFAULT_AUTOENCODER_OPTIONS, ...options };
    const d = features.length;
    if (rows.length < o.minRows || d < 2) return null;
    const backend = await ensureBackend();
    const n = rows.length;
    const rand = mulberry32(o.seed);
    // One seeded shuffle, so the validation split is not just the newest rows and runs repeat.
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const x = new Float32Array(n * d);
    order.forEach((r, i) => standardiseInto(rows[r], scaler.center, scaler.scale, o.clipZ, x, i * d));

    const hidden = Math.max(o.minHidden, Math.round(d * o.hiddenRatio));
    const bottleneck = Math.max(o.minBottleneck, Math.min(hidden - 1, Math.round(d * o.bottleneckRatio)));
    const model = buildModel(d, hidden, bottleneck, o.seed);
    model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'meanSquaredError' });

    const nVal = n >= 50 ? Math.max(1, Math.round(n * o.validationFraction)) : 0;
    const nTrain = n - nVal;
    const xs = tf.tensor2d(x, [n, d]);
    const train = tf.slice(xs, [0, 0], [nTrain, d]);
    const val = nVal > 0 ? tf.slice(xs, [nTrain, 0], [nVal, d]) : null;
    let history: tfl.History;
    try {
      history = await model.fit(train, train, {
        epochs: o.maxEpochs,
        batchSize: o.batchSize,
        shuffle: true,
        verbose: 0,
        // Yielding to the event loop between batches costs more than the batch at this size.
        yieldEvery: 'never',
        validationData: val ? [val, val] : undefined,
        callbacks: [tfl.callbacks.earlyStopping({ monitor: val ? 'val_loss' : 'loss', patience: o.patience, minDelta: 1e-4 })],
      });
    } finally {
      train.dispose();
      val?.dispose();
    }
    xs.dispose();
    // The same forward pass that scores (batch.ts), so the threshold is set on what scoring computes.
    const recon = forwardDense(denseStackOf(model, d), x, n);

    // Residual variance per feature, then row errors over the whole baseline for the threshold.
    const residualVar = new Array<number>(d).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) residualVar[j] += (x[i * d + j] - recon[i * d + j]) ** 2 / n;
    for (let j = 0; j < d; j++) residualVar[j] = Math.max(o.residualFloor, residualVar[j]);
    const errors = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < d; j++) e += (x[i * d + j] - recon[i * d + j]) ** 2 / residualVar[j];
      errors[i] = e / d;
    }
    const losses = history.history.loss as number[];
    const valLosses = history.history.val_loss as number[] | undefined;
    const meta: AutoencoderMeta = {
      format: 'plumbline-layer-autoencoder',
      version: 1,
      layer,
      features: [...features],
      center: [...scaler.center],
      scale: [...scaler.scale],
      residualVar,
      // At least one feature 2 robust sigma off its reconstruction (errors are means over d features).
      threshold: Math.max(4 / d, quantile(errors, o.thresholdQuantile) * o.thresholdMargin),
      errorSpread: o.errorSpread,
      clipZ: o.clipZ,
      trainedAt: Date.now(),
      rows: n,
      epochs: losses.length,
      loss: losses.at(-1) ?? NaN,
      valLoss: valLosses?.at(-1) ?? null,
      backend: backend.name,
    };
    return new LayerAutoencoder(model, meta);
  }

  /** Standardised input of one observation; missing features are 0 (the median) and masked out. */
  standardise(metrics: Record<string, number | null>, into: Float32Array, offset: number, mask: Uint8Array): void {
    const m = this.meta;
    for (let j = 0; j < m.features.length; j++) {
      const v = metrics[m.features[j]];
      const present = typeof v === 'number' && Number.isFinite(v);
      mask[offset + j] = present ? 1 : 0;
      into[offset + j] = present ? clip((v - m.center[j]) / m.scale[j], m.clipZ) : 0;
    }
  }

  /** Scores many observations (the forward pass in plain JS on the model's weights, see batch.ts). */
  scoreMany(observations: ReadonlyArray<Record<string, number | null>>): ModelScore[] {
    const n = observations.length;
    if (n === 0) return [];
    const d = this.meta.features.length;
    const x = new Float32Array(n * d);
    const mask = new Uint8Array(n * d);
    observations.forEach((m, i) => this.standardise(m, x, i * d, mask));
    const recon = forwardDense(this.denseStack(), x, n);
    return observations.map((m, i) => this.scoreRow(m, x, recon, mask, i * d));
  }

  score(metrics: Record<string, number | null>): ModelScore {
    return this.scoreMany([metrics])[0];
  }

  /** Turns one row's input and reconstruction (at `offset` in the flat arrays) into a score. */
  scoreRow(metrics: Record<string, number | null>, x: ArrayLike<number>, recon: ArrayLike<number>, mask: ArrayLike<number>, offset: number): ModelScore {
    const m = this.meta;
    const d = m.features.length;
    const parts = new Float64Array(d);
    let total = 0;
    let present = 0;
    for (let j = 0; j < d; j++) {
      if (!mask[offset + j]) continue;
      present++;
      parts[j] = (x[offset + j] - recon[offset + j]) ** 2 / m.residualVar[j];
      total += parts[j];
    }
    const error = present > 0 ? total / present : 0;
    const ratio = error / m.threshold;
    const score = ratio > 1 ? 1 - Math.exp(-(ratio - 1) / m.errorSpread) : 0;
    const contributions: Contribution[] = [];
    for (let j = 0; j < d; j++) {
      if (!mask[offset + j]) continue;
      const v = metrics[m.features[j]];
      contributions.push({
        feature: m.features[j],
        share: total > 0 ? parts[j] / total : 0,
        value: typeof v === 'number' ? v : null,
        expected: m.center[j] + recon[offset + j] * m.scale[j],
      });
    }
    contributions.sort((a, b) => b.share - a.share);
    return { error, threshold: m.threshold, score, contributions };
  }

  /** The weights as plain arrays (read once): what scoring runs on. */
  denseStack(): DenseStack {
    this.stack ??= denseStackOf(this.model, this.meta.features.length);
    return this.stack;
  }

  /** model.json + weights.bin (tfjs's layout) + meta.json, replacing the folder atomically. */
  async save(dir: string): Promise<void> {
    let artifacts: tf.io.ModelArtifacts | null = null;
    await this.model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const a = artifacts as tf.io.ModelArtifacts | null;
    if (!a?.weightData || !a.weightSpecs) throw new ModelFilesError('tfjs produced no weights to save');
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
    const modelJson = JSON.stringify({
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
      convertedBy: null,
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
    });
    const meta: AutoencoderMeta = { ...this.meta, files: { [MODEL_FILE]: sha256(modelJson), [WEIGHTS_FILE]: sha256(weights) } as AutoencoderMeta['files'] };
    await writeModelFolder(dir, { [MODEL_FILE]: modelJson, [WEIGHTS_FILE]: weights, [META_FILE]: `${JSON.stringify(meta, null, 2)}\n` });
  }

  static async load(dir: string): Promise<LayerAutoencoder> {
    await ensureBackend();
    const files = await readModelFolder(dir, [MODEL_FILE, WEIGHTS_FILE, META_FILE]);
    const meta = JSON.parse(files[META_FILE].toString('utf8')) as AutoencoderMeta;
    if (meta.format !== 'plumbline-layer-autoencoder' || meta.version !== 1) throw new ModelFilesError(`${dir}: not a layer autoencoder (format ${meta.format} v${meta.version})`);
    for (const name of [MODEL_FILE, WEIGHTS_FILE] as const) {
      if (meta.files && meta.files[name] !== sha256(files[name])) throw new ModelFilesError(`${dir}/${name} does not match meta.json (torn or edited)`);
    }
    const json = JSON.parse(files[MODEL_FILE].toString('utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
    const w = files[WEIGHTS_FILE];
    const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
    const model = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }),
    );
    return new LayerAutoencoder(model, meta);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** A dense model's weights as plain arrays (kernels [in, out], row-major, as tfjs holds them). */
export function denseStackOf(model: tfl.LayersModel, inputs: number): DenseStack {
  const dims = [inputs];
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  const activations: string[] = [];
  for (const layer of model.layers) {
    const [kernel, bias] = layer.getWeights();
    dims.push(kernel.shape[1]!);
    kernels.push(Float32Array.from(kernel.dataSync() as Float32Array));
    biases.push(Float32Array.from(bias.dataSync() as Float32Array));
    activations.push(String((layer.getConfig() as { activation?: string }).activation ?? 'linear'));
  }
  return { key: `${dims.join('x')}:${activations.join(',')}`, dims, kernels, biases, activations };
}

function clip(z: number, limit: number): number {
  return z > limit ? limit : z < -limit ? -limit : z;
}

function standardiseInto(row: ReadonlyArray<number | null>, center: readonly number[], scale: readonly number[], clipZ: number, into: Float32Array, offset: number): void {
  for (let j = 0; j < center.length; j++) {
    const v = row[j];
    into[offset + j] = typeof v === 'number' && Number.isFinite(v) ? clip((v - center[j]) / scale[j], clipZ) : 0;
  }
}

function buildModel(d: number, hidden: number, bottleneck: number, seed: number): tfl.Sequential {
  const model = tfl.sequential();
  const widths: Array<[number, string]> = [
    [hidden, 'tanh'],
    [bottleneck, 'tanh'],
    [hidden, 'tanh'],
    [d, 'linear'],
  ];
  widths.forEach(([units, activation], i) =>
    model.add(
      tfl.layers.dense({
        units,
        activation: activation as 'tanh' | 'linear',
        inputShape: i === 0 ? [d] : undefined,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
      }),
    ),
  );
  return model;
}
