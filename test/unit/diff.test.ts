import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ManagedFile } from '../../server/src/config/types';
import { diffFingerprints, type DiffItem } from '../../server/src/fingerprint/diff';
import { SECRET_NOTE } from '../../server/src/fingerprint/diffFiles';
import { FINGERPRINT_SCHEMA, type Fingerprint, type ManagedFileState } from '../../server/src/fingerprint/types';

const NGINX_CONF = ['server {', '  listen 80;', '  server_name app;', '  location / {', '    proxy_pass http://app;', '  }', '}', ''].join('\n');

function file(remote: string, content: string, extra: Partial<ManagedFileState> = {}): ManagedFileState {
  return { remote, exists: true, sha256: fakeHash(content), size: content.length, mode: '644', owner: 'root:root', secret: false, content, ...extra };
}

/** Not a real sha256; only equality matters to the diff. */
function fakeHash(s: string): string {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(64, '0');
}

function fingerprint(mutate: (fp: Fingerprint) => void = () => undefined): Fingerprint {
  const fp: Fingerprint = {
    schema: FINGERPRINT_SCHEMA,
    host: 'web-1',
    capturedAt: '2025-01-01T00:00:00Z',
    agentVersion: '1.0.0',
    hardware: {
      cpu: { model: 'Intel Xeon', cores: 4 },
      memory: { totalKiB: 8_000_000 },
      disks: [{ name: 'sda', sizeBytes: 100e9, rotational: false }],
      nics: [{ name: 'eth0', mac: '52:54:00:aa:bb:cc', mtu: 1500, addresses: ['10.0.0.2/24'] }],
      perf: {
        windowMs: 250,
        cpuPct: 12,
        rssKiB: 500_000,
        processes: 80,
        load1: 0.4,
        memAvailableKiB: 6_000_000,
        ioLatencyMs: 0.5,
        diskReadBps: 1000,
        diskWriteBps: 2000,
        netRxBps: 300,
        netTxBps: 400,
      },
    },
    os: {
      hostname: 'web-1',
      kernel: '6.1.0-18-amd64',
      distribution: { id: 'debian', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)' },
      packages: { nginx: '1.22.1-9', openssl: '3.0.11-1' },
      sysctl: { 'net.core.somaxconn': '4096', 'vm.swappiness': '60', 'net.ipv4.tcp_rmem': '4096\t131072\t6291456' },
      services: { nginx: { state: 'active', source: 'systemd' }, cron: { state: 'inactive', source: 'systemd' } },
      ports: [
        { proto: 'tcp', address: '0.0.0.0', port: 80 },
        { proto: 'tcp', address: '::', port: 80 },
      ],
      mounts: [
        { target: '/', source: '/dev/sda1', fstype: 'ext4', options: 'rw,relatime' },
        { target: '/data', source: '/dev/sdb1', fstype: 'xfs', options: 'rw,noatime' },
      ],
    },
    app: {
      release: { path: '/srv/app/current', target: '/srv/app/releases/41' },
      files: [file('/etc/nginx/conf.d/app.conf', NGINX_CONF), file('/srv/app/shared/app.env', '', { secret: true, sha256: 'a'.repeat(64), content: undefined, mode: '600' })],
      process: { pattern: 'app', pids: [100, 101], rssKiB: 120_000, cpuPct: 3, threads: 12, fds: 40 },
      health: { url: 'http://127.0.0.1:8080/healthz', status: 200, latencyMs: 4 },
    },
  };
  mutate(fp);
  return fp;
}

const FILES: ManagedFile[] = [
  { local: 'deploy/nginx/app.conf', remote: '/etc/nginx/conf.d/app.conf', secret: false, range: zeroRange() },
  { local: 'deploy/app.env', remote: '/srv/app/shared/app.env', secret: true, range: zeroRange() },
];

