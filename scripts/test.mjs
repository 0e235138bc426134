// Runs the compiled tests with Node's own test runner: unit tests in parallel, then the lab
// tests (real sshd hosts in namespaces) one file at a time, then the editor tests in code-server.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const only = args.includes('--unit') ? ['unit'] : args.includes('--lab') ? ['lab'] : args.includes('--editor') ? ['editor'] : ['unit', 'lab', 'editor'];

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => join(dir, f))
    .sort();
}

let failed = false;
for (const suite of only) {
  if (suite === 'editor') {
    // The extension in a real VS Code (code-server) against lab hosts; see scripts/editor-test.mjs.
    const r = spawnSync(process.execPath, ['scripts/editor-test.mjs'], { stdio: 'inherit' });
    if (r.status !== 0) failed = true;
    continue;
  }
  const list = files(join('out', 'test', suite));
  if (list.length === 0) continue;
  const concurrency = suite === 'lab' ? '1' : '2';
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--enable-source-maps', ...list], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
