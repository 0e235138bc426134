import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readHostState, snapshotInput } from '../../server/src/act/hostState';
import { HostLock } from '../../server/src/act/lock';
import { remediate } from '../../server/src/act/remediate';
import { restartService } from '../../server/src/act/restart';
import { coversColours, rollingRestart } from '../../server/src/act/rolling';
import { rollback } from '../../server/src/act/rollback';
import { writeFileArgv } from '../../server/src/act/scripts';
import { StepRunner } from '../../server/src/act/steps';
import { ActionStop } from '../../server/src/act/types';
import { activeColour, colourHealthUrl, rewriteUpstream } from '../../server/src/act/upstream';
import { verifyAction } from '../../server/src/act/verify';
import type { EnvironmentConfig } from '../../server/src/config/types';
import type { Fingerprint } from '../../server/src/fingerprint/types';
import { diffFingerprints } from '../../server/src/fingerprint/diff';
import { Store } from '../../server/src/store/store';
import { ok, err } from '../../server/src/common/result';
import type { HostShell } from '../../server/src/act/types';
import type { ExecResult } from '../../server/src/ssh/connection';
import { localShell } from '../support/localShell';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function envConfig(over: { actions?: EnvironmentConfig['actions']; app?: Partial<EnvironmentConfig['layers']['app']> } = {}): EnvironmentConfig {
  return {
    name: 'unit',
    range,
    hosts: [{ spec: 'local', range }],
    intervalMs: 5000,
    layers: { hardware: { perf: false, mounts: [], limits: {} }, os: { packages: false, sysctl: [], services: [] }, app: { files: [], limits: {}, ...over.app } },
    risk: { minor: 0.3, moderate: 0.6, severe: 0.85 },
    actions: over.actions ?? { mode: 'confirm' },
  } as EnvironmentConfig;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-act-'));
}

/** Values that would run something if any layer pasted them into a shell line. */
function hostile(markers: string): string[] {
  return [
    `x'; touch ${markers}/m1 #`,
    `$(touch ${markers}/m2)`,
    `\`touch ${markers}/m3\``,
    `a\ntouch ${markers}/m4`,
    `"; touch ${markers}/m5; "`,
    `a && touch ${markers}/m6`,
  ];
}

function assertNoMarkers(markers: string): void {
  assert.deepEqual(fs.readdirSync(markers), [], 'a hostile value ran a command');
}

describe('act: nginx upstream files', () => {
  const addresses = { blue: '127.0.0.1:8081', green: '127.0.0.1:8082' };
  test('finds the active colour and refuses ambiguous files', () => {
    assert.deepEqual(activeColour('upstream app {\n    server 127.0.0.1:8081;\n}\n', addresses), { ok: true, value: 'blue' });
    assert.deepEqual(activeColour('upstream app {\n  # server 127.0.0.1:8081;\n  server 127.0.0.1:8082 max_fails=3;\n}\n', addresses), { ok: true, value: 'green' });
    assert.equal(activeColour('upstream app { }\nserver 127.0.0.1:8081;\nserver 127.0.0.1:8082;\n', addresses).ok, false);
    assert.equal(activeColour('upstream app {\n    server 10.0.0.1:80;\n}\n', addresses).ok, false);
  });

  test('rewrites only the server address, keeping parameters, comments and layout', () => {
    const text = '# managed\nupstream app {\n    server 127.0.0.1:8081 max_fails=3 fail_timeout=5s;\n    keepalive 8;\n}\n';
    const r = rewriteUpstream(text, addresses.blue, addresses.green);
    assert.ok(r.ok);
    assert.equal(r.value, text.replace('127.0.0.1:8081', '127.0.0.1:8082'));
    assert.equal(rewriteUpstream(text, '10.9.9.9:1', addresses.green).ok, false);
    assert.equal(rewriteUpstream('server 127.0.0.1:80810;\n', addresses.blue, addresses.green).ok, false, 'no partial address match');
  });

  test('health URL of a colour keeps the configured path', () => {
    assert.equal(colourHealthUrl('http://127.0.0.1:8081/healthz?deep=1', '127.0.0.1:8082'), 'http://127.0.0.1:8082/healthz?deep=1');
    assert.equal(colourHealthUrl(undefined, '127.0.0.1:8082'), 'http://127.0.0.1:8082/healthz');
  });
});

