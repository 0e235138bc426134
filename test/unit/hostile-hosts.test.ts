/**
 * Hostile hosts, each a real sshd whose every session runs one program (ForceCommand): huge
 * output, binary garbage, terminal escape sequences, a slow drip, a host that never answers, and a
 * host key that changes mid-session. Through the real CLI and the SSH pool: each host gets a clear
 * error of its own, the others are unaffected, nothing crashes, the terminal is never driven.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostStream } from '../../server/src/monitor/hostStream';
import { describeSshError } from '../../server/src/ssh/errors';
import { SshPool } from '../../server/src/ssh/pool';
import { runCli } from '../support/cli';
import { freePort, Sshd, sshdSkipReason } from '../support/sshd';

const skip = sshdSkipReason();

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const PROGRAMS: Record<string, string> = {
  garbage: 'head -c 200000 /dev/urandom',
  escapes: `printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\302\\233\\342\\200\\256txt.exe\\n'; printf '\\033[1;1Hfake prompt\\n' >&2; exit 1`,
  huge: 'head -c 70000000 /dev/zero',
  drip: 'while :; do printf x; sleep 0.2; done',
};

interface Row {
  case: string;
  expected: string;
  got: string;
  pass: boolean;
}

describe('hostile hosts', { skip }, () => {
  const hosts = new Map<string, Sshd>();
  let dir: string;
  let cfg: string;
  let yaml: string;
  let silent: net.Server;
  let silentPort: number;
  const held: net.Socket[] = [];
  const rows: Row[] = [];
  const record = (r: Row): void => {
    rows.push(r);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-hostile-'));
    for (const [name, program] of Object.entries(PROGRAMS)) {
      hosts.set(name, await Sshd.start({ alias: name, extraConfig: [`ForceCommand ${program}`] }));
    }
    const rekeyed = await Sshd.start({ alias: 'rekeyed' });
    hosts.set('rekeyed', rekeyed);
    // The host was reinstalled: new keys, known_hosts still has the old one.
    rekeyed.generateHostKeys();
    await rekeyed.restart();
    silentPort = await freePort();
    silent = net.createServer((s) => held.push(s)); // accepts, never says a word
    await new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', r));
    cfg = path.join(dir, 'ssh_config');
    fs.writeFileSync(
      cfg,
      [...hosts.values()].map((h) => h.configBlock()).join('\n') +
        `Host silent\n  HostName 127.0.0.1\n  Port ${silentPort}\n  User root\n  ConnectTimeout 2\n  UserKnownHostsFile ${path.join(dir, 'none')}\n`,
    );
    yaml = path.join(dir, 'plumbline.yaml');
    fs.writeFileSync(yaml, 'environments:\n  hostile:\n    hosts: [garbage, escapes, huge, rekeyed, silent]\n');
  });

  after(async () => {
    console.log('\nhostile hosts');
    console.table(rows);
    for (const s of held) s.destroy();
    silent?.close();
    for (const h of hosts.values()) await h.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '--config', yaml, '--data', path.join(dir, 'data'), '--ssh-config', cfg]);

  test('diff: every hostile host gets its own clear error; output stays printable; no "no drift" claim', async () => {
    const json = await cli('diff', 'hostile', '--json');
    assert.equal(json.code, 2, json.stderr);
    const out = JSON.parse(json.stdout) as { hosts: Array<{ host: string; status: string; error?: { kind: string; message: string } }> };
    const kind = (h: string) => out.hosts.find((x) => x.host === h)?.error?.kind;
    const expect: Record<string, RegExp> = { garbage: /Malformed|AgentFailed|Capture/i, escapes: /Malformed|AgentFailed|Capture/i, huge: /OutputTooLarge/, rekeyed: /HostKeyMismatch/, silent: /Timeout/ };
    for (const [h, re] of Object.entries(expect)) {
      const got = kind(h) ?? 'ok';
      record({ case: `diff: ${h}`, expected: re.source, got, pass: re.test(got) });
      assert.match(got, re, `${h}: ${JSON.stringify(out.hosts.find((x) => x.host === h))}`);
    }
    const text = await cli('diff', 'hostile');
    const raw = RAW_CONTROL.test(text.stdout) || RAW_CONTROL.test(text.stderr);
    record({ case: 'diff: terminal escapes from hosts', expected: 'none raw on stdout/stderr', got: raw ? 'RAW CONTROL CHARACTERS' : 'escaped', pass: !raw });
    assert.ok(!raw, JSON.stringify(text.stderr.slice(0, 2000)));
    assert.match(text.stderr, /\\u\{1b\}\]0;pwned|\\u\{1b\}/, 'the escape is shown, visibly');
    const claims = /no drift/.test(text.stdout);
    record({ case: 'diff: every host failed', expected: 'no "no drift" claim', got: text.stdout.trim().split('\n')[0], pass: !claims });
    assert.ok(!claims, text.stdout);
    assert.match(text.stdout, /nothing compared/);
  });

  test('hosts: a refused (changed) host key is never reported ok', async () => {
    const r = await cli('hosts', 'hostile');
    assert.equal(r.code, 2);
    const line = r.stderr.split('\n').find((l) => / rekeyed /.test(l)) ?? '';
    record({ case: 'hosts: changed host key', expected: 'FAILED (HostKeyMismatch), not ok', got: line.slice(0, 80), pass: /FAILED/.test(line) && !/ ok /.test(line) });
    assert.match(line, /FAILED/);
    assert.doesNotMatch(line, / ok /);
    assert.match(r.stdout, /rekeyed\s+NO \(HostKeyMismatch\)/);
  });

  test('a slow drip: an exec times out, a stream is found stalled; neither hangs', async () => {
    const pool = new SshPool({ sshConfigFile: cfg, agentSocket: '', homeDir: dir });
    try {
      const r = await pool.exec('drip', ['anything'], { timeoutMs: 1500 });
      const got = r.ok ? `ok ${r.value.stdout.length} bytes` : r.error.kind;
      record({ case: 'drip: exec', expected: 'Timeout', got, pass: got === 'Timeout' });
      assert.equal(got, 'Timeout');
      const stream = new HostStream({ host: 'drip', opener: pool, argv: () => ['agent'], source: 'stream', intervalMs: 1000, stallMs: 1500, backoff: { baseMs: 60_000, capMs: 60_000 } });
      const state = new Promise<string>((resolve) => stream.on('state', (s) => s.kind === 'backoff' && resolve(s.error)));
      stream.start();
      const why = await state;
      await stream.stop();
      record({ case: 'drip: stream', expected: 'stalled, reconnect later', got: why.slice(0, 60), pass: /no sample for/.test(why) });
      assert.match(why, /no sample for/);
    } finally {
      await pool.close();
    }
  });

  test('a host key that changes mid-session: the next connection is refused with both fingerprints', async () => {
    const d = await Sshd.start({ alias: 'midway' });
    const c = path.join(dir, 'midway_config');
    fs.writeFileSync(c, d.configBlock());
    const pool = new SshPool({ sshConfigFile: c, agentSocket: '', homeDir: dir });
    try {
      const first = await pool.exec('midway', ['echo', 'hello']);
      assert.ok(first.ok, first.ok ? '' : describeSshError(first.error));
      const oldFp = d.hostFingerprint();
      // The session is cut (a reboot), and the host comes back with new keys.
      assert.ok(d.dropConnections() > 0, 'the pooled connection was cut');
      d.generateHostKeys();
      await d.restart();
      let r = await pool.exec('midway', ['echo', 'again']);
      // The dropped connection may surface once as a channel error before the reconnect.
      if (!r.ok && r.error.kind === 'ChannelError') r = await pool.exec('midway', ['echo', 'again']);
      const got = r.ok ? 'ACCEPTED' : r.error.kind;
      record({ case: 'host key changes mid-session', expected: 'HostKeyMismatch', got, pass: got === 'HostKeyMismatch' });
      assert.equal(got, 'HostKeyMismatch');
      const text = r.ok ? '' : describeSshError(r.error);
      assert.ok(text.includes(oldFp) && text.includes(d.hostFingerprint()), text);
    } finally {
      await pool.close();
      await d.dispose();
    }
  });
});
