import type { Range } from '../common/range';

/** plumbline.yaml after parsing and validation. Every node a diagnostic may point at keeps its range. */
export interface WorkspaceConfig {
  /** Absolute path of the plumbline.yaml this came from; relative paths inside resolve from its folder. */
  file: string;
  ssh: SshSettings;
  environments: EnvironmentConfig[];
}

export interface SshSettings {
  /** ssh_config file (absolute). Undefined means ~/.ssh/config. */
  config?: string;
  /** known_hosts file (absolute). Undefined means UserKnownHostsFile from ssh config, else ~/.ssh/known_hosts. */
  knownHosts?: string;
}

export interface EnvironmentConfig {
  name: string;
  range: Range;
  hosts: HostEntry[];
  /** Sampling interval in milliseconds. */
  intervalMs: number;
  layers: LayersConfig;
  /** Where watch samples come from: the agent over SSH (absent: the agent), or a Prometheus that already scrapes the hosts. */
  metrics?: MetricsConfig;
  risk: { minor: number; moderate: number; severe: number };
  actions: ActionsConfig;
}

export type MetricsConfig = { source: 'agent' } | { source: 'prometheus'; prometheus: PrometheusConfig };

export interface PrometheusConfig {
  /** Base URL of the Prometheus HTTP API (without /api/v1). */
  url: string;
  /** The label whose value tells the hosts apart; default `instance`. */
  label: string;
  /** Extra label matchers for the host's series (node_exporter's), e.g. `job="node"`. */
  match?: string;
  /** Label matchers for the app's own series (its /metrics, scraped by Prometheus). */
  app?: string;
  /** The label's value per host; default the host's name. A value without a port matches any port. */
  hosts: Record<string, string>;
  /** The rate() window; at least two scrapes long. */
  windowMs: number;
  /** How far back a start warms up from Prometheus' history. */
  historyMs?: number;
}

export interface HostEntry {
  /** As written: an ssh config alias, or user@host:port. */
  spec: string;
  range: Range;
}

export interface LayersConfig {
  /** `mounts`: filesystems whose usage is sampled (the agent reports / when none are given). */
  hardware: { perf: boolean; mounts: string[]; limits: { diskUsedPct?: number; memUsedPct?: number } };
  os: { packages: boolean; sysctl: string[]; services: string[] };
  app: AppConfig;
}

export interface AppConfig {
  release?: string;
  health?: string;
  process?: string;
  metrics?: string;
  files: ManagedFile[];
  /** Failure conditions the forecasts count down to. */
  limits: { rssKiB?: number; healthLatencyMs?: number; fds?: number };
}

export interface ManagedFile {
  /** Workspace-relative path as written. */
  local: string;
  /** Absolute path on the host. */
  remote: string;
  secret: boolean;
  range: Range;
}

export type ActionMode = 'off' | 'suggest' | 'confirm' | 'auto';

export type ActionKind = 'remediate' | 'switch' | 'rollback';

export interface ActionsConfig {
  mode: ActionMode;
  /** Record what auto mode would do, without doing it. */
  shadow?: boolean;
  /** Hosts acting at once in the environment. */
  maxConcurrent?: number;
  /** A tier that did not bring risk down within this window escalates (ms). */
  escalateAfterMs?: number;
  noData?: 'ignore' | 'alert' | 'treat-as-severe';
  /** Intervals a risk state must hold before its tier acts. */
  persistence?: Partial<Record<ActionKind, number>>;
  /** After a tier acts on a host it waits this long before acting there again (ms). */
  cooldownMs?: Partial<Record<ActionKind, number>>;
  remediate?: { restart?: string[]; commands?: string[][] };
  /**
   * `services`: the service running each colour; with them, restarts of the app (remediate,
   * rollback) are rolling: the idle colour first, traffic moves to it once healthy, then the other.
   */
  switch?: {
    strategy: 'nginx-upstream' | 'command';
    upstream?: string;
    blue?: string;
    green?: string;
    services?: { blue: string; green: string };
    command?: string[];
  };
  rollback?: { strategy: 'release-symlink' | 'command'; restoreFiles?: boolean; command?: string[] };
}

export interface ConfigError {
  file: string;
  range: Range;
  message: string;
}
