/**
 * Entry of the extension-host test run: VS Code (code-server or desktop via @vscode/test-electron)
 * loads this module inside its extension host and calls `run()`. Results also go to the file
 * named in the run settings, so the harness reads them even when the host's console is not
 * forwarded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { runSettings } from './settings';

const UNTRUSTED_SUITE = 'untrusted.test.js';

export async function run(): Promise<void> {
  const settings = runSettings();
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec', ...(settings.grep ? { grep: settings.grep } : {}) });
  // Without a list: the restricted-mode suite in an untrusted workspace, the others in a trusted one.
  const files = settings.files ?? fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && (f === UNTRUSTED_SUITE) !== vscode.workspace.isTrusted);
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const results: Array<{ title: string; state: string; durationMs?: number; error?: string }> = [];
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (settings.resultsFile) fs.writeFileSync(settings.resultsFile, `${JSON.stringify({ failures, results }, null, 2)}\n`);
      if (failures > 0) reject(new Error(`${failures} editor test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', ...(t.duration !== undefined ? { durationMs: t.duration } : {}) }));
    runner.on('fail', (t, err: Error) => results.push({ title: t.fullTitle(), state: 'failed', error: err.stack ?? err.message }));
    runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'skipped' }));
  });
}
