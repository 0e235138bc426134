import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { captureArgv } from '../../server/src/fingerprint/agent';
import { parseCapture } from '../../server/src/fingerprint/parse';
import type { Fingerprint } from '../../server/src/fingerprint/types';

/**
 * Runs the real agent script under dash, busybox sh, bash, and busybox sh with only busybox applets on
 * PATH (busybox awk, wget, stat... as on a minimal host), and checks what it reports against the
 * machine itself.
 */

const tag = `${process.pid}-${Date.now().toString(36)}`;
// No slash in it, so it can also be a file name; the agent runs with cwd = the test folder, so
// anything it executed would create `pwned-TAG` there.
const hostile = `we ird "q" 'x' $(touch pwned-${tag}) \`touch pwned-${tag}\` ; touch pwned-${tag}\nnext line`;
const marker = `plumbline-test-sleeper-${tag}`;

let dir: string;
let pwned: string;
let bbDir: string;
let managed: string;
let secret: string;
let hostileFile: string;
let binaryFile: string;
let release: string;
let httpServer: http.Server;
let tcpServer: net.Server;
let healthBase: string;
let tcpPort: number;
let sleeper: ChildProcess;

interface Run {
  stdout: string;
  stderr: string;
  fp: Fingerprint;
}

function run(shell: string[], argv: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  const [, ...rest] = argv; // drop 'sh'
  const [file, ...pre] = shell;
  return new Promise((resolve, reject) => {
    execFile(file, [...pre, ...rest], { env, cwd: dir, maxBuffer: 64 << 20, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${shell.join(' ')} failed: ${error.message}\n${stderr}`));
      const parsed = parseCapture(stdout, 'local');
      if (!parsed.ok) return reject(new Error(`${shell.join(' ')}: ${parsed.error.message}\n${parsed.error.excerpt}`));
      resolve({ stdout, stderr, fp: parsed.value });
    });
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-agent-'));
  pwned = path.join(dir, `pwned-${tag}`);
  managed = path.join(dir, 'app.conf');
  fs.writeFileSync(managed, 'listen 8080;\n# "quoted" \\ back\tslash\r\nnaïve → ünïcode ✓\n\u0001ctl\nno trailing newline');
  fs.chmodSync(managed, 0o640);
  secret = path.join(dir, 'app.env');
  fs.writeFileSync(secret, `PASSWORD=s3cr3t-${tag}\n`);
  hostileFile = path.join(dir, hostile);
  fs.writeFileSync(hostileFile, 'hostile\n');
  binaryFile = path.join(dir, 'blob.bin');
  fs.writeFileSync(binaryFile, Buffer.from([0x41, 0x00, 0x42, 0x0a]));
  fs.mkdirSync(path.join(dir, 'releases', 'r42'), { recursive: true });
  release = path.join(dir, 'current');
  fs.symlinkSync(path.join(dir, 'releases', 'r42'), release);

  bbDir = path.join(dir, 'busybox-bin');
  fs.mkdirSync(bbDir);
  await new Promise<void>((resolve, reject) =>
    execFile('busybox', ['--list'], (e, out) => {
      if (e) return reject(e);
      for (const applet of out.split('\n').filter(Boolean)) fs.symlinkSync('/usr/bin/busybox', path.join(bbDir, applet));
      resolve();
    }),
  );

  httpServer = http.createServer((req, res) => {
    res.writeHead(req.url === '/down' ? 503 : 200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  healthBase = `http://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}`;

  tcpServer = net.createServer((s) => s.destroy());
  tcpServer.listen(0, '127.0.0.1');
  await once(tcpServer, 'listening');
  tcpPort = (tcpServer.address() as net.AddressInfo).port;

  // A process whose argv[0] is the marker: found by whole-word argv match, while the agent's own
  // argv also contains the marker (after --process) and must not be matched.
  sleeper = spawn('sleep', ['60'], { argv0: marker, stdio: 'ignore' });
  await once(sleeper, 'spawn');
});

after(async () => {
  sleeper?.kill();
  httpServer?.close();
  tcpServer?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SYSCTLS = ['vm.swappiness', 'kernel.ostype', 'net.core.somaxconn', 'kernel.pid_max'];

function fullArgv(health: string): string[] {
  return captureArgv({
    packages: true,
    sysctl: [...SYSCTLS, 'no.such.sysctl', 'bad;name', hostile],
    services: ['sleep', 'no-such-service-xyz', hostile],
    files: [
      { remote: managed, secret: false },
      { remote: secret, secret: true },
      { remote: hostileFile, secret: false },
      { remote: binaryFile, secret: false },
      { remote: path.join(dir, 'missing.conf'), secret: false },
      { remote: hostile, secret: false },
      { remote: `${hostile}-missing`, secret: false },
    ],
    release,
    process: marker,
    health,
  });
}

const variants: Array<{ name: string; shell: string[]; env?: () => NodeJS.ProcessEnv; busyboxOnly?: boolean }> = [
  { name: 'dash', shell: ['dash'] },
  { name: 'busybox sh', shell: ['busybox', 'sh'] },
  { name: 'bash --posix', shell: ['bash', '--posix'] },
  { name: 'busybox sh with busybox applets only', shell: ['/usr/bin/busybox', 'sh'], env: () => ({ PATH: bbDir }), busyboxOnly: true },
];

describe('agent capture on this machine', { concurrency: true }, () => {
  for (const v of variants) {
    describe(v.name, () => {
      let r: Run;
      let down: Run;
      before(async () => {
        [r, down] = await Promise.all([
          run(v.shell, fullArgv(`${healthBase}/healthz`), v.env?.()),
          run(
            v.shell,
            captureArgv({ packages: false, sysctl: [], services: [], files: [], health: `${healthBase}/down`, perfMs: 0 }),
            v.env?.(),
          ),
        ]);
      });

      it('prints exactly one line that validates against the contract', () => {
        assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
        assert.ok(r.stdout.startsWith('{"type":"fingerprint","schema":1,'));
        assert.equal(r.fp.host, 'local');
      });

      it('hardware and os match the machine', () => {
        assert.equal(r.fp.os.kernel, os.release());
        assert.equal(r.fp.os.hostname, os.hostname());
        assert.ok(r.fp.hardware.cpu.cores >= 1);
        assert.equal(r.fp.hardware.memory.totalKiB, Math.round(os.totalmem() / 1024));
        assert.ok(r.fp.hardware.perf.windowMs >= 240, `window ${r.fp.hardware.perf.windowMs}`);
        assert.ok(r.fp.hardware.perf.processes > 1);
        assert.ok(r.fp.hardware.perf.rssKiB > 0);
        const osRelease = fs.readFileSync('/etc/os-release', 'utf8');
        assert.match(osRelease, new RegExp(`^ID="?${r.fp.os.distribution.id}"?$`, 'm'));
        if (v.busyboxOnly) assert.equal(r.fp.os.packages, null);
        else assert.ok(Object.keys(r.fp.os.packages ?? {}).length > 50);
      });

      it('sysctl values match /proc/sys; missing and invalid names are null', () => {
        for (const name of SYSCTLS) {
          const want = fs.readFileSync(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').replace(/\n$/, '');
          assert.equal(r.fp.os.sysctl[name], want, name);
        }
        assert.equal(r.fp.os.sysctl['no.such.sysctl'], null);
        assert.equal(r.fp.os.sysctl['bad;name'], null);
        assert.equal(r.fp.os.sysctl[hostile], null);
      });

      it('services are judged by process when systemd is not PID 1', () => {
        const s = r.fp.os.services;
        if (s.sleep.source === 'process') {
          assert.deepEqual(s.sleep, { state: 'active', source: 'process' });
          assert.deepEqual(s['no-such-service-xyz'], { state: 'inactive', source: 'process' });
        }
        assert.equal(s[hostile].state, 'unknown');
      });

      it('lists the TCP listener opened by the test', () => {
        for (const port of [tcpPort, Number(new URL(healthBase).port)]) {
          assert.ok(
            r.fp.os.ports.some((p) => p.proto === 'tcp' && p.address === '127.0.0.1' && p.port === port),
            `127.0.0.1:${port} in ${JSON.stringify(r.fp.os.ports)}`,
          );
        }
      });

      it('hashes managed files like Node does and carries their exact content', () => {
        const f = r.fp.app.files[0];
        const bytes = fs.readFileSync(managed);
        assert.equal(f.remote, managed);
        assert.equal(f.exists, true);
        assert.equal(f.sha256, createHash('sha256').update(bytes).digest('hex'));
        assert.equal(f.size, bytes.length);
        assert.equal(f.mode, '640');
        assert.equal(f.owner, os.userInfo().username);
        assert.equal(f.content, bytes.toString('utf8'));
        assert.equal(f.note, undefined);
      });

      it('never prints a secret file, but hashes it', () => {
        const f = r.fp.app.files[1];
        assert.equal(f.secret, true);
        assert.equal(f.content, undefined);
        assert.match(f.note ?? '', /secret/);
        assert.equal(f.sha256, createHash('sha256').update(fs.readFileSync(secret)).digest('hex'));
        assert.ok(!r.stdout.includes(`s3cr3t-${tag}`));
      });

      it('hostile values run nothing and come back verbatim', () => {
        assert.equal(fs.existsSync(pwned), false, 'marker file was created');
        const f = r.fp.app.files[2];
        assert.equal(f.remote, hostileFile);
        assert.equal(f.exists, true);
        assert.equal(f.content, 'hostile\n');
        // the same name, relative to the agent's working directory
        const g = r.fp.app.files[5];
        assert.equal(g.remote, hostile);
        assert.equal(g.exists, true);
        assert.equal(g.content, 'hostile\n');
        const h = r.fp.app.files[6];
        assert.equal(h.remote, `${hostile}-missing`);
        assert.equal(h.exists, false);
        assert.equal(r.fp.os.sysctl[hostile], null);
        assert.equal(r.fp.os.services[hostile].state, 'unknown');
      });

      it('binary and missing files are reported, not printed', () => {
        assert.match(r.fp.app.files[3].note ?? '', /binary/);
        assert.equal(r.fp.app.files[3].content, undefined);
        assert.deepEqual(r.fp.app.files[4], {
          remote: path.join(dir, 'missing.conf'),
          exists: false,
          sha256: null,
          size: null,
          mode: null,
          owner: null,
          secret: false,
        });
      });

      it('reads the release symlink', () => {
        assert.deepEqual(r.fp.app.release, { path: release, target: path.join(dir, 'releases', 'r42') });
      });

      it('finds the spawned process and not itself', () => {
        const p = r.fp.app.process;
        assert.ok(p);
        assert.equal(p.pattern, marker);
        assert.deepEqual(p.pids, [sleeper.pid]);
        assert.ok(p.rssKiB > 0);
        assert.ok(p.threads >= 1);
        assert.ok(p.fds >= 3, `fds ${p.fds}`);
        assert.ok(p.cpuPct < 50);
      });

      it('health: 200 with latency, 503 reported as status', () => {
        const h = r.fp.app.health;
        assert.ok(h);
        assert.equal(h.url, `${healthBase}/healthz`);
        assert.equal(h.status, 200);
        assert.ok(h.latencyMs !== null && h.latencyMs >= 0 && h.latencyMs < 3000);
        assert.equal(down.fp.app.health?.status, 503);
      });

      it('perf-ms 0 skips the window', () => {
        const perf = down.fp.hardware.perf;
        assert.equal(perf.windowMs, 0);
        assert.equal(perf.cpuPct, 0);
        assert.equal(perf.ioLatencyMs, null);
        assert.equal(down.fp.app.process, null);
        assert.equal(down.fp.app.release, null);
        assert.deepEqual(down.fp.app.files, []);
      });
    });
  }
});
