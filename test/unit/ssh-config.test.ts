import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeSshError } from '../../server/src/ssh/errors';
import { parseHostSpec, resolveHost, type ResolvedHost } from '../../server/src/ssh/sshConfig';

describe('resolveHost', () => {
  let home: string;
  let cfg: string;
  const write = (rel: string, text: string): string => {
    const f = path.join(home, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
  };
  const resolve = (spec: string, configFile = cfg): ResolvedHost => {
    const r = resolveHost(spec, { configFile, homeDir: home, localUser: 'me' });
    assert.ok(r.ok, r.ok ? '' : describeSshError(r.error));
    return r.value;
  };

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sshcfg-'));
    write('.ssh/id_ed25519', 'not really a key');
    write('.ssh/conf.d/10-web.conf', ['Host web-*', '  User deploy', '  Port 2201', ''].join('\n'));
    write('.ssh/conf.d/20-all.conf', ['Host web-1', '  User ignored-later-value', '  HostName web-1.internal', ''].join('\n'));
    write('.ssh/conf.d/README', 'Host web-1\n  Port 9999\n'); // not matched by the *.conf glob
    cfg = write(
      '.ssh/config',
      [
        'Include conf.d/*.conf',
        '',
        'Host web-1',
        '  Port 2299', // Port already obtained from the include above: first value wins
        '  IdentityFile ~/.ssh/id_%h_%r',
        '  IdentityFile %d/keys/%u-%p',
        '  UserKnownHostsFile ~/.ssh/kh_%h %d/kh2',
        '  StrictHostKeyChecking no',
        '  ServerAliveInterval 5',
        '  ConnectTimeout 7',
        '',
        'Host db',
        '  HostName 10.0.0.5',
        '  ProxyJump bastion,deploy@web-1:2022',
        '  HostKeyAlias db-stable',
        '',
        'Host bastion',
        '  HostName bastion.example.com',
        '  User jump',
        '  ProxyJump outer',
        '',
        'Host outer',
        '  HostName outer.example.com',
        '',
        'Host direct',
        '  ProxyJump none',
        '',
        'Host pc',
        '  ProxyCommand nc %h %p',
        '',
        'Host *.lab !skip.lab',
        '  User labuser',
        '',
        'Host h?',
        '  User single',
        '',
        'Host *',
        '  User fallback',
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  test('Include with a glob, first obtained value wins, tokens and ~', () => {
    const r = resolve('web-1');
    assert.equal(r.alias, 'web-1');
    assert.equal(r.hostname, 'web-1.internal');
    assert.equal(r.user, 'deploy');
    assert.equal(r.port, 2201);
    assert.deepEqual(r.identityFiles, [
      { path: path.join(home, '.ssh/id_web-1.internal_deploy'), exists: false, isDefault: false },
      { path: path.join(home, 'keys/me-2201'), exists: false, isDefault: false },
    ]);
    assert.deepEqual(r.userKnownHostsFiles, [path.join(home, '.ssh/kh_web-1.internal'), path.join(home, 'kh2')]);
    assert.equal(r.strictHostKeyChecking, 'no');
    assert.equal(r.serverAliveIntervalMs, 5000);
    assert.equal(r.connectTimeoutMs, 7000);
    assert.equal(r.identitiesOnly, true);
    assert.equal(r.proxyJump, undefined);
  });

  test('defaults: current user from options, port 22, default identities flagged by existence', () => {
    const r = resolve('plain.example.org');
    assert.equal(r.hostname, 'plain.example.org');
    assert.equal(r.port, 22);
    assert.equal(r.user, 'fallback');
    assert.deepEqual(
      r.identityFiles.map((f) => [path.basename(f.path), f.exists, f.isDefault]),
      [
        ['id_ed25519', true, true],
        ['id_ecdsa', false, true],
        ['id_rsa', false, true],
      ],
    );
    assert.deepEqual(r.userKnownHostsFiles, [path.join(home, '.ssh/known_hosts'), path.join(home, '.ssh/known_hosts2')]);
    const none = resolveHost('x', { configFile: write('empty_config', ''), homeDir: home, localUser: 'me' });
    assert.ok(none.ok);
    assert.equal(none.value.user, 'me');
  });

  test('user@host:port in the spec wins over the config', () => {
    const r = resolve('root@web-1:2022');
    assert.equal(r.user, 'root');
    assert.equal(r.port, 2022);
    assert.equal(r.hostname, 'web-1.internal');
    assert.deepEqual(parseHostSpec('[::1]:2200'), { host: '::1', port: 2200 });
    assert.equal(parseHostSpec('a b'), undefined);
    assert.equal(parseHostSpec('host:99999'), undefined);
  });

  test('Host patterns: negation and ? as exactly one character', () => {
    assert.equal(resolve('a.lab').user, 'labuser');
    assert.equal(resolve('skip.lab').user, 'fallback');
    assert.equal(resolve('h1').user, 'single');
    assert.equal(resolve('h12').user, 'fallback');
  });

  test('ProxyJump: comma-separated hops, each resolved through the same config', () => {
    const r = resolve('db');
    assert.equal(r.hostname, '10.0.0.5');
    assert.equal(r.hostKeyAlias, 'db-stable');
    assert.ok(r.proxyJump);
    assert.equal(r.proxyJump.length, 2);
    const [bastion, web] = r.proxyJump;
    assert.equal(bastion.hostname, 'bastion.example.com');
    assert.equal(bastion.user, 'jump');
    assert.equal(bastion.proxyJump?.[0].hostname, 'outer.example.com', 'the first hop keeps its own ProxyJump');
    assert.equal(web.hostname, 'web-1.internal');
    assert.equal(web.user, 'deploy');
    assert.equal(web.port, 2022);
    assert.equal(resolve('direct').proxyJump, undefined, 'ProxyJump none');
  });

  test('ProxyCommand is refused rather than ignored', () => {
    const r = resolveHost('pc', { configFile: cfg, homeDir: home });
    assert.ok(!r.ok);
    assert.match(describeSshError(r.error), /ProxyCommand is not supported/);
  });

  test('ProxyJump loops end in a ConfigError', () => {
    const f = write('loop_config', 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n');
    const r = resolveHost('a', { configFile: f, homeDir: home });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'ConfigError');
  });

  test('a jump host reached through `Host *` ProxyJump naming itself is reached directly (OpenSSH: "jumphost loop")', () => {
    const f = write('bastion_config', 'Host bastion\n  HostName bastion.example.com\n  User jump\nHost *\n  ProxyJump bastion\n');
    const web = resolveHost('web-9', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(web.ok, web.ok ? '' : describeSshError(web.error));
    assert.equal(web.value.proxyJump?.length, 1);
    const [hop] = web.value.proxyJump;
    assert.equal(hop.hostname, 'bastion.example.com');
    assert.equal(hop.user, 'jump');
    assert.equal(hop.proxyJump, undefined, 'the jump host is not reached through itself');
    const direct = resolveHost('bastion', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(direct.ok, direct.ok ? '' : describeSshError(direct.error));
    assert.equal(direct.value.proxyJump, undefined);
    assert.match(direct.value.warnings.join('\n'), /ProxyJump bastion names the host itself/);
    // Without a HostName of its own too (ssh -G says "jumphost loop via bastion" for the jump host).
    const g = write('bastion_config2', 'Host *\n  ProxyJump bastion\n');
    const viaBare = resolveHost('web-9', { configFile: g, homeDir: home, localUser: 'me' });
    assert.ok(viaBare.ok, viaBare.ok ? '' : describeSshError(viaBare.error));
    assert.equal(viaBare.value.proxyJump?.[0].hostname, 'bastion');
    assert.equal(viaBare.value.proxyJump?.[0].proxyJump, undefined);
  });

  test('Host patterns are case-sensitive against the name as typed; HostName is lowercased (as ssh -G does)', () => {
    const f = write('case_config', 'Host Web1\n  Port 2000\nHost web2\n  HostName MyHost.Example.COM\nMatch host myhost.example.com\n  User matched\n');
    const typedUpper = resolveHost('Web1', { configFile: f, homeDir: home, localUser: 'me' });
    const typedLower = resolveHost('web1', { configFile: f, homeDir: home, localUser: 'me' });
    const upper2 = resolveHost('WEB2', { configFile: f, homeDir: home, localUser: 'me' });
    const lower2 = resolveHost('web2', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(typedUpper.ok && typedLower.ok && upper2.ok && lower2.ok);
    assert.equal(typedUpper.value.port, 2000);
    assert.equal(typedUpper.value.hostname, 'web1');
    assert.equal(typedLower.value.port, 22, 'Host Web1 does not match web1');
    assert.equal(upper2.value.hostname, 'web2', 'Host web2 does not match WEB2');
    assert.equal(lower2.value.hostname, 'myhost.example.com');
    assert.equal(lower2.value.user, 'matched', 'Match host compares hostnames case-insensitively');
  });

  test('Match exec never runs; the block is skipped with a warning', () => {
    const marker = path.join(home, 'match-exec-ran');
    const f = write(
      'match_config',
      [
        `Match exec "touch ${marker}"`,
        '  User from-exec',
        `Match host web-* exec "touch ${marker}"`,
        '  Port 1',
        'Match originalhost m1',
        '  HostName 10.9.0.1',
        'Match host 10.9.* user ops',
        '  Port 2222',
        'Match all',
        '  User ops',
        '',
      ].join('\n'),
    );
    const r = resolveHost('web-3', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(r.ok);
    assert.equal(r.value.user, 'ops');
    assert.equal(r.value.port, 22);
    assert.equal(fs.existsSync(marker), false, 'Match exec must never run a command');
    assert.match(r.value.warnings.join('\n'), /Match exec" is never run/);
    // `Match host` sees the HostName obtained so far; `user` sees the user obtained so far.
    const m = resolveHost('ops@m1', { configFile: f, homeDir: home });
    assert.ok(m.ok);
    assert.equal(m.value.hostname, '10.9.0.1');
    assert.equal(m.value.port, 2222);
    assert.equal(fs.existsSync(marker), false);
  });

  test('Include inside a non-matching Host block does not apply', () => {
    write('inc_only_for_x', 'User from-include\nHost *\n  Port 4444\n');
    const f = write('cond_config', 'Host x\n  Include ~/inc_only_for_x\n');
    const other = resolveHost('y', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(other.ok);
    assert.equal(other.value.user, 'me');
    assert.equal(other.value.port, 22);
    const x = resolveHost('x', { configFile: f, homeDir: home, localUser: 'me' });
    assert.ok(x.ok);
    assert.equal(x.value.user, 'from-include');
    assert.equal(x.value.port, 4444);
  });

  test('a missing explicit config file is an error, a missing default is fine', () => {
    const r = resolveHost('h', { configFile: path.join(home, 'nope'), homeDir: home });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'ConfigError');
    const emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-nohome-'));
    try {
      const d = resolveHost('h', { homeDir: emptyHome, localUser: 'me' });
      assert.ok(d.ok);
      assert.equal(d.value.user, 'me');
    } finally {
      fs.rmSync(emptyHome, { recursive: true, force: true });
    }
  });

  test('unknown tokens are reported', () => {
    const f = write('tok_config', 'Host t\n  IdentityFile ~/.ssh/%Z\n');
    const r = resolveHost('t', { configFile: f, homeDir: home });
    assert.ok(!r.ok);
    assert.match(describeSshError(r.error), /%Z/);
  });
});
