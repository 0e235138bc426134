import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeSshError } from '../../server/src/ssh/errors';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_OUTPUT_BYTES } from '../../server/src/ssh/connection';
import { SshPool, type PoolOptions } from '../../server/src/ssh/pool';
import { freePort, pidAlive, run, Sshd, sshdSkipReason, waitFor } from '../support/sshd';

const skip = sshdSkipReason();

function poolFor(d: Sshd, extra: PoolOptions = {}): SshPool {
  return new SshPool({ sshConfigFile: d.sshConfigFile, agentSocket: '', homeDir: d.dir, ...extra });
}

describe('SshPool against a real sshd', { skip }, () => {
  let d: Sshd;
  before(async () => {
    d = await Sshd.start();
  });
  after(async () => {
    await d?.dispose();
  });

  test('exec returns stdout, stderr and the exit code', async () => {
    const pool = poolFor(d);
    try {
      const r = await pool.exec('target', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
      assert.equal(r.value.stdout, 'out\n');
      assert.equal(r.value.stderr, 'err\n');
      assert.equal(r.value.code, 3);
      assert.equal(r.value.host, 'target');
      const hostile = ["it's", '$(touch /tmp/pwned)', 'a\nb', ';', '*'];
      const echo = await pool.exec('target', ['printf', '%s\\0', ...hostile]);
      assert.ok(echo.ok);
      assert.deepEqual(echo.value.stdout.split('\0').slice(0, -1), hostile);
      const stdin = await pool.exec('target', ['cat'], { stdin: 'fed through stdin' });
      assert.ok(stdin.ok);
      assert.equal(stdin.value.stdout, 'fed through stdin');
      const key = await pool.hostKey('target');
      assert.ok(key.ok);
      assert.deepEqual(key.value, { keyType: 'ssh-ed25519', fingerprint: d.hostFingerprint() });
    } finally {
      await pool.close();
    }
  });

  test('output caps: too much stdout or an endless stream line is an OutputTooLarge error for that host, and the connection stays usable', async () => {
    const pool = poolFor(d);
    try {
      const big = await pool.exec('target', ['head', '-c', '3000000', '/dev/zero'], { maxOutputBytes: 1_000_000 });
      assert.ok(!big.ok, 'a capped exec must not return 3 MB');
      assert.equal(big.error.kind, 'OutputTooLarge');
      assert.match(describeSshError(big.error), /target sent more than 1,000,000 bytes on stdout/);
      const lines: string[] = [];
      const s = await pool.stream('target', ['sh', '-c', 'echo first; head -c 3000000 /dev/zero | tr "\\0" x; echo; echo never'], (l) => lines.push(l), { maxLineBytes: 100_000 });
      assert.ok(s.ok);
      const done = await s.value.done;
      assert.equal(done.error?.kind, 'OutputTooLarge', JSON.stringify(done.error));
      assert.deepEqual(lines, ['first'], 'nothing of the endless line and nothing after it is delivered');
      assert.ok(DEFAULT_MAX_OUTPUT_BYTES > 0 && DEFAULT_MAX_LINE_BYTES > 0, 'caps apply without options too');
      const next = await pool.exec('target', ['echo', 'still here']);
      assert.ok(next.ok);
      assert.equal(next.value.stdout, 'still here\n');
    } finally {
      await pool.close();
    }
  });

  test('10 concurrent execs on a new host share one connection', async () => {
    const before = d.acceptedLogins();
    const pool = poolFor(d, { perHostConcurrency: 4 });
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.exec('target', ['echo', String(i)])));
      results.forEach((r, i) => {
        assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
        assert.equal(r.value.stdout, `${i}\n`);
      });
      assert.equal(pool.stats().connectsStarted, 1);
      assert.equal(pool.stats().open, 1);
      // sshd's own count: exactly one login for the ten commands
      assert.equal(d.acceptedLogins() - before, 1);
    } finally {
      await pool.close();
    }
  });

  test('a command timeout returns Timeout, stops the remote process, and the connection stays usable', async () => {
    const pool = poolFor(d);
    const pidFile = path.join(d.dir, 'sleeper.pid');
    try {
      // A process that keeps writing: it ends on the closed channel even for root, whose sessions
      // OpenSSH does not let us signal (see connection.ts).
      const r = await pool.exec('target', ['sh', '-c', `echo $$ > ${pidFile}; while :; do echo tick; sleep 0.1; done`], { timeoutMs: 2000 });
      assert.ok(!r.ok);
      assert.deepEqual(r.error, { kind: 'Timeout', host: 'target', phase: 'command', ms: 2000 });
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      await waitFor('the timed-out remote process to end', () => !pidAlive(pid));
      await waitFor('the channel slot to be released', () => pool.stats().activeChannels === 0);
      const next = await pool.exec('target', ['echo', 'still here']);
      assert.ok(next.ok);
      assert.equal(next.value.stdout, 'still here\n');
      assert.equal(pool.stats().connectsStarted, 1);
    } finally {
      await pool.close();
    }
  });

  test('a dropped connection is evicted and the next exec reconnects', async () => {
    const pool = poolFor(d);
    try {
      const r1 = await pool.exec('target', ['true']);
      assert.ok(r1.ok);
      assert.ok(d.dropConnections() >= 1);
      await waitFor('the pool to notice the drop', () => pool.stats().open === 0);
      const r2 = await pool.exec('target', ['echo', 'again']);
      assert.ok(r2.ok, r2.ok ? '' : describeSshError(r2.error));
      assert.equal(r2.value.stdout, 'again\n');
      assert.equal(pool.stats().connectsStarted, 2);
    } finally {
      await pool.close();
    }
  });

  test('an idle connection closes itself and is reopened on demand', async () => {
    const pool = poolFor(d, { idleCloseMs: 150 });
    try {
      assert.ok((await pool.exec('target', ['true'])).ok);
      await waitFor('the idle connection to close', () => pool.stats().open === 0);
      assert.ok((await pool.exec('target', ['true'])).ok);
      assert.equal(pool.stats().connectsStarted, 2);
    } finally {
      await pool.close();
    }
  });

  test('per-host concurrency queues channels beyond the limit', async () => {
    const pool = poolFor(d, { perHostConcurrency: 2 });
    try {
      const runs = Array.from({ length: 5 }, () => pool.exec('target', ['sleep', '0.3']));
      await waitFor('two channels running and three queued', () => pool.stats().activeChannels === 2 && pool.stats().queuedChannels === 3);
      const all = await Promise.all(runs);
      assert.ok(all.every((r) => r.ok && r.value.code === 0));
    } finally {
      await pool.close();
    }
  });

  test('stream delivers stdout line by line until closed', async () => {
    const pool = poolFor(d);
    try {
      const lines: string[] = [];
      let third!: () => void;
      const gotThree = new Promise<void>((resolve) => (third = resolve));
      const s = await pool.stream('target', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.05; done'], (l) => {
        lines.push(l);
        if (lines.length === 3) third();
      });
      assert.ok(s.ok);
      await gotThree;
      s.value.close();
      const done = await s.value.done;
      assert.equal(done.error, undefined);
      assert.deepEqual(lines.slice(0, 3), ['line 1', 'line 2', 'line 3']);
    } finally {
      await pool.close();
    }
  });

  test('an unknown host key is refused by default', async () => {
    const empty = path.join(d.dir, 'empty_known_hosts');
    fs.writeFileSync(empty, '');
    const pool = poolFor(d, { knownHostsFile: empty });
    try {
      const r = await pool.exec('target', ['true']);
      assert.ok(!r.ok);
      assert.deepEqual(r.error, { kind: 'UnknownHostKey', host: 'target', keyType: 'ssh-ed25519', fingerprint: d.hostFingerprint() });
      assert.equal(fs.readFileSync(empty, 'utf8'), '');
    } finally {
      await pool.close();
    }
  });

  test('an unknown host key confirmed by the callback is accepted and appended hashed', async () => {
    const file = path.join(d.dir, 'confirm_dir', 'known_hosts');
    const asked: string[] = [];
    const pool = poolFor(d, {
      knownHostsFile: file,
      confirmUnknownHost: (host, keyType, fp) => {
        asked.push(`${host} ${keyType} ${fp}`);
        return Promise.resolve(true);
      },
    });
    try {
      const r = await pool.exec('target', ['echo', 'hi']);
      assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
      assert.deepEqual(asked, [`target ssh-ed25519 ${d.hostFingerprint()}`]);
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
      assert.ok(!text.includes('127.0.0.1'), 'the host name is hashed');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      // OpenSSH itself finds the hashed entry
      assert.match(run('ssh-keygen', ['-F', `[127.0.0.1]:${d.port}`, '-f', file]), /ssh-ed25519/);
    } finally {
      await pool.close();
    }
    const again = poolFor(d, { knownHostsFile: file });
    try {
      const r = await again.exec('target', ['true']);
      assert.ok(r.ok, 'a second pool trusts the appended key without asking');
    } finally {
      await again.close();
    }
  });

  test('an unreachable port gives Unreachable while another host works', async () => {
    const closedPort = await freePort();
    const cfg = path.join(d.dir, 'two_hosts_config');
    fs.writeFileSync(cfg, d.configBlock() + d.configBlock('dead', []).replace(`Port ${d.port}`, `Port ${closedPort}`));
    const pool = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: d.dir });
    try {
      const [bad, good] = await Promise.all([pool.exec('dead', ['true']), pool.exec('target', ['echo', 'fine'])]);
      assert.ok(!bad.ok);
      assert.equal(bad.error.kind, 'Unreachable');
      assert.match(describeSshError(bad.error), /ECONNREFUSED/);
      assert.ok(good.ok);
      assert.equal(good.value.stdout, 'fine\n');
    } finally {
      await pool.close();
    }
  });

  test('a user key the server does not accept gives AuthFailed naming user and identity', async () => {
    const other = path.join(d.dir, 'stranger_key');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const cfg = path.join(d.dir, 'stranger_config');
    fs.writeFileSync(cfg, d.configBlock().replace(d.userKey, other));
    const pool = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: d.dir });
    try {
      const r = await pool.exec('target', ['true']);
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'AuthFailed');
      assert.match(describeSshError(r.error), /"root"/);
      assert.ok(describeSshError(r.error).includes(other));
    } finally {
      await pool.close();
    }
  });

  test('an encrypted identity asks for its passphrase; without one it is skipped with a note', async () => {
    const enc = path.join(d.dir, 'encrypted_key');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', enc]);
    fs.appendFileSync(path.join(d.dir, 'authorized_keys'), fs.readFileSync(enc + '.pub'));
    const cfg = path.join(d.dir, 'encrypted_config');
    fs.writeFileSync(cfg, d.configBlock().replace(d.userKey, enc));
    const asked: string[] = [];
    const pool = new SshPool({
      sshConfigFile: cfg,
      agentSocket: '',
      homeDir: d.dir,
      passphrase: (file) => {
        asked.push(file);
        return Promise.resolve('open sesame');
      },
    });
    try {
      const r = await pool.exec('target', ['echo', 'unlocked']);
      assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
      assert.deepEqual(asked, [enc]);
    } finally {
      await pool.close();
    }
    // A wrong passphrase is reported as wrong (so nobody stores it) and asked again; the right one is confirmed.
    const events: string[] = [];
    const answers = ['not it', 'open sesame'];
    const retry = new SshPool({
      sshConfigFile: cfg,
      agentSocket: '',
      homeDir: d.dir,
      passphrase: (_file, attempt) => {
        events.push(`ask ${attempt.previousWrong ? 'again' : 'first'}`);
        return Promise.resolve(answers.shift());
      },
      passphraseChecked: (_file, good) => events.push(good ? 'good' : 'wrong'),
    });
    try {
      const r = await retry.exec('target', ['echo', 'unlocked']);
      assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
      assert.deepEqual(events, ['ask first', 'wrong', 'ask again', 'good']);
    } finally {
      await retry.close();
    }
    const logged: string[] = [];
    const without = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: d.dir, log: (l) => logged.push(l) });
    try {
      const r = await without.exec('target', ['true']);
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'AuthFailed');
      assert.match(logged.join('\n'), /needs a passphrase and none was given; skipped/);
      assert.ok(!logged.join('\n').includes('open sesame'));
    } finally {
      await without.close();
    }
  });
});

