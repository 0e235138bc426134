import type { DenseStack, LayerAutoencoder, ModelScore } from './autoencoder';

/**
 * The forward pass of a dense stack in plain JS, for `n` rows of `x` (row-major, `dims[0]` wide):
 * a layer model has a few hundred weights, so its reconstruction is a few hundred multiply-adds,
 * where a tfjs `predict` costs ~0.2 ms of dispatch per call. tfjs trains the models; scoring needs
 * only their weights (`LayerAutoencoder.denseStack`). Kernels are tfjs's: [in, out], row-major.
 */
export function forwardDense(stack: DenseStack, x: ArrayLike<number>, n: number): Float32Array {
  const { dims, kernels, biases, activations } = stack;
  let input: ArrayLike<number> = x;
  let out = new Float32Array(0);
  for (let l = 0; l < dims.length - 1; l++) {
    const fanIn = dims[l];
    const fanOut = dims[l + 1];
    const w = kernels[l];
    const b = biases[l];
    const act = activation(activations[l]);
    out = new Float32Array(n * fanOut);
    for (let r = 0; r < n; r++) {
      const xi = r * fanIn;
      const yo = r * fanOut;
      for (let o = 0; o < fanOut; o++) {
        let s = b[o];
        for (let i = 0; i < fanIn; i++) s += input[xi + i] * w[i * fanOut + o];
        out[yo + o] = act(s);
      }
    }
    input = out;
  }
  return out;
}

const ACTIVATIONS: Record<string, (v: number) => number> = {
  linear: (v) => v,
  tanh: Math.tanh,
  relu: (v) => (v > 0 ? v : 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  elu: (v) => (v > 0 ? v : Math.expm1(v)),
};

function activation(name: string): (v: number) => number {
  const f = ACTIVATIONS[name];
  if (!f) throw new Error(`layer model: unsupported activation ${name}`);
  return f;
}

/** Scores one observation for each of many autoencoders (one per host and layer). */
export function scoreAcross(items: ReadonlyArray<{ model: LayerAutoencoder; metrics: Record<string, number | null> }>): ModelScore[] {
  return items.map((it) => it.model.score(it.metrics));
}