describe('act: the host lock protocol (real sh and flock)', () => {
  test('a second actor is refused with the holder, a third waits and gets it on release', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lock');
    const shell = localShell();
    const a = await HostLock.acquire(shell, 'local', { owner: 'actor-A', waitS: 0, sudo: false, file });
    assert.ok(a.ok, JSON.stringify(!a.ok && a.error));
    assert.equal(fs.readFileSync(`${file}.owner`, 'utf8').trim(), 'actor-A');

    const b = await HostLock.acquire(shell, 'local', { owner: 'actor-B', waitS: 0, sudo: false, file });
    assert.ok(!b.ok && b.error.kind === 'LockHeld' && b.error.holder === 'actor-A', JSON.stringify(b));

    let waitingFor: string | undefined;
    let signalWaiting!: () => void;
    const waiting = new Promise<void>((r) => (signalWaiting = r));
    const c = HostLock.acquire(shell, 'local', {
      owner: 'actor-C',
      waitS: 20,
      sudo: false,
      file,
      onWait: (h) => {
        waitingFor = h;
        signalWaiting();
      },
    });
    await waiting; // C reported that it waits: only now let A go
    assert.equal(waitingFor, 'actor-A');
    await a.value.release();
    assert.equal(a.value.lost, 'released');
    const got = await c;
    assert.ok(got.ok, JSON.stringify(!got.ok && got.error));
    assert.equal(got.value.holderWhileWaiting, 'actor-A');
    assert.equal(fs.readFileSync(`${file}.owner`, 'utf8').trim(), 'actor-C');
    await got.value.release();
  });

  test('a lease ends the lock on the host even if the holder never lets go', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lock');
    const shell = localShell();
    const a = await HostLock.acquire(shell, 'local', { owner: 'stuck', waitS: 0, leaseS: 1, sudo: false, file });
    assert.ok(a.ok);
    const b = await HostLock.acquire(shell, 'local', { owner: 'next', waitS: 10, sudo: false, file });
    assert.ok(b.ok, 'the lease should have freed the lock');
    // The holder learns it lost the lock when its channel ends, which may come after b got it.
    await (a.value as unknown as { handle: { done: Promise<unknown> } }).handle.done;
    assert.match(a.value.lost ?? '', /exited 0/);
    await b.value.release();
  });

  test('a holder killed without releasing (actor died) frees the lock at once', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lock');
    const shell = localShell();
    const a = await HostLock.acquire(shell, 'local', { owner: 'dies', waitS: 0, sudo: false, file });
    assert.ok(a.ok);
    const b = HostLock.acquire(shell, 'local', { owner: 'survivor', waitS: 10, sudo: false, file });
    // Closing the channel is what sshd does when the actor's connection drops.
    (a.value as unknown as { handle: { close(): void } }).handle.close();
    const got = await b;
    assert.ok(got.ok);
    await got.value.release();
  });

  test('refuses a multi-line owner (it is shown to other actors)', async () => {
    await assert.rejects(HostLock.acquire(localShell(), 'local', { owner: 'a\nb', waitS: 0, sudo: false }), /one line/);
  });
});