describe('host key changes', { skip }, () => {
  test('a regenerated host key gives HostKeyMismatch naming both fingerprints', async () => {
    const d = await Sshd.start();
    try {
      const oldFp = d.hostFingerprint();
      const first = poolFor(d);
      const r1 = await first.exec('target', ['true']);
      await first.close();
      assert.ok(r1.ok);

      d.generateHostKeys();
      await d.restart();
      const newFp = d.hostFingerprint();
      assert.notEqual(newFp, oldFp);

      const pool = poolFor(d);
      try {
        const r = await pool.exec('target', ['true']);
        assert.ok(!r.ok);
        assert.deepEqual(r.error, {
          kind: 'HostKeyMismatch',
          host: 'target',
          keyType: 'ssh-ed25519',
          actual: newFp,
          expected: [oldFp],
          knownHostsFile: d.knownHostsFile,
          line: 1,
        });
        const text = describeSshError(r.error);
        assert.ok(text.includes(oldFp) && text.includes(newFp) && text.includes(`${d.knownHostsFile} line 1`), text);
      } finally {
        await pool.close();
      }
    } finally {
      await d.dispose();
    }
  });

  test('with several host key types, the known type is negotiated so a change is caught', async () => {
    const d = await Sshd.start({ hostKeyTypes: ['ed25519', 'rsa'] });
    try {
      // known_hosts holds only the RSA key: ssh2 would prefer ed25519, which must not slip in as "another type"
      fs.writeFileSync(d.knownHostsFile, `[127.0.0.1]:${d.port} ${d.hostPublicKeyLine('rsa')}\n`);
      const pool = poolFor(d);
      try {
        const key = await pool.hostKey('target');
        assert.ok(key.ok, key.ok ? '' : describeSshError(key.error));
        assert.deepEqual(key.value, { keyType: 'ssh-rsa', fingerprint: d.hostFingerprint('rsa') });
      } finally {
        await pool.close();
      }
    } finally {
      await d.dispose();
    }
  });
});

