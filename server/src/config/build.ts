import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_RISK } from './checks';
import { parseDuration } from './duration';
import { parseSize } from './size';
import type { SourceMap } from './positions';
import type { ActionKind, ActionsConfig, EnvironmentConfig, MetricsConfig, WorkspaceConfig } from './types';

/** The shape the schema guarantees; only build() reads it, and only after validation passed. */
interface RawConfig {
  ssh?: { config?: string; knownHosts?: string };
  environments: Record<string, RawEnvironment>;
}

interface RawEnvironment {
  hosts: string[];
  interval?: string;
  layers?: {
    hardware?: { perf?: boolean; mounts?: string[]; limits?: { disk?: number; memory?: number } };
    os?: { packages?: boolean; sysctl?: string[]; services?: string[] };
    app?: {
      release?: string;
      health?: string;
      process?: string;
      metrics?: string;
      files?: { local: string; remote: string; secret?: boolean }[];
      limits?: { memory?: string; latency?: string; fds?: number };
    };
  };
  metrics?: {
    source?: 'agent' | 'prometheus';
    prometheus?: { url: string; label?: string; match?: string; app?: string; hosts?: Record<string, string>; window?: string; history?: string };
  };
  risk?: Partial<EnvironmentConfig['risk']>;
  actions?: Partial<Omit<ActionsConfig, 'escalateAfterMs' | 'cooldownMs'>> & {
    escalateAfter?: string;
    cooldown?: Partial<Record<ActionKind, string>>;
  };
}

export const DEFAULT_INTERVAL = '5s';

/** Validated data → WorkspaceConfig: defaults filled in, paths resolved, ranges attached. */
export function buildConfig(data: unknown, file: string, src: SourceMap): WorkspaceConfig {
  const raw = data as RawConfig;
  const dir = path.dirname(file);
  return {
    file,
    ssh: {
      ...(raw.ssh?.config !== undefined && { config: resolveUserPath(dir, raw.ssh.config) }),
      ...(raw.ssh?.knownHosts !== undefined && { knownHosts: resolveUserPath(dir, raw.ssh.knownHosts) }),
    },
    environments: Object.entries(raw.environments).map(([name, env]) => buildEnvironment(name, env, src)),
  };
}

function buildEnvironment(name: string, env: RawEnvironment, src: SourceMap): EnvironmentConfig {
  const at = ['environments', name];
  const app = env.layers?.app ?? {};
  const actions = env.actions ?? {};
  return {
    name,
    range: src.keyRange(at),
    hosts: env.hosts.map((spec, i) => ({ spec, range: src.valueRange([...at, 'hosts', i]) })),
    intervalMs: parseDuration(env.interval ?? DEFAULT_INTERVAL)!,
    layers: {
      hardware: {
        perf: env.layers?.hardware?.perf ?? true,
        mounts: env.layers?.hardware?.mounts ?? [],
        limits: {
          ...(env.layers?.hardware?.limits?.disk !== undefined && { diskUsedPct: env.layers.hardware.limits.disk }),
          ...(env.layers?.hardware?.limits?.memory !== undefined && { memUsedPct: env.layers.hardware.limits.memory }),
        },
      },
      os: {
        packages: env.layers?.os?.packages ?? true,
        sysctl: env.layers?.os?.sysctl ?? [],
        services: env.layers?.os?.services ?? [],
      },
      app: {
        ...(app.release !== undefined && { release: app.release }),
        ...(app.health !== undefined && { health: app.health }),
        ...(app.process !== undefined && { process: app.process }),
        ...(app.metrics !== undefined && { metrics: app.metrics }),
        files: (app.files ?? []).map((f, i) => ({
          local: f.local,
          remote: f.remote,
          secret: f.secret ?? false,
          range: src.valueRange([...at, 'layers', 'app', 'files', i]),
        })),
        limits: {
          ...(app.limits?.memory !== undefined && { rssKiB: parseSize(app.limits.memory)! / 1024 }),
          ...(app.limits?.latency !== undefined && { healthLatencyMs: parseDuration(app.limits.latency)! }),
          ...(app.limits?.fds !== undefined && { fds: app.limits.fds }),
        },
      },
    },
    ...(env.metrics?.source === 'prometheus' && { metrics: buildMetrics(env.metrics) }),
    risk: { ...DEFAULT_RISK, ...env.risk },
    actions: {
      mode: actions.mode ?? 'suggest',
      ...(actions.shadow !== undefined && { shadow: actions.shadow }),
      ...(actions.maxConcurrent !== undefined && { maxConcurrent: actions.maxConcurrent }),
      ...(actions.escalateAfter !== undefined && { escalateAfterMs: parseDuration(actions.escalateAfter)! }),
      ...(actions.noData !== undefined && { noData: actions.noData }),
      ...(actions.persistence && { persistence: actions.persistence }),
      ...(actions.cooldown && {
        cooldownMs: Object.fromEntries(Object.entries(actions.cooldown).map(([k, v]) => [k, parseDuration(v!)!])) as Partial<Record<ActionKind, number>>,
      }),
      ...(actions.remediate && { remediate: actions.remediate }),
      ...(actions.switch && { switch: actions.switch }),
      ...(actions.rollback && { rollback: actions.rollback }),
    },
  };
}

/** The default rate window: four scrapes at Prometheus' default 15 s scrape interval. */
export const DEFAULT_PROMETHEUS_WINDOW = '1m';

function buildMetrics(m: RawEnvironment['metrics']): MetricsConfig {
  if (m?.source !== 'prometheus' || !m.prometheus) return { source: 'agent' };
  const p = m.prometheus;
  return {
    source: 'prometheus',
    prometheus: {
      url: p.url.replace(/\/+$/, ''),
      label: p.label ?? 'instance',
      ...(p.match !== undefined && { match: p.match }),
      ...(p.app !== undefined && { app: p.app }),
      hosts: p.hosts ?? {},
      windowMs: parseDuration(p.window ?? DEFAULT_PROMETHEUS_WINDOW)!,
      ...(p.history !== undefined && { historyMs: parseDuration(p.history)! }),
    },
  };
}

/** A local path from the config: `~` and `~/…` are the home folder, relative paths start at the yaml's folder. */
export function resolveUserPath(dir: string, written: string): string {
  if (written === '~') return os.homedir();
  if (written.startsWith('~/') || written.startsWith('~\\')) return path.join(os.homedir(), written.slice(2));
  return path.resolve(dir, written);
}