describe('act: hostile values from plumbline.yaml never run (real sh)', () => {
  test('service names and remediate commands are arguments, not shell text', async () => {
    const markers = tempDir();
    const shell = localShell();
    const run = new StepRunner(shell, 'local', false, true);
    for (const name of hostile(markers)) {
      await assert.rejects(restartService(run, name, false, 1), (e: unknown) => e instanceof ActionStop && e.status === 'failed');
    }
    const env = envConfig({ actions: { mode: 'confirm', remediate: { commands: hostile(markers).map((h) => ['echo', h]) } } });
    await remediate(run, env);
    // echo printed each value back verbatim: it reached the command as one argument.
    const echoed = run.records.filter((r) => r.argv[0] === 'echo').map((r) => r.stdout);
    assert.deepEqual(echoed, hostile(markers).map((h) => `${h}\n`));
    assertNoMarkers(markers);
  });

  test('a dry run lists change steps without running them', async () => {
    const markers = tempDir();
    const run = new StepRunner(localShell(), 'local', true, true);
    const r = await run.run({ title: 'would change', effect: 'change', argv: ['touch', path.join(markers, 'ran')] });
    assert.equal(r.ran, false);
    assert.equal(run.records[0].command, `touch ${path.join(markers, 'ran')}`);
    assertNoMarkers(markers);
  });

  test('files are written atomically to hostile paths, byte for byte', async () => {
    const markers = tempDir();
    const dir = tempDir();
    const run = new StepRunner(localShell(), 'local', false, true);
    for (const [i, name] of hostile(markers).entries()) {
      const target = path.join(dir, name.replace(/\//g, '_'));
      const content = `line ${i} $(touch ${markers}/c${i}) '\n`;
      await run.must({ title: 'write', effect: 'change', argv: writeFileArgv(target, '640', '', content), stdin: content });
      assert.equal(fs.readFileSync(target, 'utf8'), content);
      assert.equal(fs.statSync(target).mode & 0o777, 0o640);
    }
    assertNoMarkers(markers);
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('.plumbline.')).length, 0, 'no temp files left');
  });

  test('a file cut short on its way (stream cut) is never installed: size and sha256 are checked before the rename', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'app.conf');
    fs.writeFileSync(target, 'old content\n');
    const run = new StepRunner(localShell(), 'local', false, true);
    const full = 'new content, a long line that the cut stream will not deliver entirely\n'.repeat(50);
    const argv = writeFileArgv(target, '644', '', full);
    await assert.rejects(
      run.must({ title: 'write', effect: 'change', argv, stdin: full.slice(0, full.length / 2) }),
      (e: unknown) => e instanceof ActionStop && /arrived with \d+ bytes/.test(e.message),
    );
    assert.equal(fs.readFileSync(target, 'utf8'), 'old content\n', 'the old file is untouched');
    assert.deepEqual(fs.readdirSync(dir), ['app.conf'], 'no temp file left');
    await run.must({ title: 'write', effect: 'change', argv, stdin: full });
    assert.equal(fs.readFileSync(target, 'utf8'), full);
  });

  test('snapshot and rollback of a release link and files with hostile names restore them exactly', async () => {
    const markers = tempDir();
    const root = tempDir();
    const names = hostile(markers).map((n) => n.replace(/\//g, '_'));
    const appDir = path.join(root, names[1]);
    fs.mkdirSync(path.join(appDir, 'releases', 'r1'), { recursive: true });
    fs.mkdirSync(path.join(appDir, 'releases', 'r2'), { recursive: true });
    const current = path.join(appDir, names[0]);
    fs.symlinkSync('releases/r2', current);
    const files = names.slice(2).map((n, i) => ({ local: `f${i}`, remote: path.join(root, n), secret: i === 0, range }));
    files.forEach((f, i) => fs.writeFileSync(f.remote, `content ${i} of ${f.remote}\n`, { mode: 0o644 }));
    const gone = { local: 'g', remote: path.join(root, `new $(touch ${markers.replace(/\//g, '_')}_m)`), secret: false, range };
    const env = envConfig({ app: { release: current, files: [...files, gone] }, actions: { mode: 'confirm', rollback: { strategy: 'release-symlink', restoreFiles: true } } });

    const shell = localShell();
    const store = Store.open(':memory:');
    const state = await readHostState(new StepRunner(shell, 'local', false, true), env);
    const secretKey = Buffer.alloc(32, 3);
    store.saveSnapshot('unit', 'local', snapshotInput(state, { takenBy: 'test', reason: 'unit' }), { secretKey });
    const snap = store.latestSnapshot('unit', 'local', { withSecrets: true, secretKey })!;
    const before = new Map(files.map((f) => [f.remote, fs.readFileSync(f.remote)]));

    // The "deployment": another release, edited and re-moded files, a file that did not exist.
    fs.rmSync(current);
    fs.symlinkSync('releases/r1', current);
    fs.appendFileSync(files[0].remote, 'SECRET_ADDED=1\n');
    fs.chmodSync(files[1].remote, 0o600);
    fs.writeFileSync(files[2].remote, 'replaced\n');
    fs.writeFileSync(gone.remote, 'new file\n');

    const run = new StepRunner(shell, 'local', false, true);
    const notes = await rollback(run, env, snap);
    assert.ok(notes.some((n) => n.includes('releases/r1 → releases/r2')), notes.join('\n'));
    // Called outside runAction, no host lock is held: no finisher may be armed (it would take a lock no one holds and race this call).
    assert.ok(!run.records.some((r) => /finisher/.test(r.title)), run.records.map((r) => r.title).join('\n'));
    assert.equal(fs.readlinkSync(current), 'releases/r2');
    for (const f of files) {
      assert.deepEqual(fs.readFileSync(f.remote), before.get(f.remote), f.remote);
      assert.equal(fs.statSync(f.remote).mode & 0o777, 0o644, f.remote);
    }
    assert.equal(fs.existsSync(gone.remote), false, 'a file absent in the snapshot is removed');
    assertNoMarkers(markers);
    // The secret file's content never appears in what is recorded.
    const recorded = JSON.stringify(run.records);
    assert.ok(!recorded.includes('content 0 of'), 'secret content leaked into the step records');
    store.close();
  });
});

