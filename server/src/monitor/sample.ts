import { err, ok, type Result } from '../common/result';

/**
 * One streaming sample from the agent (`plumbline-agent stream`, schema 1): what a host and its
 * app looked like over one interval. Rates are over `windowMs`, the real time between the two
 * /proc snapshots; `ts` is the host's clock (epoch ms).
 */
export interface Sample {
  type: 'sample';
  schema: 1;
  /** +1 per sample; in installed mode it survives agent restarts. */
  seq: number;
  ts: number;
  intervalMs: number;
  windowMs: number;
  host: HostMetrics;
  app: AppMetrics;
  /**
   * Managed files' hashes and the release target. Prometheus cannot see them: its samples carry an
   * empty record that means "not seen", not "no files, no release". Read it through observedConfig().
   */
  config: { files: Record<string, string | null>; release: string | null };
  /** Where the sample came from; absent means the agent over SSH. */
  source?: SampleSource;
  /** Why something is null or partial (a failed metrics fetch, series over the cap...). */
  notes?: string[];
}

/** The agent over SSH (stream or installed), or a Prometheus that scrapes the host. */
export type SampleSource = 'agent' | 'prometheus';

/** Which source a sample came from (agent samples do not say). */
export function sampleSource(s: Sample): SampleSource {
  return s.source ?? 'agent';
}

/** The sample's files and release, or null when its source cannot see them. */
export function observedConfig(s: Sample): Sample['config'] | null {
  return sampleSource(s) === 'prometheus' ? null : s.config;
}

export interface HostMetrics {
  cpuPct: number;
  rssKiB: number;
  memAvailableKiB: number;
  memTotalKiB: number;
  load1: number;
  processes: number;
  fds: number;
  diskReadBps: number;
  diskWriteBps: number;
  /** null when the interval had no disk IO. */
  ioLatencyMs: number | null;
  netRxBps: number;
  netTxBps: number;
  disks: Array<{ mount: string; usedPct: number; availKiB: number }>;
  /**
   * The processes using most CPU (and memory) this interval that are neither the app nor the agent,
   * so a neighbour can be named. Absent from agents that do not report it.
   */
  top?: Array<{ pid: number; comm: string; cpuPct: number; rssKiB: number }>;
}

export interface AppMetrics {
  process: { pids: number[]; rssKiB: number; cpuPct: number; threads: number; fds: number; restarts: number } | null;
  health: { status: number | null; latencyMs: number | null; error?: string } | null;
  /** Prometheus series summed over their labels, by metric name. */
  metrics: Record<string, number> | null;
}

export interface MalformedSample {
  kind: 'MalformedSample';
  reason: string;
  /** The start of the line, for the log; never the whole line. */
  excerpt: string;
}

type Obj = Record<string, unknown>;

