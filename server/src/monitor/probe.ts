import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { AppMetrics } from './sample';
import { sumPrometheusText } from './prometheusText';

/** Opens a byte stream to `host:port` as the monitored host sees them (an SSH direct-tcpip channel). */
export type ForwardOpener = (toHost: string, toPort: number) => Promise<{ ok: true; value: Duplex } | { ok: false; refused: boolean; message: string }>;

/** What the server read on the host's behalf for one sample. */
export interface ProbeResult {
  health?: AppMetrics['health'];
  metrics?: AppMetrics['metrics'];
  notes: string[];
  /** The host's sshd forbids forwarding: the agent has to fetch these itself. */
  refused?: boolean;
}

interface Fetched {
  status: number;
  ms: number;
  body: string;
}

type FetchError = { error: string; refused: boolean };

/** The request's time as the host sees it: the exchange less one server–host round trip, never below zero. */
export function onHostMs(exchangeMs: number, roundTripMs: number): number {
  return Math.max(0, exchangeMs - roundTripMs);
}

/**
 * One HTTP GET of `url` through a forwarded channel: a fresh channel (so a fresh TCP connection
 * on the host) per fetch, no redirects followed, `timeoutMs` for everything, as curl does in the
 * agent. `ms` estimates what a client on the host waits, as curl there measured it: the time
 * from sending the request to the end of the response, less one round trip between server and
 * host, estimated the same moment by how long the channel took to open (opening costs one round
 * trip plus a loopback connect on the host). Without that, a host far away would look slow to
 * the latency detectors and its latency limit would be judged against the network, not the app.
 */
export function fetchThrough(open: ForwardOpener, url: URL, timeoutMs: number, wantBody: boolean): Promise<Fetched | FetchError> {
  const t0 = performance.now();
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    let done = false;
    let req: http.ClientRequest | undefined;
    const finish = (r: Fetched | FetchError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      req?.destroy();
      finish({ error: `no response within ${timeoutMs / 1000} s`, refused: false });
    }, timeoutMs);
    void open(host, port).then((ch) => {
      if (!ch.ok) return finish({ error: `cannot connect to ${host}:${port} from the host: ${ch.message}`, refused: ch.refused });
      if (done) return void ch.value.destroy();
      const opened = performance.now();
      const roundTrip = opened - t0;
      // No agent: http then takes the socket from createConnection. ssh2's channel is a Duplex,
      // not a net.Socket, so the socket methods http calls are given as no-ops.
      const stream = ch.value as Duplex & Record<string, unknown>;
      for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) stream[m] ??= () => stream;
      const socket = secure ? tls.connect({ socket: stream, servername: host }) : stream;
      req = http.request(url, { method: 'GET', createConnection: () => socket as never, headers: { 'user-agent': 'plumbline', accept: '*/*' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (wantBody) chunks.push(c);
        });
        res.on('end', () => {
          finish({ status: res.statusCode ?? 0, ms: onHostMs(performance.now() - opened, roundTrip), body: Buffer.concat(chunks).toString('utf8') });
          stream.destroy();
        });
        res.on('error', (e) => finish({ error: e.message, refused: false }));
      });
      req.on('error', (e) => finish({ error: e.message, refused: false }));
      req.end();
    });
  });
}

/**
 * The health and metrics reads of one sample, done by the server through the host's SSH
 * connection instead of by a curl the agent forks every interval. Same rules as the agent
 * (agent/src/health.sh, stream.awk): min(3 s, 0.8 × interval) each; health keeps any HTTP status
 * and its latency; metrics count only on a status below 400, summed by name.
 */
export function makeProbe(open: ForwardOpener, opts: { health?: string; metrics?: string; intervalMs: number }): (() => Promise<ProbeResult>) | undefined {
  if (opts.health === undefined && opts.metrics === undefined) return undefined;
  const timeoutMs = Math.min(3000, Math.max(1000, Math.floor((opts.intervalMs * 8) / 10000) * 1000));
  const parse = (u: string): URL | undefined => {
    try {
      const url = new URL(u);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
    } catch {
      return undefined;
    }
  };
  const healthUrl = opts.health === undefined ? undefined : parse(opts.health);
  const metricsUrl = opts.metrics === undefined ? undefined : parse(opts.metrics);
  return async () => {
    const out: ProbeResult = { notes: [] };
    const [h, m] = await Promise.all([
      healthUrl ? fetchThrough(open, healthUrl, timeoutMs, false) : undefined,
      metricsUrl ? fetchThrough(open, metricsUrl, timeoutMs, true) : undefined,
    ]);
    if (opts.health !== undefined) {
      if (!healthUrl) out.health = { status: null, latencyMs: null, error: 'only http:// and https:// URLs are supported' };
      else if (h && 'status' in h) out.health = { status: h.status, latencyMs: Math.round(h.ms * 10) / 10 };
      else out.health = { status: null, latencyMs: null, error: h?.error ?? 'no HTTP response' };
      if (h && 'refused' in h && h.refused) out.refused = true;
    }
    if (opts.metrics !== undefined) {
      if (!metricsUrl) {
        out.metrics = null;
        out.notes.push('metrics: only http:// and https:// URLs are supported');
      } else if (m && 'status' in m && m.status < 400) {
        const sums = sumPrometheusText(m.body);
        out.metrics = sums.metrics;
        if (sums.dropped > 0) out.notes.push(`metrics: ${sums.dropped} names over the cap of 256 dropped`);
      } else {
        out.metrics = null;
        out.notes.push(m && 'status' in m ? `metrics: fetch failed (HTTP ${m.status})` : `metrics: fetch failed (${m?.error ?? 'no response'})`);
        if (m && 'refused' in m && m.refused) out.refused = true;
      }
    }
    return out;
  };
}

/** The sample with what the server read for it. */
export function withProbe<T extends { app: AppMetrics; notes?: string[] }>(sample: T, p: ProbeResult): T {
  if (p.health !== undefined) sample.app.health = p.health;
  if (p.metrics !== undefined) sample.app.metrics = p.metrics;
  if (p.notes.length > 0) sample.notes = [...(sample.notes ?? []), ...p.notes];
  return sample;
}