function zeroRange(): ManagedFile['range'] {
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

function only(items: DiffItem[]): DiffItem {
  assert.equal(items.length, 1, `expected one item, got ${JSON.stringify(items, null, 1)}`);
  return items[0];
}

function setConf(fp: Fingerprint, content: string): void {
  fp.app.files[0] = file('/etc/nginx/conf.d/app.conf', content);
}

describe('diffFingerprints', () => {
  test('identical configuration with different measurements is no drift', () => {
    const live = fingerprint((fp) => {
      fp.capturedAt = '2025-02-02T12:00:00Z';
      fp.agentVersion = '1.1.0';
      fp.hardware.perf = { ...fp.hardware.perf, cpuPct: 95, rssKiB: 7_000_000, load1: 12, ioLatencyMs: null, netRxBps: 9e6 };
      fp.hardware.memory.totalKiB = 8_040_000; // +0.5%, under the 1% threshold
      fp.app.process = { pattern: 'app', pids: [900], rssKiB: 900_000, cpuPct: 80, threads: 64, fds: 900 };
      fp.app.health = { url: 'http://127.0.0.1:8080/healthz', status: 204, latencyMs: 900 };
      fp.os.mounts[1].options = 'noatime,rw'; // same options, another order
      fp.os.ports.reverse();
      fp.hardware.nics[0].addresses = ['10.0.0.2/24', '10.0.0.2/24'];
    });
    const d = diffFingerprints(fingerprint(), live);
    assert.deepEqual(d.items, []);
    assert.equal(d.drift, false);
    assert.equal(d.highest, undefined);
    assert.deepEqual(d.byLayer, { hardware: [], os: [], app: [] });
    assert.equal(d.host, 'web-1');
  });

  const cases: Array<{ name: string; mutate: (fp: Fingerprint) => void; expect: Partial<DiffItem> }> = [
    { name: 'cpu model', mutate: (fp) => (fp.hardware.cpu.model = 'AMD EPYC'), expect: { layer: 'hardware', kind: 'cpu', change: 'changed', path: 'hardware.cpu.model', old: 'Intel Xeon', new: 'AMD EPYC', severity: 'high' } },
    { name: 'cpu cores', mutate: (fp) => (fp.hardware.cpu.cores = 2), expect: { kind: 'cpu', path: 'hardware.cpu.cores', old: 4, new: 2, severity: 'high' } },
    { name: 'memory > 1%', mutate: (fp) => (fp.hardware.memory.totalKiB = 4_000_000), expect: { kind: 'memory', path: 'hardware.memory.totalKiB', old: 8_000_000, new: 4_000_000, severity: 'high' } },
    { name: 'disk added', mutate: (fp) => fp.hardware.disks.push({ name: 'sdb', sizeBytes: 5e9, rotational: true }), expect: { kind: 'disk', change: 'added', path: 'hardware.disks.sdb', severity: 'high' } },
    { name: 'disk removed', mutate: (fp) => (fp.hardware.disks = []), expect: { kind: 'disk', change: 'removed', path: 'hardware.disks.sda', severity: 'high' } },
    { name: 'disk size', mutate: (fp) => (fp.hardware.disks[0].sizeBytes = 200e9), expect: { kind: 'disk', change: 'changed', path: 'hardware.disks.sda.sizeBytes', old: 100e9, new: 200e9, severity: 'high' } },
    { name: 'nic mac', mutate: (fp) => (fp.hardware.nics[0].mac = '52:54:00:00:00:01'), expect: { kind: 'nic', path: 'hardware.nics.eth0.mac', severity: 'high' } },
    { name: 'nic mtu', mutate: (fp) => (fp.hardware.nics[0].mtu = 9000), expect: { kind: 'nic', path: 'hardware.nics.eth0.mtu', old: 1500, new: 9000, severity: 'high' } },
    { name: 'nic addresses', mutate: (fp) => (fp.hardware.nics[0].addresses = ['10.0.0.9/24']), expect: { kind: 'nic', path: 'hardware.nics.eth0.addresses', old: ['10.0.0.2/24'], new: ['10.0.0.9/24'], severity: 'medium' } },
    { name: 'nic added', mutate: (fp) => fp.hardware.nics.push({ name: 'eth1', mac: 'x', mtu: 1500, addresses: [] }), expect: { kind: 'nic', change: 'added', path: 'hardware.nics.eth1', severity: 'high' } },
    { name: 'hostname', mutate: (fp) => (fp.os.hostname = 'web-1b'), expect: { layer: 'os', kind: 'hostname', path: 'os.hostname', severity: 'low' } },
    { name: 'kernel', mutate: (fp) => (fp.os.kernel = '6.1.0-21-amd64'), expect: { kind: 'kernel', path: 'os.kernel', old: '6.1.0-18-amd64', new: '6.1.0-21-amd64', severity: 'high' } },
    { name: 'distribution', mutate: (fp) => (fp.os.distribution = { id: 'debian', version: '13', pretty: 'Debian 13' }), expect: { kind: 'distribution', path: 'os.distribution', old: 'debian 12', new: 'debian 13', severity: 'high' } },
    { name: 'package added', mutate: (fp) => (fp.os.packages!.curl = '7.88'), expect: { kind: 'package', change: 'added', path: 'os.packages.curl', new: '7.88', severity: 'medium' } },
    { name: 'package removed', mutate: (fp) => delete fp.os.packages!.openssl, expect: { kind: 'package', change: 'removed', path: 'os.packages.openssl', old: '3.0.11-1', severity: 'medium' } },
    { name: 'package version', mutate: (fp) => (fp.os.packages!.nginx = '1.22.1-10'), expect: { kind: 'package', change: 'changed', path: 'os.packages.nginx', old: '1.22.1-9', new: '1.22.1-10', severity: 'medium' } },
    { name: 'package list lost', mutate: (fp) => (fp.os.packages = null), expect: { kind: 'package', change: 'changed', path: 'os.packages', old: '2 packages', new: 'not captured', severity: 'low' } },
    { name: 'sysctl changed', mutate: (fp) => (fp.os.sysctl['net.core.somaxconn'] = '128'), expect: { kind: 'sysctl', change: 'changed', path: 'os.sysctl.net.core.somaxconn', old: '4096', new: '128', severity: 'medium' } },
    { name: 'sysctl disappeared', mutate: (fp) => (fp.os.sysctl['vm.swappiness'] = null), expect: { kind: 'sysctl', change: 'removed', path: 'os.sysctl.vm.swappiness', old: '60', severity: 'medium' } },
    { name: 'service stopped', mutate: (fp) => (fp.os.services.nginx = { state: 'failed', source: 'systemd' }), expect: { kind: 'service', change: 'changed', path: 'os.services.nginx', old: 'active', new: 'failed', severity: 'high' } },
    { name: 'service started', mutate: (fp) => (fp.os.services.cron = { state: 'active', source: 'systemd' }), expect: { kind: 'service', path: 'os.services.cron', severity: 'low' } },
    { name: 'port added', mutate: (fp) => fp.os.ports.push({ proto: 'tcp', address: '0.0.0.0', port: 6379 }), expect: { kind: 'port', change: 'added', path: 'os.ports.tcp/0.0.0.0:6379', severity: 'low' } },
    { name: 'port removed', mutate: (fp) => fp.os.ports.pop(), expect: { kind: 'port', change: 'removed', path: 'os.ports.tcp/[::]:80', severity: 'medium' } },
    { name: 'mount options', mutate: (fp) => (fp.os.mounts[1].options = 'ro,noatime'), expect: { kind: 'mount', change: 'changed', path: 'os.mounts./data.options', old: 'rw,noatime', new: 'ro,noatime', severity: 'medium' } },
    { name: 'mount removed', mutate: (fp) => fp.os.mounts.pop(), expect: { kind: 'mount', change: 'removed', path: 'os.mounts./data', severity: 'medium' } },
    { name: 'release', mutate: (fp) => (fp.app.release!.target = '/srv/app/releases/42'), expect: { layer: 'app', kind: 'release', path: 'app.release', old: '/srv/app/releases/41', new: '/srv/app/releases/42', severity: 'high' } },
    { name: 'process stopped', mutate: (fp) => (fp.app.process!.pids = []), expect: { kind: 'process', path: 'app.process', old: 'running', new: 'not running', severity: 'critical' } },
    { name: 'health 200 → 503', mutate: (fp) => (fp.app.health!.status = 503), expect: { kind: 'health', path: 'app.health', old: 200, new: 503, severity: 'critical' } },
    { name: 'health unreachable', mutate: (fp) => (fp.app.health = { url: fp.app.health!.url, status: null, latencyMs: null, error: 'connection refused' }), expect: { kind: 'health', old: 200, new: 'no response: connection refused', severity: 'critical' } },
    { name: 'file mode', mutate: (fp) => (fp.app.files[0].mode = '666'), expect: { kind: 'file', path: 'app.files./etc/nginx/conf.d/app.conf#mode', old: '644', new: '666', severity: 'medium' } },
    { name: 'file owner', mutate: (fp) => (fp.app.files[0].owner = 'www-data:www-data'), expect: { kind: 'file', path: 'app.files./etc/nginx/conf.d/app.conf#owner', severity: 'medium' } },
    { name: 'file missing', mutate: (fp) => (fp.app.files[0] = { ...fp.app.files[0], exists: false, sha256: null, content: undefined }), expect: { kind: 'file', change: 'removed', path: 'app.files./etc/nginx/conf.d/app.conf', severity: 'high' } },
  ];
  for (const c of cases) {
    test(`detects ${c.name}`, () => {
      const d = diffFingerprints(fingerprint(), fingerprint(c.mutate), { files: FILES });
      const i = only(d.items);
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(i[k as keyof DiffItem], v, `${c.name}: ${k}`);
      assert.equal(d.drift, true);
      assert.equal(d.highest, i.severity);
      assert.deepEqual(d.byLayer[i.layer], [i]);
    });
  }

  test('a process that comes back and a health check that recovers are reported low', () => {
    const down = fingerprint((fp) => {
      fp.app.process!.pids = [];
      fp.app.health!.status = 502;
    });
    const d = diffFingerprints(down, fingerprint());
    assert.deepEqual(
      d.items.map((i) => [i.path, i.severity, i.old, i.new]),
      [
        ['app.process', 'low', 'not running', 'running'],
        ['app.health', 'low', 502, 200],
      ],
    );
  });

  test('a health status within the same class is not drift', () => {
    const d = diffFingerprints(fingerprint((fp) => (fp.app.health!.status = 500)), fingerprint((fp) => (fp.app.health!.status = 503)));
    assert.deepEqual(d.items, []);
  });

  test('a sysctl that appears is added; one only watched on one side is info, not drift', () => {
    const d = diffFingerprints(
      fingerprint((fp) => (fp.os.sysctl['net.ipv4.ip_forward'] = null)),
      fingerprint((fp) => {
        fp.os.sysctl['net.ipv4.ip_forward'] = '1';
        fp.os.sysctl['kernel.pid_max'] = '4194304';
      }),
    );
    assert.deepEqual(
      d.items.map((i) => [i.path, i.change, i.severity]),
      [
        ['os.sysctl.kernel.pid_max', 'added', 'info'],
        ['os.sysctl.net.ipv4.ip_forward', 'added', 'medium'],
      ],
    );
    const coverageOnly = diffFingerprints(fingerprint(), fingerprint((fp) => (fp.os.sysctl['kernel.pid_max'] = '1')));
    assert.equal(coverageOnly.drift, false);
    assert.equal(coverageOnly.highest, 'info');
  });

  test('items are ordered by layer, kind, path whatever the input order', () => {
    const mutate = (fp: Fingerprint): void => {
      fp.app.health!.status = 500;
      fp.os.packages = { zlib: '1', nginx: '2', apache2: '3' };
      fp.os.kernel = 'other';
      fp.hardware.cpu.cores = 8;
      fp.hardware.cpu.model = 'Other';
      fp.os.sysctl['vm.swappiness'] = '1';
      fp.app.release!.target = '/x';
    };
    const a = diffFingerprints(fingerprint(), fingerprint(mutate));
    const reversed = fingerprint(mutate);
    reversed.os.packages = Object.fromEntries(Object.entries(reversed.os.packages!).reverse());
    const b = diffFingerprints(fingerprint(), reversed);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.items.map((i) => i.path),
      [
        'hardware.cpu.cores',
        'hardware.cpu.model',
        'os.kernel',
        'os.packages.apache2',
        'os.packages.nginx',
        'os.packages.openssl',
        'os.packages.zlib',
        'os.sysctl.vm.swappiness',
        'app.release',
        'app.health',
      ],
    );
    assert.equal(a.highest, 'critical');
  });
});

