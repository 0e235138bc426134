/**
 * The classifiers a risk model file may hold, and their inference: pure arithmetic over plain
 * arrays, so a model loads from JSON at start without a runtime (no tfjs for inference). Each
 * maps a feature vector to probabilities over the classes (no action, tier 1, tier 2, tier 3).
 */

/** Multinomial logistic regression over standardised features. */
export interface LogisticSpec {
  kind: 'logistic';
  /** Per feature: subtracted, then divided by. */
  mean: number[];
  std: number[];
  /** Classes × features. */
  weights: number[][];
  bias: number[];
}

/** One regression tree as parallel node arrays; a leaf has feature -1 and its value in `value`. */
export interface TreeSpec {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Gradient-boosted trees on the softmax loss: one tree per class per round. */
export interface BoostedSpec {
  kind: 'boosted';
  base: number[];
  learningRate: number;
  /** Rounds × classes. */
  trees: TreeSpec[][];
}

/** A small dense network: ReLU hidden layers, softmax output, over standardised features. */
export interface DenseSpec {
  kind: 'dense';
  mean: number[];
  std: number[];
  /** Per layer: weights as inputs × units, and biases. */
  layers: Array<{ weights: number[][]; bias: number[] }>;
}

export type ClassifierSpec = LogisticSpec | BoostedSpec | DenseSpec;

export function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function standardise(x: readonly number[], mean: readonly number[], std: readonly number[]): number[] {
  return x.map((v, i) => (v - mean[i]) / (std[i] || 1));
}

export function treeValue(t: TreeSpec, x: readonly number[]): number {
  let n = 0;
  while (t.feature[n] >= 0) n = x[t.feature[n]] <= t.threshold[n] ? t.left[n] : t.right[n];
  return t.value[n];
}

/** Raw class scores (before the softmax). */
export function logits(spec: ClassifierSpec, x: readonly number[]): number[] {
  switch (spec.kind) {
    case 'logistic': {
      const z = standardise(x, spec.mean, spec.std);
      return spec.weights.map((w, k) => spec.bias[k] + w.reduce((a, wi, i) => a + wi * z[i], 0));
    }
    case 'boosted': {
      const out = [...spec.base];
      for (const round of spec.trees) round.forEach((t, k) => (out[k] += spec.learningRate * treeValue(t, x)));
      return out;
    }
    case 'dense': {
      let h = standardise(x, spec.mean, spec.std);
      spec.layers.forEach((layer, li) => {
        const units = layer.bias.length;
        const next = new Array<number>(units);
        for (let j = 0; j < units; j++) {
          let a = layer.bias[j];
          for (let i = 0; i < h.length; i++) a += h[i] * layer.weights[i][j];
          next[j] = li < spec.layers.length - 1 ? Math.max(0, a) : a;
        }
        h = next;
      });
      return h;
    }
  }
}

export function predict(spec: ClassifierSpec, x: readonly number[]): number[] {
  return softmax(logits(spec, x));
}

/** Checks the shapes against the feature and class counts; returns the first problem, or null. */
export function checkSpec(spec: ClassifierSpec, features: number, classes: number): string | null {
  const vec = (v: unknown, n: number, what: string): string | null =>
    Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? null : `${what} is not ${n} finite numbers`;
  switch (spec.kind) {
    case 'logistic':
      return (
        vec(spec.mean, features, 'mean') ??
        vec(spec.std, features, 'std') ??
        vec(spec.bias, classes, 'bias') ??
        (Array.isArray(spec.weights) && spec.weights.length === classes ? spec.weights.map((w, k) => vec(w, features, `weights[${k}]`)).find((e) => e) ?? null : `weights is not ${classes} rows`)
      );
    case 'boosted': {
      if (vec(spec.base, classes, 'base')) return vec(spec.base, classes, 'base');
      if (!(spec.learningRate > 0)) return 'learningRate is not positive';
      for (const round of spec.trees ?? []) {
        if (!Array.isArray(round) || round.length !== classes) return `a round does not have ${classes} trees`;
        for (const t of round) {
          const n = t.feature?.length ?? 0;
          for (const k of ['threshold', 'left', 'right', 'value'] as const) if (t[k]?.length !== n) return `a tree's ${k} does not have ${n} nodes`;
          if (t.feature.some((f, i) => f >= features || (f >= 0 && !(t.left[i] > i && t.right[i] > i && t.left[i] < n && t.right[i] < n)))) return 'a tree has a bad node';
        }
      }
      return null;
    }
    case 'dense': {
      let width = features;
      for (const [li, layer] of (spec.layers ?? []).entries()) {
        if (!Array.isArray(layer.weights) || layer.weights.length !== width) return `layer ${li} does not take ${width} inputs`;
        const units = layer.bias?.length ?? 0;
        if (layer.weights.some((row) => vec(row, units, 'row'))) return `layer ${li} has a bad weight row`;
        width = units;
      }
      return width === classes ? (vec(spec.mean, features, 'mean') ?? vec(spec.std, features, 'std')) : `the last layer has ${width} units, not ${classes}`;
    }
    default:
      return `unknown classifier kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`;
  }
}
