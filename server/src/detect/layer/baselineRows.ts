/**
 * The baseline window kept as a compact matrix (Float32, NaN for missing) so feedback can blend a
 * new window in and retrain without the store: at most `max` rows, old rows thinned evenly.
 */
export interface BaselineRowsJSON {
  metrics: string[];
  rows: Array<Array<number | null>>;
}

export class BaselineRows {
  private constructor(
    readonly metrics: string[],
    private data: Float32Array,
    private n: number,
  ) {}

  static empty(): BaselineRows {
    return new BaselineRows([], new Float32Array(0), 0);
  }

  /** Rows from observations' metrics; the metric set is the union of their names, sorted. */
  static from(observations: ReadonlyArray<Record<string, number | null>>, max: number): BaselineRows {
    const names = new Set<string>();
    for (const m of observations) for (const k of Object.keys(m)) names.add(k);
    const metrics = [...names].sort();
    const picked = thin(observations, max);
    const data = new Float32Array(picked.length * metrics.length);
    picked.forEach((m, i) =>
      metrics.forEach((k, j) => {
        const v = m[k];
        data[i * metrics.length + j] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
      }),
    );
    return new BaselineRows(metrics, data, picked.length);
  }

  get length(): number {
    return this.n;
  }

  /** Values of one metric, missing ones left out. */
  column(metric: string): number[] {
    const j = this.metrics.indexOf(metric);
    const out: number[] = [];
    if (j < 0) return out;
    for (let i = 0; i < this.n; i++) {
      const v = this.data[i * this.metrics.length + j];
      if (!Number.isNaN(v)) out.push(v);
    }
    return out;
  }

  columns(): Map<string, number[]> {
    return new Map(this.metrics.map((m) => [m, this.column(m)]));
  }

  /** Fraction of rows where `metric` is present. */
  presence(metric: string): number {
    return this.n === 0 ? 0 : this.column(metric).length / this.n;
  }

  /** Row i as a metrics record (NaN back to null). */
  row(i: number): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    const d = this.metrics.length;
    this.metrics.forEach((k, j) => {
      const v = this.data[i * d + j];
      out[k] = Number.isNaN(v) ? null : v;
    });
    return out;
  }

  records(): Array<Record<string, number | null>> {
    return Array.from({ length: this.n }, (_, i) => this.row(i));
  }

  /** Old rows thinned to make room, then the window's rows (at most half of `max`). */
  blend(window: ReadonlyArray<Record<string, number | null>>, max: number): BaselineRows {
    const fresh = thin(window, Math.floor(max / 2));
    const old = thin(this.records(), max - fresh.length);
    return BaselineRows.from([...old, ...fresh], max);
  }

  toJSON(): BaselineRowsJSON {
    const d = this.metrics.length;
    const rows = Array.from({ length: this.n }, (_, i) => Array.from(this.data.subarray(i * d, (i + 1) * d), (v) => (Number.isNaN(v) ? null : v)));
    return { metrics: [...this.metrics], rows };
  }

  static fromJSON(json: BaselineRowsJSON): BaselineRows {
    const d = json.metrics.length;
    const data = new Float32Array(json.rows.length * d);
    json.rows.forEach((r, i) => r.forEach((v, j) => (data[i * d + j] = v === null ? NaN : v)));
    return new BaselineRows([...json.metrics], data, json.rows.length);
  }
}

/** At most `max` items, evenly spaced, keeping the order. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (max <= 0) return [];
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, k) => items[Math.floor(k * step)]);
}
