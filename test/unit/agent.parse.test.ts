import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { captureArgv, agentScript } from '../../server/src/fingerprint/agent';
import { parseCapture, type AgentOutputError } from '../../server/src/fingerprint/parse';

/** A small but complete agent record, as the agent prints it (no host, plus type). */
function record(): Record<string, unknown> {
  return {
    type: 'fingerprint',
    schema: 1,
    agentVersion: '0.1.0',
    capturedAt: '2026-01-02T03:04:05Z',
    hardware: {
      cpu: { model: 'Test CPU', cores: 2 },
      memory: { totalKiB: 1024 },
      disks: [{ name: 'vda', sizeBytes: 1 << 30, rotational: false }],
      nics: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, addresses: ['10.0.0.2/24'] }],
      perf: {
        windowMs: 250, cpuPct: 1.5, rssKiB: 100, processes: 3, load1: 0.1, memAvailableKiB: 512,
        ioLatencyMs: null, diskReadBps: 0, diskWriteBps: 0, netRxBps: 10, netTxBps: 20,
      },
    },
    os: {
      hostname: 'web-1',
      kernel: '6.1.0',
      distribution: { id: 'debian', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)' },
      packages: { nginx: '1.22.1-9' },
      sysctl: { 'vm.swappiness': '60', 'no.such': null },
      services: { nginx: { state: 'active', source: 'process' } },
      ports: [{ proto: 'tcp', address: '0.0.0.0', port: 80 }],
      mounts: [{ target: '/', source: '/dev/vda', fstype: 'ext4', options: 'rw' }],
    },
    app: {
      release: { path: '/srv/app/current', target: '/srv/app/releases/1' },
      files: [
        { remote: '/etc/app.conf', exists: true, sha256: 'a'.repeat(64), size: 3, mode: '644', owner: 'root', secret: false, content: 'x=1' },
        { remote: '/srv/app.env', exists: true, sha256: 'b'.repeat(64), size: 9, mode: '600', owner: 'app', secret: true, note: 'secret: content not captured' },
      ],
      process: { pattern: 'app', pids: [42], rssKiB: 2048, cpuPct: 0.5, threads: 4, fds: 12 },
      health: { url: 'http://127.0.0.1:8080/healthz', status: 200, latencyMs: 1.2 },
    },
  };
}

const line = (r: unknown = record()) => JSON.stringify(r);

function error(stdout: string): AgentOutputError {
  const r = parseCapture(stdout, 'web-1');
  assert.equal(r.ok, false, 'expected an error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.kind, 'MalformedAgentOutput');
  assert.equal(r.error.host, 'web-1');
  assert.ok(r.error.excerpt.length <= 200);
  return r.error;
}

describe('parseCapture', () => {
  it('accepts a record, stamps the host and drops the record type', () => {
    const r = parseCapture(`${line()}\n`, 'web-1');
    assert.ok(r.ok);
    assert.equal(r.value.host, 'web-1');
    assert.equal('type' in r.value, false);
    assert.equal(r.value.os.packages?.nginx, '1.22.1-9');
  });

  it('ignores a motd before and a logout line after the record, and CRLF', () => {
    const r = parseCapture(`Welcome to web-1!\r\n{not json at all\r\n${line()}\r\nlogout\r\n`, 'web-1');
    assert.ok(r.ok);
  });

  it('rejects empty output', () => {
    assert.match(error('').message, /printed nothing/);
    assert.match(error('\n  \n').message, /printed nothing/);
  });

  it('rejects garbage with no record', () => {
    const e = error('bash: sh: command not found\n');
    assert.match(e.message, /no fingerprint record/);
    assert.equal(e.excerpt, 'bash: sh: command not found');
  });

  it('rejects a truncated record and says so', () => {
    const full = line();
    const e = error(`motd\n${full.slice(0, full.length - 40)}`);
    assert.match(e.message, /truncated/);
    assert.ok(e.excerpt.startsWith('{"type":"fingerprint"'));
  });

  it('rejects a record from another schema version, naming both', () => {
    const e = error(line({ ...record(), schema: 2 }));
    assert.match(e.message, /schema 2/);
    assert.match(e.message, /schema 1/);
  });

  it('rejects a record of the wrong shape with the path of the problem', () => {
    const r = record();
    (r.hardware as { cpu: { cores: unknown } }).cpu.cores = 'two';
    assert.match(error(line(r)).message, /\/hardware\/cpu\/cores must be integer/);

    const missing = record();
    delete (missing.os as Record<string, unknown>).ports;
    assert.match(error(line(missing)).message, /\/os must have required property 'ports'/);

    const extra = record();
    (extra.app as Record<string, unknown>).surprise = 1;
    assert.match(error(line(extra)).message, /surprise/);
  });

  it('rejects a JSON line that is not a fingerprint record', () => {
    assert.match(error('{"type":"hello"}').message, /type "fingerprint"/);
    assert.match(error('[1,2]').message, /no fingerprint record/);
  });
});

describe('captureArgv', () => {
  it('builds sh -c SCRIPT plumbline-agent capture with one element per value', () => {
    const argv = captureArgv({
      packages: true,
      sysctl: ['vm.swappiness'],
      services: ['nginx'],
      files: [
        { remote: '/etc/a b.conf', secret: false },
        { remote: '/srv/app.env', secret: true },
      ],
      release: '/srv/app/current',
      process: 'app',
      health: 'http://127.0.0.1:8080/healthz',
      perfMs: 250,
    });
    assert.deepEqual(argv.slice(0, 5), ['sh', '-c', agentScript('capture'), 'plumbline-agent', 'capture']);
    assert.deepEqual(argv.slice(5), [
      '--packages', '--sysctl', 'vm.swappiness', '--service', 'nginx', '--file', '/etc/a b.conf',
      '--secret-file', '/srv/app.env', '--release', '/srv/app/current', '--process', 'app',
      '--health', 'http://127.0.0.1:8080/healthz', '--perf-ms', '250',
    ]);
  });

  it('omits what is not configured and refuses NUL bytes', () => {
    assert.deepEqual(captureArgv({ packages: false, sysctl: [], services: [], files: [] }).slice(4), ['capture']);
    assert.throws(() => captureArgv({ packages: false, sysctl: ['a\0b'], services: [], files: [] }), /NUL/);
  });
});