describe('act: verification', () => {
  const fp = (over: { health?: number | null; pids?: number[]; upstream?: string }): Fingerprint =>
    ({
      schema: 1,
      host: 'h',
      capturedAt: 't',
      agentVersion: '1',
      hardware: { cpu: { model: 'x', cores: 1 }, memory: { totalKiB: 1 }, disks: [], nics: [], perf: {} },
      os: { hostname: 'h', kernel: 'k', distribution: { id: 'd', version: '1', pretty: 'd' }, packages: null, sysctl: {}, services: {}, ports: [], mounts: [] },
      app: {
        release: { path: '/srv/app/current', target: 'releases/r2' },
        files: over.upstream
          ? [{ remote: '/etc/nginx/conf.d/upstream.conf', exists: true, sha256: over.upstream, size: 1, mode: '644', owner: 'root', secret: false, content: `upstream app {\n    server ${over.upstream};\n}\n` }]
          : [],
        process: { pattern: 'app', pids: over.pids ?? [10], rssKiB: 0, cpuPct: 0, threads: 1, fds: 1 },
        health: { url: 'http://127.0.0.1:8081/healthz', status: over.health === undefined ? 200 : over.health, latencyMs: 1 },
      },
    }) as unknown as Fingerprint;

  test('passes when health is 2xx and the process runs as in the baseline', () => {
    const base = fp({});
    const live = fp({ pids: [11] });
    const v = verifyAction({ action: 'remediate', live, baseline: base, diff: diffFingerprints(base, live) });
    assert.equal(v.ok, true, JSON.stringify(v));
  });

  test('fails loudly on failing health, a stopped process, or no baseline', () => {
    const base = fp({});
    for (const live of [fp({ health: 503 }), fp({ health: null }), fp({ pids: [] })]) {
      const v = verifyAction({ action: 'remediate', live, baseline: base, diff: diffFingerprints(base, live) });
      assert.equal(v.ok, false);
      assert.ok(v.drift.length > 0 || v.checks.some((c) => !c.ok));
    }
    assert.equal(verifyAction({ action: 'remediate', live: base }).ok, false);
  });

  test('a switch expects its upstream change and checks it points at the target', () => {
    const base = fp({ upstream: '127.0.0.1:8081' });
    const live = fp({ upstream: '127.0.0.1:8082' });
    const addresses = { blue: '127.0.0.1:8081', green: '127.0.0.1:8082' };
    const upstream = { path: '/etc/nginx/conf.d/upstream.conf', colour: 'green' as const, addresses };
    const v = verifyAction({ action: 'switch', live, baseline: base, diff: diffFingerprints(base, live), upstream });
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.otherDrift.length, 0, 'the intended upstream change is not drift');
    const wrong = verifyAction({ action: 'switch', live: base, baseline: base, diff: diffFingerprints(base, base), upstream });
    assert.equal(wrong.ok, false);
  });
});

describe('rolling restarts', () => {
  test('cover both colours when the name is both services or their common prefix', () => {
    const services = { blue: 'app-blue', green: 'app-green' };
    assert.equal(coversColours('app', services), true);
    assert.equal(coversColours('app-blue', services), false);
    assert.equal(coversColours('nginx', services), false);
    assert.equal(coversColours('app', undefined), false);
    assert.equal(coversColours('app', { blue: 'app@blue', green: 'app@green' }), true);
  });
});

