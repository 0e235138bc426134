import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../../server/src/common/paths';
import { parseConfig } from '../../server/src/config/load';
import { parseCapture } from '../../server/src/fingerprint/parse';

/**
 * The bundles validate with schemas ajv compiled at build time (scripts/validators.mjs replaces
 * server/src/common/schemaValidator.ts); the sources compile them with ajv at first use. Both must
 * judge every input the same way, errors included.
 */

type Bundled = { parseConfig: typeof parseConfig; parseCapture: typeof parseCapture };

const root = packageRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-validators-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let bundled: Bundled;
let inputs: string[];

before(async () => {
  // Built as the bundles are, with the plugin, from an entry that exposes the two parsers.
  const entry = path.join(tmp, 'entry.ts');
  fs.writeFileSync(
    entry,
    `export { parseConfig } from ${JSON.stringify(path.join(root, 'server/src/config/load'))};
export { parseCapture } from ${JSON.stringify(path.join(root, 'server/src/fingerprint/parse'))};`,
  );
  const { build } = (await import(path.join(root, 'node_modules/esbuild/lib/main.js'))) as typeof import('esbuild');
  const { precompiledValidators } = (await import(path.join(root, 'scripts/validators.mjs'))) as { precompiledValidators: (root: string) => import('esbuild').Plugin };
  const out = path.join(tmp, 'bundle.js');
  const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error', metafile: true, plugins: [precompiledValidators(root)] });
  inputs = Object.keys(r.metafile.inputs);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bundled = require(out) as Bundled;
});

const goodConfig = `environments:
  staging:
    hosts: [web-1, deploy@web-2:2222]
    interval: 5s
    layers:
      os: { packages: true, sysctl: [vm.swappiness], services: [nginx] }
      app:
        release: /srv/app/current
        health: http://127.0.0.1:8080/healthz
`;
const configs = [
  goodConfig,
  goodConfig.replace('5s', 'fast'),
  goodConfig.replace('packages: true', 'packages: 3').replace('web-1', 'we b'),
  goodConfig.replace('health: http://127.0.0.1:8080/healthz', 'health: ftp://x\n        bogus: 1'),
  'environments: {}\n',
  'nothing: here\n',
];

function fingerprintLine(edit: (r: Record<string, unknown>) => void = () => undefined): string {
  const r: Record<string, unknown> = {
    type: 'fingerprint',
    schema: 1,
    agentVersion: '0.1.0',
    capturedAt: '2026-01-02T03:04:05Z',
    hardware: {
      cpu: { model: 'x', cores: 2 },
      memory: { totalKiB: 1024 },
      disks: [],
      nics: [],
      perf: { windowMs: 250, cpuPct: 1, rssKiB: 1, processes: 1, load1: 0.1, memAvailableKiB: 1, ioLatencyMs: null, diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 },
    },
    os: { hostname: 'h', kernel: 'k', distribution: { id: 'debian', version: '12', pretty: 'Debian' }, packages: null, sysctl: {}, services: {}, ports: [], mounts: [] },
    app: { release: null, files: [], process: null, health: null },
  };
  edit(r);
  return JSON.stringify(r);
}
const captures = [
  fingerprintLine(),
  fingerprintLine((r) => ((r.hardware as Record<string, unknown>).cpu = { model: 'x', cores: -1 })),
  fingerprintLine((r) => ((r.os as Record<string, unknown>).extra = 1)),
  fingerprintLine((r) => delete (r as { app?: unknown }).app),
  fingerprintLine((r) => (r.capturedAt = 'yesterday')),
];

describe('validators compiled at build time', () => {
  test('judge every config as ajv at run time does, with the same errors and positions', () => {
    for (const text of configs) assert.deepEqual(bundled.parseConfig(text, 'p.yaml'), parseConfig(text, 'p.yaml'), text);
    assert.equal(parseConfig(configs[0], 'p.yaml').errors.length, 0);
    assert.ok(parseConfig(configs[2], 'p.yaml').errors.length >= 2);
  });

  test('judge every fingerprint as ajv at run time does', () => {
    for (const line of captures) assert.deepEqual(bundled.parseCapture(line, 'h'), parseCapture(line, 'h'), line);
    assert.equal(parseCapture(captures[0], 'h').ok, true);
    assert.equal(parseCapture(captures[1], 'h').ok, false);
  });

  test('carry no ajv compiler, only its small runtime helpers', () => {
    const ajv = inputs.filter((f) => f.includes('node_modules/ajv/'));
    assert.ok(ajv.length > 0 && ajv.every((f) => f.includes('node_modules/ajv/dist/runtime/')), ajv.join(', '));
  });
});
