import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { streamArgv } from '../../server/src/fingerprint/agent';
import { parseSample, type Sample } from '../../server/src/monitor/sample';

/**
 * The real agent in stream mode under dash, bash, and busybox sh with only busybox applets on
 * PATH, three samples at 1 s, against a local HTTP server for health and Prometheus metrics.
 */

let dir: string;
let bbDir: string;
let server: http.Server;
let base: string;
let sleeper: ChildProcess;
const marker = `plumbline-stream-sleeper-${process.pid}`;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-stream-'));
  fs.writeFileSync(path.join(dir, 'app.conf'), 'listen 80;\n');
  fs.writeFileSync(path.join(dir, 'app.env'), 'TOKEN=secret\n');
  fs.mkdirSync(path.join(dir, 'r1'));
  fs.symlinkSync(path.join(dir, 'r1'), path.join(dir, 'current'));
  bbDir = path.join(dir, 'bb');
  fs.mkdirSync(bbDir);
  const list = await new Promise<string>((resolve, reject) => {
    const p = spawn('busybox', ['--list']);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
  for (const a of list.split('\n').filter(Boolean)) fs.symlinkSync('/usr/bin/busybox', path.join(bbDir, a));
  server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        [
          '# HELP requests_total Requests.',
          '# TYPE requests_total counter',
          'requests_total{route="/",code="200"} 7',
          'requests_total{route="/a b}",code="500"} 3',
          'heap_bytes 1.5e6',
          'weird NaN',
          'process_open_fds 12 1700000000000',
          '',
        ].join('\n'),
      );
    } else {
      res.writeHead(200);
      res.end('ok\n');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  sleeper = spawn('sleep', ['120'], { argv0: marker, stdio: 'ignore' });
  await once(sleeper, 'spawn');
});