describe('managed file line ranges', () => {
  const base = ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10'];
  const text = (lines: string[]): string => `${lines.join('\n')}\n`;
  const conf = (fp: Fingerprint, lines: string[]) => setConf(fp, text(lines));

  function fileItem(live: string[], workspace?: string[] | null): DiffItem {
    const d = diffFingerprints(
      fingerprint((fp) => conf(fp, base)),
      fingerprint((fp) => conf(fp, live)),
      { files: FILES, readLocal: workspace === undefined ? () => text(base) : workspace === null ? () => undefined : () => text(workspace) },
    );
    const i = only(d.items);
    assert.equal(i.kind, 'file');
    assert.equal(i.severity, 'medium');
    assert.equal(i.path, 'app.files./etc/nginx/conf.d/app.conf');
    assert.equal(i.file?.local, 'deploy/nginx/app.conf');
    return i;
  }
  const with_ = (i: number, lines: string[]): string[] => [...base.slice(0, i), ...lines, ...base.slice(i)];

  test('a modified line', () => {
    const live = [...base];
    live[3] = 'line 4 edited';
    const i = fileItem(live);
    assert.deepEqual(i.file?.baselineRanges, [{ start: 4, end: 4 }]);
    assert.deepEqual(i.file?.ranges, [{ start: 4, end: 4 }]);
    assert.equal(i.file?.note, undefined);
    assert.match(String(i.old), /^sha256:/);
  });

  test('an inserted line marks the line it was inserted before', () => {
    const i = fileItem(with_(5, ['inserted']));
    assert.deepEqual(i.file?.baselineRanges, [{ start: 6, end: 6 }]);
    assert.deepEqual(i.file?.ranges, [{ start: 6, end: 6 }]);
  });

  test('lines appended at the end clamp to the last line; at the top, line 1', () => {
    assert.deepEqual(fileItem([...base, 'tail', 'more']).file?.baselineRanges, [{ start: 10, end: 10 }]);
    assert.deepEqual(fileItem(['head', ...base]).file?.baselineRanges, [{ start: 1, end: 1 }]);
  });

  test('a deleted line', () => {
    const i = fileItem(base.filter((_, k) => k !== 6));
    assert.deepEqual(i.file?.baselineRanges, [{ start: 7, end: 7 }]);
    assert.deepEqual(i.file?.ranges, [{ start: 7, end: 7 }]);
  });

  test('several hunks, each its own range', () => {
    const live = [...base];
    live[1] = 'two';
    live[2] = 'three';
    live.splice(7, 1); // delete line 8
    live.push('eleven');
    const i = fileItem(live);
    assert.deepEqual(i.file?.baselineRanges, [
      { start: 2, end: 3 },
      { start: 8, end: 8 },
      { start: 10, end: 10 },
    ]);
  });

  test('ranges shift onto a workspace copy with lines inserted above the change', () => {
    const live = [...base];
    live[6] = 'line 7 on the host';
    const i = fileItem(live, ['# added in the workspace', '# and another', ...base]);
    assert.deepEqual(i.file?.baselineRanges, [{ start: 7, end: 7 }]);
    assert.deepEqual(i.file?.ranges, [{ start: 9, end: 9 }]);
    assert.match(i.file?.note ?? '', /mapped/);
  });

  test('a workspace that deleted the drifted line maps to the nearest surviving line; a replaced one onto its replacement', () => {
    const live = [...base];
    live[6] = 'line 7 on the host';
    const deleted = fileItem(live, base.filter((_, k) => k !== 6 && k !== 0));
    assert.deepEqual(deleted.file?.ranges, [{ start: 5, end: 5 }]); // baseline line 6, now workspace line 5
    const replaced = [...base];
    replaced[6] = 'line 7 rewritten in the workspace';
    assert.deepEqual(fileItem(live, ['extra', ...replaced]).file?.ranges, [{ start: 8, end: 8 }]);
  });

  test('no workspace text: ranges are the baseline lines, with a note', () => {
    const live = [...base];
    live[0] = 'first';
    const i = fileItem(live, null);
    assert.deepEqual(i.file?.ranges, [{ start: 1, end: 1 }]);
    assert.match(i.file?.note ?? '', /not readable/);
  });

  test('a file rewritten past what is worth aligning is marked whole, with a note', () => {
    const big = Array.from({ length: 1500 }, (_, k) => `old ${k}`);
    const d = diffFingerprints(
      fingerprint((fp) => conf(fp, big)),
      fingerprint((fp) => conf(fp, big.map((l) => `${l} rewritten`))),
      { files: FILES, readLocal: () => text(['# header', ...big]) },
    );
    const f = only(d.items).file;
    assert.deepEqual(f?.baselineRanges, [{ start: 1, end: 1500 }]);
    assert.deepEqual(f?.ranges, [{ start: 1, end: 1501 }]);
    assert.match(f?.note ?? '', /too many changes/);
  });

  test('CRLF in the workspace copy still counts as the same text', () => {
    const live = [...base];
    live[2] = 'x';
    const d = diffFingerprints(fingerprint((fp) => conf(fp, base)), fingerprint((fp) => conf(fp, live)), {
      files: FILES,
      readLocal: () => base.join('\r\n'),
    });
    assert.deepEqual(only(d.items).file?.ranges, [{ start: 3, end: 3 }]);
    assert.equal(only(d.items).file?.note, undefined);
  });
});

