/**
 * The workbench as a person sees it, through Chromium (playwright-core, Debian's chromium):
 * the Plumbline sidebar rows for the lab hosts, the status bar, a Problems entry after a diff
 * run from the command palette, the code actions on that diagnostic, the Activity tree after the
 * extension-host suite's rollback, the status bar's risk while watching (with the policy's
 * approval modal), and the dashboard's charts. Screenshots go to test-results/editor/.
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

  /**
   * Runs a command through the palette. Once in CI the palette never listed a registered command
   * within 60 s (the cause was not visible in the log; focus moving mid-typing is the likely one):
   * a palette without the row after 15 s is closed and opened again, at most four times.
   */
  async function runCommand(title: string): Promise<void> {
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      await input.waitFor();
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ timeout: 15_000 });
        break;
      } catch (e) {
        if (attempt === 4) throw e;
        await page.keyboard.press('Escape');
      }
    }
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
  });

  it('offers the code actions of the drift diagnostic in the lightbulb menu', async () => {
    const line = fs.readFileSync(path.join(labDir!, 'deploy', 'nginx', 'app.conf'), 'utf8').split('\n').findIndex((l) => l.includes('proxy_connect_timeout 2s;')) + 1;
    assert.ok(line > 0);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('app.conf');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.conf' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .monaco-editor').first().waitFor();
    await page.keyboard.press('F1');
    await input.fill(`:${line}`);
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .monaco-editor .squiggly-warning').first().waitFor();
    const menu = page.locator('.action-widget');
    // The code actions at the cursor are computed after the diagnostic is drawn; a menu opened
    // before that holds only the generic entries. Open it until ours are there (bounded).
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+.');
      const ours = await menu
        .getByText('Show diff on web-2')
        .first()
        .waitFor({ timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (ours) break;
      assert.ok(attempt < 5, 'the lightbulb menu never offered the drift code actions');
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.fill(`:${line}`);
      await page.keyboard.press('Enter');
    }
    for (const title of ['Show diff on web-2', 'Roll back web-2', 'Switch web-2', 'Remediate web-2', 'Accept live state of web-2']) await menu.getByText(title).first().waitFor();
    await shot('code-actions');
    // The README's screenshot: sidebar, status bar, a diagnostic and its code actions.
    fs.mkdirSync(path.join(repo, 'media', 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(repo, 'media', 'screenshots', 'sidebar.png') });
    await page.keyboard.press('Escape');
  });

  it('lists the rollback of the extension-host suite in the Activity tree, newest first', async () => {
    await runCommand('Plumbline: Show Audit Log');
    const activity = page.locator('.pane', { hasText: 'Activity' });
    await activity.locator('.monaco-list-row', { hasText: 'web-3: rollback done' }).first().waitFor();
    await activity.locator('.monaco-list-row', { hasText: 'web-3: snapshot done' }).first().waitFor();
    await shot('activity');
  });

  it('shows the riskiest host and its tier in the status bar while watching, and asks before acting', async () => {
    await runCommand('Plumbline: Start Watching');
    const status = page.locator('.statusbar-item', { hasText: /lab: (minor|moderate) risk \(tier [12]\) on web-2/ }).first();
    await status.waitFor();
    assert.match((await status.innerText()).trim(), /lab: (minor|moderate) risk \(tier [12]\) on web-2/);
    await shot('watching');
    // Confirm mode: the policy's decision comes as a modal with the exact commands; decline it.
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'web-2' });
    await dialog.waitFor({ timeout: 90_000 });
    assert.match(await dialog.innerText(), /Approving runs these commands on the host, exactly:/);
    await shot('approval');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('opens the dashboard with live risk and metric charts', async () => {
    await runCommand('Plumbline: Open Dashboard');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await frame.locator('#hosts [data-host="web-2"] .state-drift').waitFor();
    await frame.locator('#hosts [data-host="web-2"] td', { hasText: 'app.files./etc/nginx/conf.d/app.conf' }).waitFor();
    await frame.locator('#charts [data-host="web-2"] [data-chart="risk"] canvas').waitFor();
    await frame.locator('#charts [data-host="web-2"] [data-chart="app.rssKiB"] canvas').waitFor();
    await frame.locator('#charts [data-host="web-2"] .u-title', { hasText: 'app RSS (KiB)' }).waitFor();
    await shot('dashboard');
    await runCommand('Plumbline: Stop Watching');
  });
});