after(() => {
  sleeper?.kill();
  server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the agent until it printed `n` lines, then stops it; the lines and the wall time. */
function stream(
  shell: string[],
  n: number,
  env?: NodeJS.ProcessEnv,
  mounts?: string[],
  onLine?: (count: number) => void,
): Promise<{ lines: string[]; ms: number; stderr: string }> {
  const [, , script, ...rest] = streamArgv({
    mounts,
    intervalMs: 1000,
    fromSeq: 0,
    files: [
      { remote: path.join(dir, 'app.conf'), secret: false },
      { remote: path.join(dir, 'app.env'), secret: true },
      { remote: path.join(dir, 'missing'), secret: false },
    ],
    release: path.join(dir, 'current'),
    process: marker,
    health: `${base}/healthz`,
    metrics: `${base}/metrics`,
  });
  const [file, ...pre] = shell;
  const started = Date.now();
  const child = spawn(file, [...pre, '-c', script, ...rest], { env, cwd: dir, detached: true });
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`timed out with ${lines.length} lines; stderr: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        onLine?.(lines.length);
        buf = buf.slice(i + 1);
        if (lines.length === n) {
          clearTimeout(timer);
          const ms = Date.now() - started;
          process.kill(-child.pid!, 'SIGTERM');
          resolve({ lines, ms, stderr });
        }
      }
    });
  });
}

function check(lines: string[]): Sample[] {
  const samples = lines.map((l) => {
    const r = parseSample(l);
    assert.ok(r.ok, `${r.ok ? '' : r.error.reason}: ${l}`);
    return r.value;
  });
  assert.deepEqual(
    samples.map((s) => s.seq),
    [1, 2, 3],
  );
  for (let i = 1; i < samples.length; i++) {
    const dt = samples[i].ts - samples[i - 1].ts;
    assert.ok(dt >= 0 && dt <= 3000, `ts step ${dt} ms`);
  }
  const last = samples[2];
  assert.equal(last.intervalMs, 1000);
  assert.ok(last.windowMs >= 500 && last.windowMs <= 3000, `windowMs ${last.windowMs}`);
  assert.ok(last.host.memTotalKiB > 0 && last.host.processes > 0 && last.host.rssKiB > 0);
  assert.equal(last.host.disks[0].mount, '/');
  assert.ok(last.host.disks[0].usedPct > 0 && last.host.disks[0].usedPct <= 100);
  assert.ok(Math.abs(last.ts - Date.now()) < 60_000, 'ts is epoch ms');
  assert.deepEqual(last.app.process?.pids, [sleeper.pid]);
  assert.equal(last.app.process?.restarts, 0);
  assert.equal(last.app.health?.status, 200);
  assert.ok((last.app.health?.latencyMs ?? -1) >= 0);
  assert.deepEqual(last.app.metrics, { requests_total: 10, heap_bytes: 1_500_000, process_open_fds: 12 });
  assert.match(last.config.files[path.join(dir, 'app.conf')] ?? '', /^[0-9a-f]{64}$/);
  assert.match(last.config.files[path.join(dir, 'app.env')] ?? '', /^[0-9a-f]{64}$/);
  assert.equal(last.config.files[path.join(dir, 'missing')], null);
  assert.equal(last.config.release, path.join(dir, 'r1'));
  assert.ok(!lines.join('\n').includes('TOKEN=secret'));
  return samples;
}

describe('agent stream mode', () => {
  test('dash: three samples at 1 s with increasing seq', async () => {
    const r = await stream(['dash'], 3);
    check(r.lines);
    assert.ok(r.ms < 8000, `3 samples took ${r.ms} ms`);
  });

  test('bash --posix', async () => {
    check((await stream(['bash', '--posix'], 3)).lines);
  });

  test('busybox sh with only busybox applets', async () => {
    const r = await stream(['/usr/bin/busybox', 'sh'], 3, { PATH: bbDir });
    check(r.lines);
  });

  test('a managed file changed mid-stream shows within about 5 s, the release link within an interval', async () => {
    const conf = path.join(dir, 'app.conf');
    const current = path.join(dir, 'current');
    const before = fs.readFileSync(conf, 'utf8');
    const sha = (t: string): string => crypto.createHash('sha256').update(t).digest('hex');
    const point = (release: string): void => {
      fs.symlinkSync(path.join(dir, release), `${current}.new`);
      fs.renameSync(`${current}.new`, current);
    };
    fs.mkdirSync(path.join(dir, 'r2'), { recursive: true });
    // Two argument counts: the re-read once depended, by accident, on how many arguments the agent had.
    for (const mounts of [undefined, ['/']]) {
      // The change comes right after the first sample: the agent has looked at the file by then.
      const change = (count: number): void => {
        if (count !== 1) return;
        fs.writeFileSync(conf, 'listen 81;\n');
        point('r2');
      };
      try {
        const samples = (await stream(['dash'], 9, undefined, mounts, change)).lines.map((l) => {
          const r = parseSample(l);
          assert.ok(r.ok, l);
          return r.value;
        });
        assert.equal(samples[0].config.files[conf], sha(before));
        assert.equal(samples[0].config.release, path.join(dir, 'r1'));
        // Stats are looked at every 5 intervals: the 9th sample is past the first look after the change.
        assert.equal(samples[8].config.files[conf], sha('listen 81;\n'), `mounts ${String(mounts)}`);
        assert.equal(samples[8].config.release, path.join(dir, 'r2'));
        // The link is read every interval, so it shows the change no later than the hashes do.
        const linkAt = samples.findIndex((x) => x.config.release === path.join(dir, 'r2'));
        const hashAt = samples.findIndex((x) => x.config.files[conf] === sha('listen 81;\n'));
        assert.ok(linkAt >= 0 && linkAt <= hashAt, `link seen at sample ${linkAt}, hash at ${hashAt}`);
        assert.ok(samples.slice(0, linkAt).every((x) => x.config.release === path.join(dir, 'r1')), 'before the change, the old target');
      } finally {
        fs.writeFileSync(conf, before);
        point('r1');
      }
    }
  });

  test('--from-seq continues the sequence', async () => {
    const [, , script, ...rest] = streamArgv({ intervalMs: 1000, fromSeq: 41, files: [] });
    const child = spawn('dash', ['-c', script, ...rest], { detached: true });
    const line = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
      });
    });
    process.kill(-child.pid!, 'SIGTERM');
    const r = parseSample(line);
    assert.ok(r.ok);
    assert.equal(r.value.seq, 42);
    assert.equal(r.value.app.process, null);
    assert.equal(r.value.app.metrics, null);
  });
});
