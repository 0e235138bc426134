// The same extension-host suite (out/test/editor/suite) in desktop VS Code via @vscode/test-electron,
// for machines that can download VS Code (not this project's CI: it cannot). Needs the lab, so root.
//   npm run build && node scripts/editor-test-electron.mjs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(import.meta.dirname, '..');
const { labUp, labDown, labUnavailableReason } = await import(path.join(root, 'out/server/src/lab/lab.js'));
const reason = labUnavailableReason();
if (reason) {
  console.error(`cannot run: ${reason}`);
  process.exit(1);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-electron-'));
const labDir = path.join(work, 'lab');
let code = 1;
try {
  await labUp({ dir: labDir, hosts: 3 });
  const resultsFile = path.join(root, 'test-results', 'editor', 'extension-host-electron.json');
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(path.join(labDir, '.plumbline-editor-test.json'), JSON.stringify({ labDir, resultsFile }));
  code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/test/editor/suite/index.js'),
    launchArgs: [labDir, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(work, 'user-data')],
  });
} catch (e) {
  console.error(`test-electron run failed: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  await labDown({ dir: labDir }).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
