import { err, ok, type Result } from '../../common/result';

/** One series of a range query: its labels and [epoch seconds, value text] pairs. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export type PrometheusError =
  /** No answer at all: refused, DNS, timeout. */
  | { kind: 'PrometheusUnreachable'; url: string; message: string }
  /** An answer that is not the API's: a proxy's error page, a 5xx without JSON. */
  | { kind: 'PrometheusHttpError'; url: string; status: number; message: string }
  /** The API refused the query (bad PromQL, too many points, timeout on its side). */
  | { kind: 'PrometheusQueryError'; url: string; errorType: string; message: string };

export function describePrometheusError(e: PrometheusError): string {
  switch (e.kind) {
    case 'PrometheusUnreachable':
      return `Prometheus at ${e.url} is unreachable: ${e.message}`;
    case 'PrometheusHttpError':
      return `Prometheus at ${e.url} answered HTTP ${e.status}: ${e.message}`;
    case 'PrometheusQueryError':
      return `Prometheus at ${e.url} refused the query (${e.errorType}): ${e.message}`;
  }
}

export interface PrometheusClientOptions {
  /** Base URL, without /api/v1. */
  url: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The part of Prometheus' HTTP API Plumbline reads: range queries (POST, form-encoded, so long
 * selectors never hit a URL length limit). Errors are values; nothing here throws.
 */
export class PrometheusClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: PrometheusClientOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  get url(): string {
    return this.opts.url;
  }

  /** `query` evaluated at every `stepMs` from `startMs` to `endMs` (inclusive), as Prometheus aligns them. */
  async queryRange(query: string, startMs: number, endMs: number, stepMs: number): Promise<Result<RangeSeries[], PrometheusError>> {
    const body = new URLSearchParams({ query, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${stepMs / 1000}` });
    const r = await this.post('/api/v1/query_range', body);
    if (!r.ok) return r;
    const data = r.value as { resultType?: string; result?: unknown };
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
      return err({ kind: 'PrometheusHttpError', url: this.opts.url, status: 200, message: `expected a matrix, got ${String(data.resultType)}` });
    }
    return ok(data.result as RangeSeries[]);
  }

  private async post(endpoint: string, body: URLSearchParams): Promise<Result<unknown, PrometheusError>> {
    const url = this.opts.url;
    let res: Response;
    try {
      res = await this.fetch(`${url}${endpoint}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return err({ kind: 'PrometheusUnreachable', url, message: cause?.code ?? cause?.message ?? (e as Error).message });
    }
    const text = await res.text().catch(() => '');
    let json: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      json = undefined;
    }
    if (json?.status === 'success') return ok(json.data);
    if (json?.status === 'error') return err({ kind: 'PrometheusQueryError', url, errorType: json.errorType ?? 'unknown', message: json.error ?? '' });
    // eslint-disable-next-line no-control-regex -- terminal escapes from a stranger's error page are neutralised
    return err({ kind: 'PrometheusHttpError', url, status: res.status, message: text.slice(0, 200).replace(/[\u0000-\u001f\u007f]/g, ' ') });
  }
}