/**
 * A host answering an nginx blue/green rolling restart under systemd, in memory: the upstream
 * file, health checks that pass, and `cat` of the upstream failing the first `flakyReads` times
 * after the first one (a slow SSH exec on a loaded machine: the channel closes with no exit status).
 */
function rollingHost(flakyReads: number): HostShell & { log: string[] } {
  let upstream = 'upstream app {\n    server 127.0.0.1:8081;\n}\n';
  let reads = 0;
  const log: string[] = [];
  const res = (stdout: string, code: number | null = 0): ExecResult => ({ host: 'h', stdout, stderr: '', code, durationMs: 1 });
  return {
    log,
    exec(_h, argv, o) {
      const a = argv.join(' ');
      log.push(a.slice(0, 60));
      if (argv[0] === 'cat') {
        reads++;
        if (reads > 1 && reads <= 1 + flakyReads) return Promise.resolve(ok(res('', null)));
        return Promise.resolve(ok(res(upstream)));
      }
      if (argv[0] === 'systemctl' && argv[1] === 'is-active') return Promise.resolve(ok(res('active\n')));
      if (argv[0] === 'sh' && argv[3] === 'plumbline-http-check') return Promise.resolve(ok(res('200\n'.repeat(5))));
      if (argv[0] === 'stat') return Promise.resolve(ok(res('644 root:root\n')));
      if (argv[0] === 'sh' && argv[3] === 'plumbline-switch') {
        upstream = String(o?.stdin ?? '');
        return Promise.resolve(ok(res('')));
      }
      if (argv[0] === 'sh' && argv[3] === 'plumbline-restart') return Promise.resolve(err({ kind: 'ChannelError', host: 'h', message: 'not expected under systemd' }));
      return Promise.resolve(ok(res('')));
    },
    stream() {
      return Promise.resolve(err({ kind: 'ChannelError', host: 'h', message: 'no streams here' }));
    },
  };
}

describe('rolling restarts under load', () => {
  const env = envConfig({
    actions: { mode: 'confirm', switch: { strategy: 'nginx-upstream', upstream: '/etc/nginx/conf.d/upstream.conf', blue: '127.0.0.1:8081', green: '127.0.0.1:8082', services: { blue: 'app-blue', green: 'app-green' } } },
    app: { health: 'http://127.0.0.1/healthz' },
  });

  test('a read that ends without an exit status is retried: traffic moves and comes back as planned', async () => {
    const run = new StepRunner(rollingHost(1), 'h', false, true);
    const notes = await rollingRestart(run, env, true);
    assert.ok(notes.some((n) => n.startsWith('traffic back:')), notes.join('\n'));
    assert.ok(!notes.some((n) => /restarted in place/.test(n)), notes.join('\n'));
  });

  test('reads that keep failing stop the action; the serving colour is never restarted in place as a silent fallback', async () => {
    const shell = rollingHost(10);
    const run = new StepRunner(shell, 'h', false, true);
    await assert.rejects(rollingRestart(run, env, true), (e: unknown) => e instanceof ActionStop && e.status === 'failed' && /read the upstream file/.test(e.message) && !/exit null/.test(e.message));
    assert.ok(!shell.log.some((l) => l.includes('restart -- app-blue')), `blue (serving) must not be restarted: ${shell.log.join(' | ')}`);
  });
});

describe('lock messages', () => {
  test('a lock command that ends without an exit status says so (never "exit undefined")', async () => {
    const shell: HostShell = {
      exec: () => Promise.resolve(err({ kind: 'ChannelError', host: 'h', message: 'unused' })),
      stream: () => Promise.resolve(ok({ close: () => undefined, done: Promise.resolve({ host: 'h', stdout: '', stderr: '', code: null, durationMs: 1 }) })),
    };
    const r = await HostLock.acquire(shell, 'h', { owner: 'me', waitS: 0, sudo: false });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'LockUnavailable');
    const message = r.error.kind === 'LockUnavailable' ? r.error.message : '';
    assert.doesNotMatch(message, /undefined|null/);
    assert.match(message, /without an exit status/);
  });
});
