/**
 * The workbench as a person sees it, through Chromium (playwright-core, Debian's chromium):
 * the Plumbline sidebar rows for the lab hosts, the status bar, a Problems entry after a diff
 * run from the command palette, and the dashboard. Screenshots go to test-results/editor/.
 * Started by scripts/editor-test.mjs with code-server and the lab already up (the extension-host
 * suite has baselined every host by then).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { labExec } from '../../server/src/lab/lab';

const url = process.env.PLUMBLINE_EDITOR_URL;
const labDir = process.env.PLUMBLINE_LAB_DIR;
const results = process.env.PLUMBLINE_EDITOR_RESULTS ?? path.resolve('test-results/editor');
const repo = process.env.PLUMBLINE_REPO ?? path.resolve('.');
const skip = url && labDir ? undefined : 'run through `npm run test:editor` (needs code-server and the lab)';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_TIMEOUT = 60_000;

describe('Plumbline in the workbench (Chromium)', { skip }, () => {
  let browser: Browser;
  let page: Page;
  const shot = async (name: string) => page.screenshot({ path: path.join(results, `${name}.png`) });

  before(async () => {
    browser = await chromium.launch({ executablePath: process.env.PLUMBLINE_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    const q = new URLSearchParams({ folder: labDir!, payload: JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${new URL(url!).host}${repo}`]]) });
    await page.goto(`${url}/?${q.toString()}`);
    await page.locator('.monaco-workbench').waitFor();
  });

  after(async () => {
    await browser?.close();
  });

  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  }

  it('opens the Plumbline sidebar with a row per lab host', async () => {
    await page.locator('.activitybar [aria-label^="Plumbline"]').first().click();
    const tree = page.locator('.pane', { hasText: 'Environments' });
    for (const host of ['web-1', 'web-2', 'web-3']) await tree.locator('.monaco-list-row', { hasText: host }).first().waitFor();
    await tree.locator('.monaco-list-row', { hasText: 'lab' }).first().waitFor();
    await shot('sidebar');
  });

  it('shows the selected environment in the status bar', async () => {
    const item = page.locator('#plumbline\\.plumbline\\.plumbline\\.environment, .statusbar-item', { hasText: 'lab:' }).first();
    await item.waitFor();
    assert.match((await item.innerText()).trim(), /lab: 3 clean/);
  });

  it('runs Diff from the command palette and lists the drift in the Problems panel', async () => {
    const r = await labExec(labDir!, 'web-2', ['sed', '-i', 's/proxy_connect_timeout 2s;/proxy_connect_timeout 9s;/', '/etc/nginx/conf.d/app.conf']);
    assert.equal(r.code, 0, r.stderr);
    await runCommand('Plumbline: Diff Against Baseline');
    const tree = page.locator('.pane', { hasText: 'Environments' });
    await tree.locator('.monaco-list-row', { hasText: 'drift (medium)' }).first().waitFor();
    const status = page.locator('.statusbar-item', { hasText: 'lab:' }).first();
    await status.filter({ hasText: '1 drift (medium), 2 clean' }).waitFor();
    await runCommand('View: Focus Problems');
    const problems = page.locator('.markers-panel');
    await problems.locator('.monaco-list-row', { hasText: 'web-2: drifted from baseline v1 (medium)' }).first().waitFor();
    await problems.locator('.monaco-list-row', { hasText: 'app.conf' }).first().waitFor();
    await shot('problems');
    fs.mkdirSync(path.join(repo, 'media', 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(repo, 'media', 'screenshots', 'sidebar.png') });
  });

  it('opens the dashboard with the drift table', async () => {
    await runCommand('Plumbline: Open Dashboard');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await frame.locator('[data-host="web-2"] .state-drift').waitFor();
    await frame.locator('[data-host="web-2"] td', { hasText: 'app.files./etc/nginx/conf.d/app.conf' }).waitFor();
    await frame.locator('#risk', { hasText: 'Not scored yet' }).waitFor();
    await shot('dashboard');
  });
});