describe('ProxyJump through a second real sshd', { skip }, () => {
  let target: Sshd;
  let jump: Sshd;
  before(async () => {
    target = await Sshd.start({ alias: 'target' });
    jump = await Sshd.start({ alias: 'jump', extraConfig: [] });
  });
  after(async () => {
    await target?.dispose();
    await jump?.dispose();
  });

  test('reaches the target through the jump host, verifying both keys', async () => {
    const known = path.join(target.dir, 'both_known_hosts');
    fs.writeFileSync(known, target.knownHostsLines() + jump.knownHostsLines());
    fs.copyFileSync(target.userKey + '.pub', path.join(jump.dir, 'authorized_keys'));
    const cfg = path.join(target.dir, 'jump_config');
    fs.writeFileSync(
      cfg,
      target.configBlock('via-jump', ['ProxyJump jump']).replace(target.knownHostsFile, known) +
        jump.configBlock('jump').replace(jump.userKey, target.userKey).replace(jump.knownHostsFile, known),
    );
    const pool = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: target.dir });
    try {
      const r = await pool.exec('via-jump', ['echo', 'through']);
      assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
      assert.equal(r.value.stdout, 'through\n');
      assert.equal(pool.stats().connectsStarted, 2);
      assert.equal(jump.acceptedLogins(), 1);
      assert.equal(target.acceptedLogins(), 1);
      // the jump sshd opened the forward to the target's port
      assert.match(jump.log(), new RegExp(`target 127\\.0\\.0\\.1 port ${target.port}`));
      const key = await pool.hostKey('via-jump');
      assert.ok(key.ok);
      assert.equal(key.value.fingerprint, target.hostFingerprint());
    } finally {
      await pool.close();
    }
  });

  test('a jump host with an unknown key stops the chain', async () => {
    const known = path.join(target.dir, 'target_only_known_hosts');
    fs.writeFileSync(known, target.knownHostsLines());
    fs.copyFileSync(target.userKey + '.pub', path.join(jump.dir, 'authorized_keys'));
    const cfg = path.join(target.dir, 'jump_config2');
    fs.writeFileSync(
      cfg,
      target.configBlock('via-jump', ['ProxyJump jump']).replace(target.knownHostsFile, known) +
        jump.configBlock('jump').replace(jump.userKey, target.userKey).replace(jump.knownHostsFile, known),
    );
    const pool = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: target.dir });
    try {
      const r = await pool.exec('via-jump', ['true']);
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'UnknownHostKey');
      assert.equal(r.error.kind === 'UnknownHostKey' && r.error.fingerprint, jump.hostFingerprint());
    } finally {
      await pool.close();
    }
  });
});
