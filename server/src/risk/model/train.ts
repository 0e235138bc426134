import { softmax, treeValue, type BoostedSpec, type LogisticSpec, type TreeSpec } from './classifiers';

/**
 * Training for the risk model's classifiers that can be updated in the product from feedback:
 * multinomial logistic regression and gradient-boosted trees. Pure and deterministic (no
 * randomness: full-batch steps, exact histogram splits), so the same rows give the same model.
 */

/** One labelled interval: features, class (0 no action, 1–3 the tier), and a weight. */
export interface Row {
  x: number[];
  y: number;
  w: number;
}

export const CLASSES = 4;

export interface LogisticOptions {
  /** L2 penalty on the weights (towards `prior` when given). */
  l2: number;
  epochs: number;
  learningRate: number;
  /** Start from these weights and pull towards them (an update from feedback). */
  prior?: LogisticSpec;
}

export const LOGISTIC_DEFAULTS: LogisticOptions = { l2: 1e-3, epochs: 400, learningRate: 0.05 };

/** Fits a multinomial logistic regression by full-batch Adam on the weighted cross-entropy. */
export function fitLogistic(rows: readonly Row[], opts: Partial<LogisticOptions> = {}): LogisticSpec {
  const o = { ...LOGISTIC_DEFAULTS, ...opts };
  const d = rows[0]?.x.length ?? 0;
  const prior = o.prior;
  const mean = prior?.mean ?? new Array<number>(d).fill(0);
  const std = prior?.std ?? new Array<number>(d).fill(1);
  if (!prior) {
    const wsum = rows.reduce((a, r) => a + r.w, 0) || 1;
    for (let i = 0; i < d; i++) {
      mean[i] = rows.reduce((a, r) => a + r.w * r.x[i], 0) / wsum;
      std[i] = Math.sqrt(rows.reduce((a, r) => a + r.w * (r.x[i] - mean[i]) ** 2, 0) / wsum) || 1;
    }
  }
  const z = rows.map((r) => Float64Array.from(r.x, (v, i) => (v - mean[i]) / std[i]));
  const W = Array.from({ length: CLASSES }, (_, k) => Float64Array.from(prior?.weights[k] ?? new Array<number>(d).fill(0)));
  const b = Float64Array.from(prior?.bias ?? new Array<number>(CLASSES).fill(0));
  const W0 = W.map((w) => Float64Array.from(w));
  const total = rows.reduce((a, r) => a + r.w, 0) || 1;
  // Adam state per parameter.
  const mW = W.map(() => new Float64Array(d));
  const vW = W.map(() => new Float64Array(d));
  const mb = new Float64Array(CLASSES);
  const vb = new Float64Array(CLASSES);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const gW = W.map(() => new Float64Array(d));
    const gb = new Float64Array(CLASSES);
    const s = new Float64Array(CLASSES);
    for (let n = 0; n < rows.length; n++) {
      const x = z[n];
      for (let k = 0; k < CLASSES; k++) {
        let a = b[k];
        const w = W[k];
        for (let i = 0; i < d; i++) a += w[i] * x[i];
        s[k] = a;
      }
      const p = softmax(Array.from(s));
      const wn = rows[n].w / total;
      for (let k = 0; k < CLASSES; k++) {
        const g = (p[k] - (rows[n].y === k ? 1 : 0)) * wn;
        gb[k] += g;
        const gw = gW[k];
        for (let i = 0; i < d; i++) gw[i] += g * x[i];
      }
    }
    const c1 = 1 - b1 ** epoch;
    const c2 = 1 - b2 ** epoch;
    for (let k = 0; k < CLASSES; k++) {
      for (let i = 0; i < d; i++) {
        const g = gW[k][i] + o.l2 * (W[k][i] - W0[k][i] * (prior ? 1 : 0));
        mW[k][i] = b1 * mW[k][i] + (1 - b1) * g;
        vW[k][i] = b2 * vW[k][i] + (1 - b2) * g * g;
        W[k][i] -= (o.learningRate * (mW[k][i] / c1)) / (Math.sqrt(vW[k][i] / c2) + eps);
      }
      mb[k] = b1 * mb[k] + (1 - b1) * gb[k];
      vb[k] = b2 * vb[k] + (1 - b2) * gb[k] * gb[k];
      b[k] -= (o.learningRate * (mb[k] / c1)) / (Math.sqrt(vb[k] / c2) + eps);
    }
  }
  return { kind: 'logistic', mean, std, weights: W.map((w) => Array.from(w, round)), bias: Array.from(b, round) };
}

export interface BoostedOptions {
  rounds: number;
  depth: number;
  learningRate: number;
  /** L2 on leaf values. */
  lambda: number;
  /** Smallest hessian sum a leaf may have. */
  minChildWeight: number;
  /** Candidate thresholds per feature (quantiles of the training rows). */
  bins: number;
}

export const BOOSTED_DEFAULTS: BoostedOptions = { rounds: 60, depth: 3, learningRate: 0.2, lambda: 1, minChildWeight: 1, bins: 24 };

