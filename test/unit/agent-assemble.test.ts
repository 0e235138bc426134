import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { agentScript, agentScriptPath } from '../../server/src/fingerprint/agent';
import { packageRoot } from '../../server/src/common/paths';

/**
 * The agent is written as modules (agent/src/) and sent as one script (dist/plumbline-agent.sh,
 * assembled by scripts/build.mjs). The behaviour tests (agent.capture, agent-stream) run the
 * assembled script; these check the assembly itself.
 */

const root = packageRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-assemble-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs scripts/agent-assemble.mjs on `srcDir`: the text, or the error it threw. */
function assemble(srcDir: string): { text: string; error: string } {
  const code = `import { assembleAgent } from ${JSON.stringify(path.join(root, 'scripts', 'agent-assemble.mjs'))};
try { process.stdout.write(assembleAgent(process.argv[1])); } catch (e) { process.stderr.write(e.message); process.exit(1); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, srcDir], { encoding: 'utf8' });
  return { text: r.status === 0 ? r.stdout : '', error: r.status === 0 ? '' : r.stderr };
}

function copySrc(): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'src-'));
  fs.cpSync(path.join(root, 'agent', 'src'), dir, { recursive: true });
  return dir;
}

describe('agent assembly', () => {
  test('the shipped script is the assembly of the current modules (no stale dist/)', () => {
    const r = assemble(path.join(root, 'agent', 'src'));
    assert.equal(r.error, '');
    assert.ok(agentScript() === r.text, `${agentScriptPath()} differs from agent/src/: run npm run build`);
    assert.ok(r.text.startsWith('#!/bin/sh\n'));
    // Each awk program arrived whole, as one single-quoted shell word.
    for (const name of ['PL_AWK_LIB', 'PL_AWK', 'PL_SAWK']) assert.match(r.text, new RegExp(`^${name}='$`, 'm'), name);
  });

  for (const shell of [['dash'], ['bash', '--posix'], ['busybox', 'sh']]) {
    test(`${shell.join(' ')} -n accepts the assembled script`, () => {
      const [file, ...pre] = shell;
      const r = spawnSync(file, [...pre, '-n', agentScriptPath()], { encoding: 'utf8' });
      assert.equal(r.error, undefined, `${file}: ${String(r.error)}`);
      assert.equal(r.status, 0, r.stderr);
    });
  }

  test('an awk module with a single quote is refused by name (it would end the shell word)', () => {
    const dir = copySrc();
    fs.appendFileSync(path.join(dir, 'lib.awk'), "# it's\n");
    assert.match(assemble(dir).error, /lib\.awk contains a single quote/);
  });

  test('a module the assembly does not list is refused, so none is forgotten', () => {
    const dir = copySrc();
    fs.writeFileSync(path.join(dir, 'extra.sh'), 'pl_extra() { :; }\n');
    assert.match(assemble(dir).error, /does not use: extra\.sh/);
  });

  test('an unknown directive is refused', () => {
    const dir = copySrc();
    fs.appendFileSync(path.join(dir, 'main.sh'), '#@include other.sh\n');
    assert.match(assemble(dir).error, /unknown directive/);
  });
});
