import type { SchemaSpec } from '../common/schemaValidator';
import { FINGERPRINT_SCHEMA } from './types';

/**
 * JSON Schema of the agent's fingerprint record: `Fingerprint` from types.ts minus `host` (the
 * server stamps it) plus `type`. Strict (no extra properties), so any drift between the agent and
 * the contract fails loudly in tests and at capture time; a new field means a new schema version.
 */
const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const num = { type: 'number', minimum: 0 } as const;
const nullable = <T extends object>(s: T) => ({ anyOf: [s, { type: 'null' }] });

function obj(properties: Record<string, object>, optional: string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}

const perf = obj({
  windowMs: int,
  cpuPct: num,
  rssKiB: int,
  processes: int,
  load1: num,
  memAvailableKiB: int,
  ioLatencyMs: nullable(num),
  diskReadBps: num,
  diskWriteBps: num,
  netRxBps: num,
  netTxBps: num,
});

const hardware = obj({
  cpu: obj({ model: str, cores: int }),
  memory: obj({ totalKiB: int }),
  disks: { type: 'array', items: obj({ name: str, sizeBytes: int, rotational: { type: 'boolean' } }) },
  nics: {
    type: 'array',
    items: obj({ name: str, mac: str, mtu: int, addresses: { type: 'array', items: str } }),
  },
  perf,
});

const os = obj({
  hostname: str,
  kernel: str,
  distribution: obj({ id: str, version: str, pretty: str }),
  packages: nullable({ type: 'object', additionalProperties: str }),
  sysctl: { type: 'object', additionalProperties: nullable(str) },
  services: {
    type: 'object',
    additionalProperties: obj({
      state: { enum: ['active', 'inactive', 'failed', 'unknown'] },
      source: { enum: ['systemd', 'process'] },
    }),
  },
  ports: {
    type: 'array',
    items: obj({ proto: { enum: ['tcp', 'udp'] }, address: str, port: { type: 'integer', minimum: 0, maximum: 65535 } }),
  },
  mounts: { type: 'array', items: obj({ target: str, source: str, fstype: str, options: str }) },
});

const managedFile = obj(
  {
    remote: str,
    exists: { type: 'boolean' },
    sha256: nullable({ type: 'string', pattern: '^[0-9a-f]{64}$' }),
    size: nullable(int),
    mode: nullable({ type: 'string', pattern: '^[0-7]{1,4}$' }),
    owner: nullable(str),
    secret: { type: 'boolean' },
    content: str,
    note: str,
  },
  ['content', 'note'],
);

const app = obj({
  release: nullable(obj({ path: str, target: nullable(str) })),
  files: { type: 'array', items: managedFile },
  process: nullable(
    obj({
      pattern: str,
      pids: { type: 'array', items: { type: 'integer', minimum: 1 } },
      rssKiB: int,
      cpuPct: num,
      threads: int,
      fds: int,
    }),
  ),
  health: nullable(
    obj(
      {
        url: str,
        status: nullable({ type: 'integer', minimum: 100, maximum: 599 }),
        latencyMs: nullable(num),
        error: str,
      },
      ['error'],
    ),
  ),
});

export const agentRecordSchema = obj({
  type: { const: 'fingerprint' },
  schema: { const: FINGERPRINT_SCHEMA },
  agentVersion: str,
  capturedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' },
  hardware,
  os,
  app,
});

/** How parse.ts compiles it: strict, first error only. */
export const agentRecordSpec: SchemaSpec = { name: 'fingerprint', schema: agentRecordSchema, options: { allErrors: false, strict: true } };
