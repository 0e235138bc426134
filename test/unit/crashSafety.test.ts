/**
 * The host-side programs that keep a host whole when the client dies mid-action, run for real
 * under dash, bash and busybox sh: the switch's one-command commit (all or nothing, and it runs
 * to its end with its session gone) and the check that finds app processes older than their
 * release link (a rollback cut off between the link and the restart). nginx is a script that
 * records what it was asked.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseStaleProcesses } from '../../server/src/act/hostState';
import { RUNNING_SINCE_SCRIPT, SWITCH_COMMIT_SCRIPT } from '../../server/src/act/scripts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-crash-safety-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const shells = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter((s) => spawnSync(s[0], [...s.slice(1), '-c', 'true']).status === 0);
if (process.env.CI) assert.equal(shells.length, 3, 'dash, bash and busybox must all be installed in CI');

/** A fake nginx on PATH: `-t` fails when $dir/bad exists and sleeps as long as $dir/slow says; reload is logged. */
function fakeNginx(root: string): string {
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'nginx'),
    `#!/bin/sh
d=${JSON.stringify(root)}
if [ "$1" = "-t" ]; then
  [ -f "$d/slow" ] && sleep "$(cat "$d/slow")"
  echo "nginx: the configuration file test" >&2
  if [ -f "$d/bad" ]; then echo "nginx: [emerg] bad upstream" >&2; exit 1; fi
  exit 0
fi
if [ "$1" = "-s" ] && [ "$2" = "reload" ]; then cat "$d/conf.d/upstream.conf" >>"$d/reloads"; exit 0; fi
exit 2
`,
    { mode: 0o755 },
  );
  return bin;
}

const OLD = 'upstream app {\n    server 127.0.0.1:8081;\n}\n';
const NEW = 'upstream app {\n    server 127.0.0.1:8082;\n}\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function setup(name: string): { root: string; file: string; env: NodeJS.ProcessEnv } {
  const root = path.join(dir, name);
  fs.mkdirSync(path.join(root, 'conf.d'), { recursive: true });
  const file = path.join(root, 'conf.d', 'upstream.conf');
  fs.writeFileSync(file, OLD, { mode: 0o644 });
  return { root, file, env: { ...process.env, PATH: `${fakeNginx(root)}:${process.env.PATH}` } };
}

function commit(shell: string[], file: string, env: NodeJS.ProcessEnv, content: string, declared = content) {
  return spawnSync(shell[0], [...shell.slice(1), '-c', SWITCH_COMMIT_SCRIPT, 'plumbline-switch', file, '', '', String(Buffer.byteLength(declared)), sha(declared)], { input: content, env, encoding: 'utf8' });
}

const leftovers = (root: string) => fs.readdirSync(path.join(root, 'conf.d')).filter((f) => f !== 'upstream.conf');

