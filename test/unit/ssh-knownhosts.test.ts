import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  knownHostsName,
  parseKnownHosts,
} from '../../server/src/ssh/knownHosts';
import { wildcardMatch } from '../../server/src/ssh/wildcard';
import { keygenFingerprint, run } from '../support/sshd';

const skip = (() => {
  if (!spawnSync('ssh-keygen', ['-?']).error) return undefined;
  if (process.env.CI) throw new Error('ssh-keygen is required in CI (apt-get install openssh-client)');
  return 'ssh-keygen is not installed (apt-get install openssh-client)';
})();

describe('known_hosts', { skip }, () => {
  let dir: string;
  const keys: Record<string, { line: string; type: string; blob: Buffer; pub: string }> = {};

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-kh-'));
    for (const [name, type] of [
      ['ed', 'ed25519'],
      ['ed2', 'ed25519'],
      ['rsa', 'rsa'],
      ['ecdsa', 'ecdsa'],
    ] as const) {
      const f = path.join(dir, name);
      run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', f]);
      const pub = fs.readFileSync(f + '.pub', 'utf8').trim().split(' ');
      keys[name] = { line: `${pub[0]} ${pub[1]}`, type: pub[0], blob: Buffer.from(pub[1], 'base64'), pub: f + '.pub' };
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fingerprints equal ssh-keygen -lf for every key type', () => {
    for (const k of Object.values(keys)) assert.equal(fingerprintSha256(k.blob), keygenFingerprint(k.pub));
  });

  test('plain names, comma lists, [host]:port and wildcards', () => {
    const f = path.join(dir, 'plain');
    fs.writeFileSync(
      f,
      [
        '# comment',
        '',
        `web-1,10.0.0.1 ${keys.ed.line}`,
        `[web-2]:2222 ${keys.rsa.line}`,
        `*.example.com,!bad.example.com ${keys.ecdsa.line}`,
        `db?? ${keys.ed2.line}`,
        'garbage line',
      ].join('\n'),
    );
    const c = (h: string, p: number, k: keyof typeof keys) => checkHostKey([f], h, p, keys[k].type, keys[k].blob).status;
    assert.equal(c('web-1', 22, 'ed'), 'match');
    assert.equal(c('10.0.0.1', 22, 'ed'), 'match');
    assert.equal(c('WEB-1', 22, 'ed'), 'match', 'host names are case-insensitive');
    assert.equal(c('web-1', 2200, 'ed'), 'unknown', 'another port is another entry');
    assert.equal(c('web-2', 2222, 'rsa'), 'match');
    assert.equal(c('web-2', 22, 'rsa'), 'unknown');
    assert.equal(c('a.example.com', 22, 'ecdsa'), 'match');
    assert.equal(c('bad.example.com', 22, 'ecdsa'), 'unknown', 'negation wins');
    assert.equal(c('db01', 22, 'ed2'), 'match');
    assert.equal(c('db1', 22, 'ed2'), 'unknown', '? is exactly one character');
    assert.equal(parseKnownHosts(fs.readFileSync(f, 'utf8'), f).notes.length, 1);
  });

  test('a different key of the known type is a mismatch naming file, line and fingerprint', () => {
    const f = path.join(dir, 'mismatch');
    fs.writeFileSync(f, `other ${keys.rsa.line}\nweb-1 ${keys.ed.line}\n`);
    const r = checkHostKey([f], 'web-1', 22, keys.ed2.type, keys.ed2.blob);
    assert.deepEqual(r, { status: 'mismatch', expected: [fingerprintSha256(keys.ed.blob)], expectedTypes: ['ssh-ed25519'], file: f, line: 2 });
    // Known only under another type: still refused (Plumbline runs unattended).
    assert.equal(checkHostKey([f], 'web-1', 22, keys.ecdsa.type, keys.ecdsa.blob).status, 'mismatch');
  });

  test('hashed entries written by ssh-keygen -H are found', () => {
    const f = path.join(dir, 'hashed');
    fs.writeFileSync(f, `web-1 ${keys.ed.line}\n[web-2]:2222 ${keys.rsa.line}\n`);
    run('ssh-keygen', ['-H', '-f', f]);
    const text = fs.readFileSync(f, 'utf8');
    assert.ok(!text.includes('web-1') && text.startsWith('|1|'), text);
    assert.equal(checkHostKey([f], 'web-1', 22, keys.ed.type, keys.ed.blob).status, 'match');
    assert.equal(checkHostKey([f], 'web-2', 2222, keys.rsa.type, keys.rsa.blob).status, 'match');
    assert.equal(checkHostKey([f], 'web-3', 22, keys.ed.type, keys.ed.blob).status, 'unknown');
    assert.equal(checkHostKey([f], 'web-1', 22, keys.ed2.type, keys.ed2.blob).status, 'mismatch');
  });

  test('@revoked refuses the key even when another line accepts it; @cert-authority is ignored with a note', () => {
    const f = path.join(dir, 'markers');
    fs.writeFileSync(f, `web-1 ${keys.ed.line}\n@revoked * ${keys.ed.line}\n@cert-authority *.corp ${keys.rsa.line}\n`);
    assert.deepEqual(checkHostKey([f], 'web-1', 22, keys.ed.type, keys.ed.blob), { status: 'revoked', file: f, line: 2 });
    const parsed = parseKnownHosts(fs.readFileSync(f, 'utf8'), f);
    assert.match(parsed.notes.join('\n'), /@cert-authority is not supported/);
    assert.equal(checkHostKey([f], 'x.corp', 22, keys.rsa.type, keys.rsa.blob).status, 'unknown');
  });

  test('HostKeyAlias replaces host and port in the lookup', () => {
    const f = path.join(dir, 'alias');
    fs.writeFileSync(f, `stable-name ${keys.ed.line}\n`);
    assert.equal(checkHostKey([f], '10.1.1.1', 2222, keys.ed.type, keys.ed.blob, { hostKeyAlias: 'stable-name' }).status, 'match');
    assert.equal(checkHostKey([f], '10.1.1.1', 2222, keys.ed.type, keys.ed.blob).status, 'unknown');
  });

  test('appendKnownHost writes a hashed line ssh-keygen -F finds, file 0600', () => {
    const f = path.join(dir, 'new', 'known_hosts');
    appendKnownHost(f, 'web-9', 2222, keys.ed.type, keys.ed.blob);
    fs.appendFileSync(f, `no-newline-at-end ${keys.rsa.line}`);
    appendKnownHost(f, 'web-10', 22, keys.ecdsa.type, keys.ecdsa.blob);
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(run('ssh-keygen', ['-F', '[web-9]:2222', '-f', f]), /ssh-ed25519/);
    assert.match(run('ssh-keygen', ['-F', 'web-10', '-f', f]), /ecdsa-sha2/);
    assert.equal(checkHostKey([f], 'web-9', 2222, keys.ed.type, keys.ed.blob).status, 'match');
  });

  test('missing files know nothing; names and wildcards', () => {
    assert.equal(checkHostKey([path.join(dir, 'nope')], 'h', 22, keys.ed.type, keys.ed.blob).status, 'unknown');
    assert.equal(knownHostsName('Web', 22), 'web');
    assert.equal(knownHostsName('web', 2222), '[web]:2222');
    assert.ok(wildcardMatch('[web-*]:2222', '[web-1]:2222'));
    assert.ok(wildcardMatch('WEB-?', 'web-1', true) && !wildcardMatch('WEB-?', 'web-1'), 'case folds only when asked');
    assert.ok(!wildcardMatch('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)), 'a hostile pattern ends quickly');
    assert.ok(!wildcardMatch('web.example.com', 'webXexample.com'), 'dots are literal');
  });
});