/** Fits gradient-boosted trees on the softmax loss (second-order leaves, histogram splits). */
export function fitBoosted(rows: readonly Row[], opts: Partial<BoostedOptions> = {}): BoostedSpec {
  const o = { ...BOOSTED_DEFAULTS, ...opts };
  const total = rows.reduce((a, r) => a + r.w, 0) || 1;
  const prior = Array.from({ length: CLASSES }, (_, k) => (rows.reduce((a, r) => a + (r.y === k ? r.w : 0), 0) + 1) / (total + CLASSES));
  const spec: BoostedSpec = { kind: 'boosted', base: prior.map((p) => round(Math.log(p))), learningRate: o.learningRate, trees: [] };
  return boostMore(spec, rows, o);
}

/**
 * Adds `o.rounds` rounds of trees to `spec`, fitted to `rows` under the model as it is: the same
 * step that trains from scratch also updates a shipped model from feedback.
 */
export function boostMore(spec: BoostedSpec, rows: readonly Row[], opts: Partial<BoostedOptions> = {}): BoostedSpec {
  const o = { ...BOOSTED_DEFAULTS, ...opts };
  const out: BoostedSpec = { ...spec, trees: [...spec.trees] };
  if (rows.length === 0) return out;
  const d = rows[0].x.length;
  const X = rows.map((r) => r.x);
  const edges = Array.from({ length: d }, (_, i) => quantileEdges(X.map((x) => x[i]), o.bins));
  const binned = X.map((x) => Uint8Array.from(x, (v, i) => binOf(edges[i], v)));
  const total = rows.reduce((a, r) => a + r.w, 0) || 1;
  const w = rows.map((r) => r.w / total);
  const F = X.map((x) => {
    const f = [...spec.base];
    for (const round of spec.trees) round.forEach((t, k) => (f[k] += spec.learningRate * treeValue(t, x)));
    return f;
  });
  for (let round = 0; round < o.rounds; round++) {
    const P = F.map((f) => softmax(f));
    const trees: TreeSpec[] = [];
    for (let k = 0; k < CLASSES; k++) {
      const g = new Float64Array(rows.length);
      const h = new Float64Array(rows.length);
      for (let n = 0; n < rows.length; n++) {
        const p = P[n][k];
        g[n] = (p - (rows[n].y === k ? 1 : 0)) * w[n];
        h[n] = Math.max(p * (1 - p), 1e-6) * w[n];
      }
      // Hessians are scaled by the weights (which sum to 1): the child weight floor is per row.
      const tree = growTree(binned, edges, g, h, o, o.minChildWeight / rows.length);
      trees.push(tree);
      for (let n = 0; n < rows.length; n++) F[n][k] += out.learningRate * treeValue(tree, X[n]);
    }
    out.trees.push(trees);
  }
  return out;
}

function growTree(binned: Uint8Array[], edges: number[][], g: Float64Array, h: Float64Array, o: BoostedOptions, minChild: number): TreeSpec {
  const t: TreeSpec = { feature: [], threshold: [], left: [], right: [], value: [] };
  const lambda = o.lambda * minChild;
  const add = (): number => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(0);
    return t.feature.length - 1;
  };
  const sums = (idx: number[]): [number, number] => {
    let G = 0;
    let H = 0;
    for (const n of idx) {
      G += g[n];
      H += h[n];
    }
    return [G, H];
  };
  const grow = (node: number, idx: number[], depth: number): void => {
    const [G, H] = sums(idx);
    t.value[node] = round(-G / (H + lambda));
    if (depth >= o.depth || idx.length < 2) return;
    const d = edges.length;
    let best = { gain: 1e-12, f: -1, bin: -1 };
    for (let f = 0; f < d; f++) {
      const nb = edges[f].length + 1;
      if (nb < 2) continue;
      const Gb = new Float64Array(nb);
      const Hb = new Float64Array(nb);
      for (const n of idx) {
        const b = binned[n][f];
        Gb[b] += g[n];
        Hb[b] += h[n];
      }
      let GL = 0;
      let HL = 0;
      for (let b = 0; b < nb - 1; b++) {
        GL += Gb[b];
        HL += Hb[b];
        const GR = G - GL;
        const HR = H - HL;
        if (HL < minChild || HR < minChild) continue;
        const gain = (GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - (G * G) / (H + lambda);
        if (gain > best.gain) best = { gain, f, bin: b };
      }
    }
    if (best.f < 0) return;
    const thr = edges[best.f][best.bin];
    const li = idx.filter((n) => binned[n][best.f] <= best.bin);
    const ri = idx.filter((n) => binned[n][best.f] > best.bin);
    const l = add();
    const r = add();
    t.feature[node] = best.f;
    t.threshold[node] = thr;
    t.left[node] = l;
    t.right[node] = r;
    grow(l, li, depth + 1);
    grow(r, ri, depth + 1);
  };
  grow(add(), Array.from(g.keys()), 0);
  return t;
}

/** Distinct quantile cut points of the values (a value ≤ edge[b] falls in bin b). */
function quantileEdges(values: number[], bins: number): number[] {
  const s = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let q = 1; q < bins; q++) {
    const i = Math.floor((q / bins) * (s.length - 1));
    const lo = s[i];
    const hi = s[Math.min(s.length - 1, i + 1)];
    const cut = round((lo + hi) / 2);
    if (cut < s[s.length - 1] && (out.length === 0 || cut > out[out.length - 1])) out.push(cut);
  }
  return out;
}

function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Six significant digits: model files stay small and diff well. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}