describe('the switch commit: one command, all or nothing', () => {
  for (const shell of shells) {
    const tag = shell.join(' ');
    test(`${tag}: installs the upstream, checks nginx and reloads it`, () => {
      const { root, file, env } = setup(`ok-${shell[0]}`);
      const r = commit(shell, file, env, NEW);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /SWITCHED/);
      assert.equal(fs.readFileSync(file, 'utf8'), NEW);
      assert.equal(fs.readFileSync(path.join(root, 'reloads'), 'utf8'), NEW, 'nginx reloaded the new upstream');
      assert.deepEqual(leftovers(root), []);
    });

    test(`${tag}: nginx -t rejects it → the old upstream is back, no reload, exit 7 with nginx's line`, () => {
      const { root, file, env } = setup(`bad-${shell[0]}`);
      fs.writeFileSync(path.join(root, 'bad'), '');
      const r = commit(shell, file, env, NEW);
      assert.equal(r.status, 7);
      assert.match(r.stderr, /^NGINX_T nginx: \[emerg\] bad upstream/m);
      assert.equal(fs.readFileSync(file, 'utf8'), OLD);
      assert.equal(fs.existsSync(path.join(root, 'reloads')), false);
      assert.deepEqual(leftovers(root), []);
    });

    test(`${tag}: content cut short → nothing changed, exit 6`, () => {
      const { root, file, env } = setup(`short-${shell[0]}`);
      const r = commit(shell, file, env, NEW.slice(0, 10), NEW);
      assert.equal(r.status, 6);
      assert.match(r.stderr, /SHORT .* nothing changed/);
      assert.equal(fs.readFileSync(file, 'utf8'), OLD);
      assert.equal(fs.existsSync(path.join(root, 'reloads')), false);
      assert.deepEqual(leftovers(root), []);
    });

    test(`${tag}: its session gone mid-way (pipes closed, SIGHUP) → it still runs to its end`, async () => {
      const { root, file, env } = setup(`gone-${shell[0]}`);
      fs.writeFileSync(path.join(root, 'slow'), '0.6');
      const child = spawn(shell[0], [...shell.slice(1), '-c', SWITCH_COMMIT_SCRIPT, 'plumbline-switch', file, '', '', String(Buffer.byteLength(NEW)), sha(NEW)], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      child.stdin.end(NEW);
      // What sshd does when its client is killed: the session's pipes close, a hang-up may follow.
      await new Promise((r) => setTimeout(r, 200));
      child.stdout.destroy();
      child.stderr.destroy();
      process.kill(-child.pid!, 'SIGHUP');
      await exited;
      for (let i = 0; i < 50 && !fs.existsSync(path.join(root, 'reloads')); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(fs.readFileSync(file, 'utf8'), NEW);
      assert.equal(fs.readFileSync(path.join(root, 'reloads'), 'utf8'), NEW, 'the reload happened after the session was gone');
      assert.deepEqual(leftovers(root), []);
    });
  }
});

describe('app processes older than their release link', () => {
  for (const shell of shells) {
    test(`${shell.join(' ')}: a process started before the link changed is found; after its restart it is not`, async () => {
      const root = path.join(dir, `since-${shell[0]}`);
      fs.mkdirSync(path.join(root, 'releases', 'r1'), { recursive: true });
      fs.mkdirSync(path.join(root, 'releases', 'r2'), { recursive: true });
      const app = path.join(root, 'plumbline-crashtest-app');
      fs.symlinkSync('/bin/sleep', app);
      const link = path.join(root, 'current');
      fs.symlinkSync(path.join(root, 'releases', 'r1'), link);
      const run = () => spawnSync(shell[0], [...shell.slice(1), '-c', RUNNING_SINCE_SCRIPT, 'plumbline-running-since', link, 'plumbline-crashtest-app'], { encoding: 'utf8' });
      const first = spawn(app, ['60'], { stdio: 'ignore' });
      try {
        // The link changes a whole second after the process started (epoch seconds on both sides).
        await new Promise((r) => setTimeout(r, 2100));
        fs.symlinkSync(path.join(root, 'releases', 'r2'), `${link}.new`);
        fs.renameSync(`${link}.new`, link);
        const r = run();
        assert.equal(r.status, 0, r.stderr);
        const stale = parseStaleProcesses(r.stdout);
        assert.deepEqual(stale.map((p) => p.pid), [first.pid], r.stdout);
        assert.equal(stale[0].name, 'plumbline-crashtest-app');
        first.kill();
        await new Promise((r2) => setTimeout(r2, 1100));
        const second = spawn(app, ['60'], { stdio: 'ignore' });
        try {
          await new Promise((r2) => setTimeout(r2, 200));
          const again = run();
          assert.match(again.stdout, new RegExp(`^@P plumbline-crashtest-app ${second.pid} \\d+$`, 'm'));
          assert.deepEqual(parseStaleProcesses(again.stdout), [], again.stdout);
        } finally {
          second.kill();
        }
      } finally {
        first.kill();
      }
    });
  }

  test('no release link, or a process in the link\'s own second: nothing is called stale', () => {
    assert.deepEqual(parseStaleProcesses('@P app 10 100\n'), []);
    assert.deepEqual(parseStaleProcesses('@L 100\n@P app 10 100\n@P app 11 101\n'), []);
    assert.deepEqual(parseStaleProcesses('@L 100\n@P app 10 99\n').map((p) => p.pid), [10]);
  });
});
