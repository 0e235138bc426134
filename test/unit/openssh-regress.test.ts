/**
 * OpenSSH's own regression cases for ssh_config parsing (Debian's openssh-tests package,
 * /usr/lib/openssh/regress): each script runs as written against the real ssh, with $SSH a
 * wrapper that also compares every `ssh -F FILE -G HOST` it makes with Plumbline's ssh_config
 * layer on the same files at that moment. Prints cases compared, agreeing, explained and differing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const REGRESS = '/usr/lib/openssh/regress';
const SCRIPTS = ['cfginclude.sh', 'sshcfgparse.sh'];
const skip = (() => {
  if (fs.existsSync(path.join(REGRESS, 'cfginclude.sh'))) return undefined;
  if (process.env.CI) throw new Error(`OpenSSH's regression scripts are required in CI (apt-get install openssh-tests): ${REGRESS} is missing`);
  return `OpenSSH's regression scripts are not installed (apt-get install openssh-tests): skipped`;
})();

interface Result {
  argv: string[];
  verdict: 'agree' | 'differ' | 'explained' | 'skipped';
  differences?: string[];
  explanation?: string;
  why?: string;
}

describe("OpenSSH's regression cases against Plumbline's ssh_config layer", { skip }, () => {
  test(`${SCRIPTS.join(', ')}: every ssh -G they make, compared`, () => {
    const rows: Array<Record<string, string | number>> = [];
    const differ: Result[] = [];
    for (const script of SCRIPTS) {
      const obj = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-regress-'));
      const results = path.join(obj, 'results.jsonl');
      const wrapper = path.join(obj, 'ssh-wrapper');
      fs.writeFileSync(wrapper, `#!/bin/sh\n"${process.execPath}" "${path.join(__dirname, '..', 'support', 'regressCompare.js')}" "${results}" "$@"\nexec /usr/bin/ssh "$@"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(obj, 'ssh_config'), 'Host *\n\tUser regressuser\n');
      const shim = [
        'OBJ=$1; SCRIPT=$2',
        'SSH="$OBJ/ssh-wrapper"; REAL_SSH="$OBJ/ssh-wrapper"; USER=$(id -un); SSH_KEYTYPES="ssh-ed25519"',
        'fail() { echo "$*" >> "$OBJ/fails"; }; fatal() { fail "$@"; }',
        'verbose() { :; }; trace() { :; }',
        '. "$SCRIPT"',
      ].join('\n');
      const r = spawnSync('sh', ['-c', shim, 'regress-shim', obj, path.join(REGRESS, script)], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
      const fails = fs.existsSync(path.join(obj, 'fails')) ? fs.readFileSync(path.join(obj, 'fails'), 'utf8').trim().split('\n').filter(Boolean) : [];
      const got: Result[] = fs.existsSync(results) ? fs.readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Result) : [];
      const n = (v: Result['verdict']) => got.filter((x) => x.verdict === v).length;
      rows.push({ script, 'ssh -G calls': got.length, compared: got.length - n('skipped'), agree: n('agree'), explained: n('explained'), differ: n('differ'), skipped: n('skipped'), 'openssh own failures': fails.length });
      differ.push(...got.filter((x) => x.verdict === 'differ'));
      for (const x of got.filter((y) => y.verdict === 'explained')) console.log(`  explained (${script}): ${x.argv.join(' ')}: ${x.explanation}`);
      const skippedWhy = [...new Set(got.filter((x) => x.verdict === 'skipped').map((x) => x.why))];
      for (const w of skippedWhy) console.log(`  skipped (${script}): ${w}`);
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(got.length > 0, `${script} made no ssh -G call through the wrapper: ${r.stderr}`);
      fs.rmSync(obj, { recursive: true, force: true });
    }
    console.log("\nOpenSSH regression cases (ssh_config) compared with Plumbline's layer");
    console.table(rows);
    for (const d of differ) console.log(`  DIFFER ${d.argv.join(' ')}: ${(d.differences ?? []).join('; ')}`);
    assert.equal(differ.length, 0, `${differ.length} case(s) differ from ssh -G`);
  });
});
