/**
 * A fingerprint is what the agent prints in capture mode (one JSON document, schema-versioned),
 * plus the host alias the server stamps on it. Volatile measurements (perf, process stats,
 * health latency) live beside configuration so the diff can tell them apart.
 */
export const FINGERPRINT_SCHEMA = 1;

export type Layer = 'hardware' | 'os' | 'app';
export const LAYERS: readonly Layer[] = ['hardware', 'os', 'app'];

export interface Fingerprint {
  schema: typeof FINGERPRINT_SCHEMA;
  /** Host alias as written in plumbline.yaml; set by the server, not the agent. */
  host: string;
  /** ISO-8601 time on the host's own clock. */
  capturedAt: string;
  agentVersion: string;
  hardware: HardwareLayer;
  os: OsLayer;
  app: AppLayer;
}

export interface HardwareLayer {
  cpu: { model: string; cores: number };
  memory: { totalKiB: number };
  disks: Array<{ name: string; sizeBytes: number; rotational: boolean }>;
  nics: Array<{ name: string; mac: string; mtu: number; addresses: string[] }>;
  perf: PerfSample;
}

/**
 * Performance under the load at capture time, over a short window. CPU and memory are summed
 * over the host's own processes (its PID namespace), because /proc/stat is machine-wide in a
 * container or lab host.
 */
export interface PerfSample {
  windowMs: number;
  /** Sum of the host's processes' CPU over the window, in percent of one core. */
  cpuPct: number;
  /** Sum of the host's processes' resident memory. */
  rssKiB: number;
  processes: number;
  load1: number;
  /** MemAvailable from /proc/meminfo (machine-wide inside a namespace). */
  memAvailableKiB: number;
  /** Average time per completed disk IO over the window, null when no IO completed. */
  ioLatencyMs: number | null;
  diskReadBps: number;
  diskWriteBps: number;
  netRxBps: number;
  netTxBps: number;
}

export interface OsLayer {
  hostname: string;
  kernel: string;
  distribution: { id: string; version: string; pretty: string };
  /** name → version; null when package capture is disabled or no package manager was found. */
  packages: Record<string, string> | null;
  /** name → value; null value when the sysctl does not exist on the host. */
  sysctl: Record<string, string | null>;
  services: Record<string, ServiceState>;
  ports: Array<{ proto: 'tcp' | 'udp'; address: string; port: number }>;
  mounts: Array<{ target: string; source: string; fstype: string; options: string }>;
}

export interface ServiceState {
  state: 'active' | 'inactive' | 'failed' | 'unknown';
  /** How the state was found: systemd when it runs as PID 1, else by looking for the process. */
  source: 'systemd' | 'process';
}

export interface AppLayer {
  /** The release symlink and where it points; null when not configured. */
  release: { path: string; target: string | null } | null;
  files: ManagedFileState[];
  process: ProcessStats | null;
  health: HealthCheck | null;
}

export interface ManagedFileState {
  remote: string;
  exists: boolean;
  sha256: string | null;
  size: number | null;
  /** Octal permission bits, e.g. "644". */
  mode: string | null;
  owner: string | null;
  secret: boolean;
  /** Text content; absent for secret files, files over the size cap, and binary files. */
  content?: string;
  /** Why content is absent or the file could not be read. */
  note?: string;
}

export interface ProcessStats {
  pattern: string;
  pids: number[];
  rssKiB: number;
  cpuPct: number;
  threads: number;
  fds: number;
}

export interface HealthCheck {
  url: string;
  /** HTTP status, null when no response. */
  status: number | null;
  latencyMs: number | null;
  error?: string;
}
