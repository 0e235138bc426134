// `npm run test:editor`: the extension in a real VS Code (code-server) against real lab hosts.
//   1. installs code-server into a cache (scripts/editor-setup.mjs), brings up 3 lab hosts;
//   2. runs the mocha suite inside the extension host (out/test/editor/suite);
//   3. runs the Playwright UI test (out/test/editor/ui.test.js) with node:test.
// `--bench` instead measures activation (scripts/editor-bench.mjs does the timing table).
// In CI (CI set) missing prerequisites fail loudly; elsewhere the run is skipped with the reason.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, runExtensionTests, startCodeServer } from './editor-harness.mjs';
import { editorUnavailableReason, ensureCodeServer } from './editor-setup.mjs';

const root = path.resolve(import.meta.dirname, '..');
const started = Date.now();
const log = (line) => process.stderr.write(`[editor] ${line}\n`);
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

const { labUp, labDown, labUnavailableReason } = await import(path.join(root, 'out/server/src/lab/lab.js'));

const reason = editorUnavailableReason() ?? labUnavailableReason();
if (reason) {
  if (process.env.CI) {
    console.error(`editor tests must run in CI, but ${reason}`);
    process.exit(1);
  }
  console.log(`editor tests skipped: ${reason}`);
  process.exit(0);
}

const bench = process.argv.includes('--bench');
const cs = ensureCodeServer({ log });
log(`code-server ${cs.version} (${cs.cached ? 'cached' : 'installed'}) after ${seconds()}`);

const results = path.join(root, 'test-results', 'editor');
fs.rmSync(results, { recursive: true, force: true });
fs.mkdirSync(results, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-editor-'));
const labDir = path.join(work, 'lab');
let server;
let browser;
let failed = false;
try {
  await labUp({ dir: labDir, hosts: 3 });
  log(`lab up (3 hosts) after ${seconds()}`);
  // The person's machine setting (plumbline.yaml cannot choose the SSH config): the lab's ssh_config.
  server = await startCodeServer({ entry: cs.entry, root: path.join(work, 'code-server'), machineSettings: { 'plumbline.sshConfig': path.join(labDir, 'ssh_config') } });
  log(`code-server listening on ${server.url} after ${seconds()}`);
  browser = await launchBrowser();

  if (bench) {
    const { runActivationBench } = await import('./editor-bench.mjs');
    await runActivationBench({ browser, server, labDir, root, runs: Number(process.env.PLUMBLINE_BENCH_RUNS ?? 5), log });
  } else {
    // (0) Workspace Trust: the same lab workspace in restricted mode, in a code-server of its own
    // with trust enabled. Runs first, so "nothing connected" is checkable: no store exists yet.
    const untrustedResults = path.join(results, 'extension-host-untrusted.json');
    fs.writeFileSync(path.join(labDir, '.plumbline-editor-test.json'), JSON.stringify({ labDir, resultsFile: untrustedResults, files: ['untrusted.test.js'] }));
    const restricted = await startCodeServer({ entry: cs.entry, root: path.join(work, 'code-server-untrusted'), untrusted: true });
    const restrictedLog = fs.createWriteStream(path.join(results, 'extension-host-untrusted-console.log'));
    let untrustedCode;
    try {
      untrustedCode = await runExtensionTests({
        browser,
        server: restricted,
        folder: labDir,
        extensionPath: root,
        testsPath: path.join(root, 'out/test/editor/suite/index.js'),
        onConsole: (line) => restrictedLog.write(`${line}\n`),
      });
    } finally {
      restrictedLog.end();
      await restricted.stop();
    }
    const untrusted = fs.existsSync(untrustedResults) ? JSON.parse(fs.readFileSync(untrustedResults, 'utf8')) : undefined;
    for (const r of untrusted?.results ?? []) {
      console.log(`${r.state === 'passed' ? '✔' : r.state === 'skipped' ? '-' : '✖'} untrusted workspace › ${r.title}${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}`);
      if (r.error) console.log(r.error.replace(/^/gm, '    '));
    }
    if (!untrusted) console.log(`✖ untrusted workspace: no results written (exit code ${untrustedCode}); see ${path.join(results, 'extension-host-untrusted-console.log')}`);
    if (untrustedCode !== 0 || !untrusted || untrusted.failures > 0) failed = true;
    log(`untrusted-workspace suite exit ${untrustedCode} after ${seconds()}`);

    // (a) mocha inside the extension host.
    const resultsFile = path.join(results, 'extension-host.json');
    fs.writeFileSync(path.join(labDir, '.plumbline-editor-test.json'), JSON.stringify({ labDir, resultsFile, files: ['lab.test.js'] }));
    const hostLog = fs.createWriteStream(path.join(results, 'extension-host-console.log'));
    const code = await runExtensionTests({
      browser,
      server,
      folder: labDir,
      extensionPath: root,
      testsPath: path.join(root, 'out/test/editor/suite/index.js'),
      onConsole: (line) => hostLog.write(`${line}\n`),
    });
    hostLog.end();
    const report = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : undefined;
    for (const r of report?.results ?? []) {
      console.log(`${r.state === 'passed' ? '✔' : r.state === 'skipped' ? '-' : '✖'} extension host › ${r.title}${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}`);
      if (r.error) console.log(r.error.replace(/^/gm, '    '));
    }
    if (!report) console.log(`✖ extension host: no results written (exit code ${code}); see ${path.join(results, 'extension-host-console.log')}`);
    if (code !== 0 || !report || report.failures > 0) failed = true;
    log(`extension-host suite exit ${code} after ${seconds()}`);

    // (b) the UI through Chromium, as a person would use it.
    const ui = spawnSync(process.execPath, ['--test', '--enable-source-maps', path.join(root, 'out/test/editor/ui.test.js')], {
      stdio: 'inherit',
      env: { ...process.env, PLUMBLINE_EDITOR_URL: server.url, PLUMBLINE_LAB_DIR: labDir, PLUMBLINE_EDITOR_RESULTS: results, PLUMBLINE_REPO: root },
    });
    if (ui.status !== 0) failed = true;
    log(`UI test exit ${ui.status} after ${seconds()}`);
  }
} catch (e) {
  failed = true;
  console.error(`editor tests failed: ${e instanceof Error ? e.stack : String(e)}`);
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  await labDown({ dir: labDir }).catch((e) => console.error(`lab down: ${e}`));
  fs.rmSync(work, { recursive: true, force: true });
}
log(`total ${seconds()}`);
process.exit(failed ? 1 : 0);
