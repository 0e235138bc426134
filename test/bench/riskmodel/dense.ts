/**
 * A small dense network for the risk model, trained with tfjs (the WASM backend the detectors use)
 * on the weighted cross-entropy, then exported as plain arrays for the product's inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/detect/model/backend';
import type { DenseSpec } from '../../../server/src/risk/model/classifiers';
import { CLASSES, type Row } from '../../../server/src/risk/model/train';

export interface DenseOptions {
  hidden: number[];
  epochs: number;
  batch: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DENSE_DEFAULTS: DenseOptions = { hidden: [24, 12], epochs: 20, batch: 256, learningRate: 0.01, l2: 1e-4, seed: 7 };

export async function fitDense(rows: readonly Row[], opts: Partial<DenseOptions> = {}): Promise<DenseSpec> {
  const o = { ...DENSE_DEFAULTS, ...opts };
  await ensureBackend(() => undefined);
  const d = rows[0].x.length;
  const wsum = rows.reduce((a, r) => a + r.w, 0);
  const mean = Array.from({ length: d }, (_, i) => rows.reduce((a, r) => a + r.w * r.x[i], 0) / wsum);
  const std = Array.from({ length: d }, (_, i) => Math.sqrt(rows.reduce((a, r) => a + r.w * (r.x[i] - mean[i]) ** 2, 0) / wsum) || 1);
  const sizes = [d, ...o.hidden, CLASSES];
  const vars = sizes.slice(1).map((units, li) => ({
    w: tf.variable(tf.randomNormal([sizes[li], units], 0, Math.sqrt(2 / sizes[li]), 'float32', o.seed + li)),
    b: tf.variable(tf.zeros([units])),
  }));
  const X = tf.tensor2d(rows.map((r) => r.x.map((v, i) => (v - mean[i]) / std[i])));
  const Y = tf.cast(tf.oneHot(tf.tensor1d(rows.map((r) => r.y), 'int32'), CLASSES), 'float32');
  const W = tf.tensor1d(rows.map((r) => (r.w * rows.length) / wsum));
  const optimizer = tf.train.adam(o.learningRate);
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = x;
    vars.forEach((v, li) => {
      h = tf.add(tf.matMul(h, v.w), v.b);
      if (li < vars.length - 1) h = tf.relu(h);
    });
    return h;
  };
  // A seeded shuffle per epoch, so runs repeat.
  let state = o.seed >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from(rows.keys());
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let s = 0; s < order.length; s += o.batch) {
      const idx = tf.tensor1d(order.slice(s, s + o.batch), 'int32');
      optimizer.minimize(() => {
        const xb = tf.gather(X, idx) as tf.Tensor2D;
        const yb = tf.gather(Y, idx);
        const wb = tf.gather(W, idx);
        const logp = tf.logSoftmax(forward(xb));
        const ce = tf.neg(tf.sum(tf.mul(yb, logp), 1));
        const l2 = vars.reduce((a: tf.Scalar, v) => tf.add(a, tf.mul(o.l2, tf.sum(tf.square(v.w)))), tf.scalar(0));
        return tf.add(tf.mean(tf.mul(ce, wb)), l2) as tf.Scalar;
      });
      idx.dispose();
    }
  }
  const layers = await Promise.all(
    vars.map(async (v) => ({ weights: (await v.w.array()) as number[][], bias: (await v.b.array()) as number[] })),
  );
  for (const v of vars) {
    v.w.dispose();
    v.b.dispose();
  }
  X.dispose();
  Y.dispose();
  W.dispose();
  optimizer.dispose();
  const r6 = (x: number): number => Number(x.toPrecision(6));
  return { kind: 'dense', mean: mean.map(r6), std: std.map(r6), layers: layers.map((l) => ({ weights: l.weights.map((row) => row.map(r6)), bias: l.bias.map(r6) })) };
}
