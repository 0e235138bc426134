import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { streamArgv } from '../../server/src/fingerprint/agent';
import { parseSample, type Sample } from '../../server/src/monitor/sample';

/**
 * The agent paced by the server (`--ticks stdin`): the test is the server, writing one line per
 * sample and reading the sample it produced, under dash, bash and busybox sh.
 */

let dir: string;
let bbDir: string;
const sha = (t: string | Buffer): string => crypto.createHash('sha256').update(t).digest('hex');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-paced-'));
  bbDir = path.join(dir, 'bb');
  fs.mkdirSync(bbDir);
  for (const a of spawnSync('busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) fs.symlinkSync('/usr/bin/busybox', path.join(bbDir, a));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The agent under `shell`, and a function that sends one tick and returns the sample it printed. */
function paced(shell: string[], extra: { files?: string[]; fullHashMs?: number; env?: NodeJS.ProcessEnv }) {
  const [, , script, ...rest] = streamArgv({
    intervalMs: 1000,
    fromSeq: 0,
    ticks: 'stdin',
    fullHashMs: extra.fullHashMs,
    files: (extra.files ?? []).map((remote) => ({ remote, secret: false })),
    release: path.join(dir, 'current'),
  });
  const [file, ...pre] = shell;
  const child: ChildProcessWithoutNullStreams = spawn(file, [...pre, '-c', script, ...rest], { cwd: dir, env: extra.env });
  let buf = '';
  let stderr = '';
  const waiting: Array<(line: string) => void> = [];
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    async tick(): Promise<Sample> {
      const line = await new Promise<string>((resolve, reject) => {
        waiting.push(resolve);
        child.stdin.write('\n');
        void exited.then(() => reject(new Error(`agent exited; stderr: ${stderr}`)));
      });
      const r = parseSample(line);
      assert.ok(r.ok, line);
      return r.value;
    },
    /** End of input ends the agent: the channel closing is how the server stops it. */
    async end(): Promise<number | null> {
      child.stdin.end();
      return exited;
    },
  };
}

const shells: Array<{ name: string; shell: string[]; env?: () => NodeJS.ProcessEnv }> = [
  { name: 'dash', shell: ['dash'] },
  { name: 'bash --posix', shell: ['bash', '--posix'] },
  { name: 'busybox sh with busybox applets only', shell: ['/usr/bin/busybox', 'sh'], env: () => ({ PATH: bbDir }) },
];

describe('agent paced by the server (--ticks stdin)', () => {
  for (const v of shells) {
    test(`${v.name}: one sample per tick, seq 1, 2, 3, and it ends with its input`, async () => {
      fs.mkdirSync(path.join(dir, 'r1'), { recursive: true });
      if (!fs.existsSync(path.join(dir, 'current'))) fs.symlinkSync(path.join(dir, 'r1'), path.join(dir, 'current'));
      const conf = path.join(dir, `${v.name.replace(/\W/g, '')}.conf`);
      fs.writeFileSync(conf, 'a=1\n');
      const agent = paced(v.shell, { files: [conf], env: v.env?.() });
      const samples = [await agent.tick(), await agent.tick(), await agent.tick()];
      assert.deepEqual(
        samples.map((s) => s.seq),
        [1, 2, 3],
      );
      for (const s of samples) {
        assert.ok(s.host.processes > 0 && s.host.memTotalKiB > 0 && s.host.fds > 0);
        assert.ok(Math.abs(s.ts - Date.now()) < 60_000, `ts ${s.ts} is the host clock in epoch ms`);
        assert.equal(s.config.files[conf], sha('a=1\n'));
        assert.equal(s.config.release, path.join(dir, 'r1'));
        assert.equal(s.host.disks[0]?.mount, '/');
      }
      assert.ok(samples[2].ts >= samples[1].ts && samples[1].ts >= samples[0].ts);
      assert.equal(await agent.end(), 0);
    });
  }

  test('a change with the stat put back (same size, mtime and ctime second) is caught by the full hash pass', async () => {
    const conf = path.join(dir, 'hidden.conf');
    // At 1 s the agent looks at stats on ticks 5, 10, 15…; with fullHashMs 15 s every 3rd look
    // (tick 15) hashes every file whatever its stat says.
    for (let attempt = 1; ; attempt++) {
      fs.writeFileSync(conf, 'value=0\n');
      const agent = paced(['dash'], { files: [conf], fullHashMs: 15_000 });
      try {
        for (let i = 1; i <= 4; i++) await agent.tick();
        // At the top of a second: write value=1, let tick 5 look at it (stat changed: hashed),
        // then change it and put size and mtime back within that same second, so the stat the
        // agent keeps (seconds) cannot tell.
        await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
        fs.writeFileSync(conf, 'value=1\n');
        const before = fs.statSync(conf);
        const looked = (await agent.tick()).config.files[conf];
        fs.writeFileSync(conf, 'value=2\n');
        fs.utimesSync(conf, before.atime, before.mtime);
        const now = fs.statSync(conf);
        if (Math.floor(now.ctimeMs / 1000) !== Math.floor(before.ctimeMs / 1000) || looked !== sha('value=1\n')) {
          assert.ok(attempt < 10, 'could not change the file within one second of the look in 10 tries');
          continue;
        }
        assert.equal(now.size, before.size);
        assert.equal(Math.floor(now.mtimeMs / 1000), Math.floor(before.mtimeMs / 1000));
        const seen: Array<string | null> = [];
        for (let i = 6; i <= 15; i++) seen.push((await agent.tick()).config.files[conf] ?? null);
        // Tick 10 is a stat look (no change seen: the old hash stays); tick 15 is the full pass.
        assert.equal(seen[4], sha('value=1\n'), `the stat look cannot see the change: ${JSON.stringify(seen)}`);
        assert.equal(seen[9], sha('value=2\n'), `the full pass sees it: ${JSON.stringify(seen)}`);
        break;
      } finally {
        await agent.end();
      }
    }
  });

  test('a change that moves the stat is seen at the next stat look, without a full pass', async () => {
    const conf = path.join(dir, 'visible.conf');
    fs.writeFileSync(conf, 'v=1\n');
    const agent = paced(['dash'], { files: [conf], fullHashMs: 3_600_000 });
    try {
      assert.equal((await agent.tick()).config.files[conf], sha('v=1\n'));
      fs.writeFileSync(conf, 'v=22\n');
      const seen: Array<string | null> = [];
      for (let i = 2; i <= 5; i++) seen.push((await agent.tick()).config.files[conf] ?? null);
      assert.equal(seen[3], sha('v=22\n'), `tick 5 looks at stats: ${JSON.stringify(seen)}`);
    } finally {
      await agent.end();
    }
  });
});