describe('secret files', () => {
  const SECRET = 'DB_PASSWORD=hunter2-very-secret';

  test('never leak content, are compared by hash, and report no line ranges', () => {
    const secret = (content: string): ManagedFileState => ({
      remote: '/srv/app/shared/app.env',
      exists: true,
      sha256: fakeHash(content),
      size: content.length,
      mode: '600',
      owner: 'app:app',
      secret: false, // the agent got it wrong; the workspace config says secret
      content,
    });
    const d = diffFingerprints(
      fingerprint((fp) => (fp.app.files[1] = secret('DB_PASSWORD=old'))),
      fingerprint((fp) => (fp.app.files[1] = secret(SECRET))),
      { files: FILES, readLocal: () => SECRET },
    );
    const i = only(d.items);
    assert.equal(i.severity, 'high');
    assert.deepEqual(i.file, { local: 'deploy/app.env', remote: '/srv/app/shared/app.env', secret: true, ranges: [], baselineRanges: [], note: SECRET_NOTE });
    assert.match(String(i.new), /^sha256:[0-9a-f]{12}$/);
    const json = JSON.stringify(d);
    assert.ok(!json.includes('hunter2'), 'secret content leaked');
    assert.ok(!json.includes('DB_PASSWORD'), 'secret content leaked');
  });

  test('a secret file whose mode changes is high', () => {
    const d = diffFingerprints(fingerprint(), fingerprint((fp) => (fp.app.files[1].mode = '644')), { files: FILES });
    assert.deepEqual(
      only(d.items).path + ' ' + only(d.items).severity,
      'app.files./srv/app/shared/app.env#mode high',
    );
  });
});
