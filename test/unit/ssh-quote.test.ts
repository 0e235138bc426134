import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { shellCommand, shellQuote } from '../../server/src/ssh/quote';

const HOSTILE = [
  '',
  ' ',
  "it's",
  "''",
  '"double"',
  '$(touch /tmp/plumbline-pwned)',
  '`id`',
  '$HOME',
  '${IFS}',
  'a;b',
  'a&&b',
  'a|b',
  '> /tmp/x',
  '*',
  '~',
  '~root',
  '-n',
  'A=b',
  'line1\nline2',
  '\ttab',
  'back\\slash',
  '\\',
  "'\\''",
  'ünïcødé ✓',
  '#comment',
  '!',
  '\r\n',
];

/** Runs the quoted command through a real POSIX shell and reads argv back NUL-separated. */
function roundTrip(shell: string, args: string[]): string[] {
  const cmd = shellCommand(['printf', '%s\\0', ...args]);
  const r = spawnSync(shell, ['-c', cmd], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

for (const shell of ['sh', 'bash', 'dash']) {
  const skip = spawnSync(shell, ['-c', 'true']).error ? `${shell} is not installed` : undefined;
  test(`hostile arguments reach ${shell} intact`, { skip }, () => {
    assert.deepEqual(roundTrip(shell, HOSTILE), HOSTILE);
    for (const a of HOSTILE) assert.deepEqual(roundTrip(shell, [a]), [a], JSON.stringify(a));
  });
}

test('an assignment-looking first word is still a command name', () => {
  const r = spawnSync('sh', ['-c', shellCommand(['A=b', 'true'])], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'A=b must be looked up as a command, not applied as an assignment');
});

test('plain words stay readable, everything else is single-quoted', () => {
  assert.equal(shellQuote('uname'), 'uname');
  assert.equal(shellQuote('/srv/app/current'), '/srv/app/current');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote('$(x)'), "'$(x)'");
  assert.equal(shellCommand(['ls', '-l', 'my file']), "ls -l 'my file'");
});

test('NUL bytes and empty argv are refused', () => {
  assert.throws(() => shellQuote('a\0b'), /NUL/);
  assert.throws(() => shellCommand([]), /empty/);
});