class Invalid extends Error {}

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${where} is not an object`);
  return v as Obj;
}
function num(o: Obj, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(`${where}.${key} is not a number`);
  return v;
}
function nnum(o: Obj, key: string, where: string): number | null {
  return o[key] === null ? null : num(o, key, where);
}
function int(o: Obj, key: string, where: string, min = 0): number {
  const v = num(o, key, where);
  if (!Number.isSafeInteger(v) || v < min) throw new Invalid(`${where}.${key} is not a whole number >= ${min}`);
  return v;
}
function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Invalid(`${where} is not a string`);
  return v;
}

function hostMetrics(v: unknown): HostMetrics {
  const h = obj(v, 'host');
  const disks = h.disks;
  if (!Array.isArray(disks)) throw new Invalid('host.disks is not an array');
  const out: HostMetrics = {
    cpuPct: num(h, 'cpuPct', 'host'),
    rssKiB: num(h, 'rssKiB', 'host'),
    memAvailableKiB: num(h, 'memAvailableKiB', 'host'),
    memTotalKiB: num(h, 'memTotalKiB', 'host'),
    load1: num(h, 'load1', 'host'),
    processes: num(h, 'processes', 'host'),
    fds: num(h, 'fds', 'host'),
    diskReadBps: num(h, 'diskReadBps', 'host'),
    diskWriteBps: num(h, 'diskWriteBps', 'host'),
    ioLatencyMs: nnum(h, 'ioLatencyMs', 'host'),
    netRxBps: num(h, 'netRxBps', 'host'),
    netTxBps: num(h, 'netTxBps', 'host'),
    disks: disks.map((d, i) => {
      const o = obj(d, `host.disks[${i}]`);
      return { mount: str(o.mount, `host.disks[${i}].mount`), usedPct: num(o, 'usedPct', `host.disks[${i}]`), availKiB: num(o, 'availKiB', `host.disks[${i}]`) };
    }),
  };
  if (h.top !== undefined) {
    if (!Array.isArray(h.top)) throw new Invalid('host.top is not an array');
    out.top = h.top.map((t, i) => {
      const o = obj(t, `host.top[${i}]`);
      return { pid: int(o, 'pid', `host.top[${i}]`, 1), comm: str(o.comm, `host.top[${i}].comm`), cpuPct: num(o, 'cpuPct', `host.top[${i}]`), rssKiB: num(o, 'rssKiB', `host.top[${i}]`) };
    });
  }
  return out;
}

function appMetrics(v: unknown): AppMetrics {
  const a = obj(v, 'app');
  let process: AppMetrics['process'] = null;
  if (a.process !== null) {
    const p = obj(a.process, 'app.process');
    if (!Array.isArray(p.pids) || !p.pids.every((x) => Number.isSafeInteger(x) && (x as number) > 0)) throw new Invalid('app.process.pids is not a list of pids');
    process = {
      pids: p.pids as number[],
      rssKiB: num(p, 'rssKiB', 'app.process'),
      cpuPct: num(p, 'cpuPct', 'app.process'),
      threads: num(p, 'threads', 'app.process'),
      fds: num(p, 'fds', 'app.process'),
      restarts: int(p, 'restarts', 'app.process'),
    };
  }
  let health: AppMetrics['health'] = null;
  if (a.health !== null) {
    const h = obj(a.health, 'app.health');
    health = { status: nnum(h, 'status', 'app.health'), latencyMs: nnum(h, 'latencyMs', 'app.health') };
    if (h.error !== undefined) health.error = str(h.error, 'app.health.error');
  }
  let metrics: AppMetrics['metrics'] = null;
  if (a.metrics !== null) {
    const m = obj(a.metrics, 'app.metrics');
    metrics = {};
    for (const [k, x] of Object.entries(m)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new Invalid(`app.metrics[${JSON.stringify(k)}] is not a number`);
      metrics[k] = x;
    }
  }
  return { process, health, metrics };
}

function configState(v: unknown): Sample['config'] {
  const c = obj(v, 'config');
  const f = obj(c.files, 'config.files');
  const files: Record<string, string | null> = {};
  for (const [k, x] of Object.entries(f)) {
    if (x !== null && (typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x))) throw new Invalid(`config.files[${JSON.stringify(k)}] is not a sha256`);
    files[k] = x;
  }
  const release = c.release === null ? null : str(c.release, 'config.release');
  return { files, release };
}

/** A sample decoded from an already-parsed record; throws Invalid with the first problem. */
function toSample(record: unknown): Sample {
  const r = obj(record, 'the line');
  if (r.type !== 'sample') throw new Invalid(`type is ${JSON.stringify(r.type)}, not "sample"`);
  if (r.schema !== 1) throw new Invalid(`schema ${JSON.stringify(r.schema)} is not supported (this Plumbline reads schema 1)`);
  const s: Sample = {
    type: 'sample',
    schema: 1,
    seq: int(r, 'seq', 'sample', 1),
    ts: int(r, 'ts', 'sample'),
    intervalMs: int(r, 'intervalMs', 'sample', 1),
    windowMs: r.windowMs === undefined ? 0 : int(r, 'windowMs', 'sample'),
    host: hostMetrics(r.host),
    app: appMetrics(r.app),
    config: configState(r.config),
  };
  if (r.notes !== undefined) {
    if (!Array.isArray(r.notes)) throw new Invalid('notes is not a list');
    s.notes = r.notes.map((n, i) => str(n, `notes[${i}]`));
  }
  return s;
}

/** Lines longer than this are refused without parsing: a sample is well under 64 KiB. */
export const MAX_SAMPLE_LINE = 1 << 20;

/** Parses and validates one agent line. Never throws: a bad line is a value to count and report. */
export function parseSample(line: string): Result<Sample, MalformedSample> {
  const excerpt = line.length > 120 ? `${line.slice(0, 120)}…` : line;
  if (line.length > MAX_SAMPLE_LINE) return err({ kind: 'MalformedSample', reason: `line of ${line.length} characters is too long`, excerpt });
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    return err({ kind: 'MalformedSample', reason: `not JSON: ${(e as Error).message}`, excerpt });
  }
  try {
    return ok(toSample(record));
  } catch (e) {
    if (e instanceof Invalid) return err({ kind: 'MalformedSample', reason: e.message, excerpt });
    throw e;
  }
}
