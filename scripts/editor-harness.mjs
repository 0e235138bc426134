// A real VS Code for tests: code-server (headless Node extension host) driven by Debian's
// Chromium through playwright-core. Used by editor-test.mjs (mocha in the extension host, the
// Playwright UI test) and the activation benchmark. Nothing here sleeps: it waits on sockets,
// pages and callbacks.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './editor-setup.mjs';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server with everything inside `root` (user data, extensions, HOME, TMPDIR) and
 * resolves once it listens. Workspace trust is off in its user settings (the tests trust the lab)
 * unless `untrusted`: then trust is on, nothing is trusted and nobody is asked (restricted mode).
 */
export async function startCodeServer({ entry, root, env = {}, log = () => undefined, untrusted = false, userSettings = {}, machineSettings = {} }) {
  const dirs = Object.fromEntries(['home', 'tmp', 'user-data', 'extensions'].map((d) => [d, path.join(root, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const settings = path.join(dirs['user-data'], 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settings), { recursive: true });
  fs.writeFileSync(
    settings,
    JSON.stringify(
      {
        'security.workspace.trust.enabled': untrusted,
        ...(untrusted ? { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false, 'security.workspace.trust.banner': 'never' } : {}),
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'workbench.colorTheme': 'Default Dark Modern',
        ...userSettings,
      },
      null,
      2,
    ),
  );
  // Machine-scoped settings (plumbline.sshConfig and the like) are read from the remote machine's
  // settings in code-server, not from User settings: a person sets them there.
  const machine = path.join(dirs['user-data'], 'Machine', 'settings.json');
  fs.mkdirSync(path.dirname(machine), { recursive: true });
  fs.writeFileSync(machine, JSON.stringify(machineSettings, null, 2));
  const port = await freePort();
  const args = [
    entry,
    '--config', '/dev/null',
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', dirs.extensions,
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, HOME: dirs.home, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: path.join(dirs.home, '.config'), XDG_DATA_HOME: path.join(dirs.home, '.local', 'share') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = fs.createWriteStream(path.join(root, 'code-server.log'));
  const ready = new Promise((resolve, reject) => {
    const onData = (buf) => {
      const text = buf.toString();
      logFile.write(text);
      for (const line of text.split('\n')) if (line.trim()) log(line);
      if (/HTTP server listening on/i.test(text)) resolve(undefined);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`code-server exited before listening (${code ?? signal}); see ${path.join(root, 'code-server.log')}`)));
  });
  await withTimeout(ready, 60_000, 'code-server did not start listening within 60 s');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    /** The `vscode-remote://` form of a server-side path, as the workbench payload wants it. */
    remote: (p) => `vscode-remote://127.0.0.1:${port}${p}`,
    workbenchUrl(folder, payload) {
      const q = new URLSearchParams({ folder });
      if (payload) q.set('payload', JSON.stringify(payload));
      return `${url}/?${q.toString()}`;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'code-server did not stop').catch(() => child.kill('SIGKILL'));
      logFile.end();
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * Runs an extension test module inside code-server's extension host: opens the workbench with a
 * payload naming the extension under development and the tests, and resolves with the exit code
 * the workbench hands to `codeAutomationExit` when the tests finish.
 */
export async function runExtensionTests({ browser, server, folder, extensionPath, testsPath, timeoutMs = 300_000, onConsole = () => undefined }) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  let finish;
  const exited = new Promise((resolve) => (finish = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => {
    finish(Number(code));
  });
  page.on('console', (m) => onConsole(m.text()));
  page.on('pageerror', (e) => onConsole(`[page error] ${e.message}`));
  const payload = [
    ['extensionDevelopmentPath', server.remote(extensionPath)],
    ['extensionTestsPath', server.remote(testsPath)],
  ];
  // The tests report through codeAutomationExit; the page only has to start loading. A loaded
  // machine can take long to serve the workbench the first time, so the bound is generous.
  await page.goto(server.workbenchUrl(folder, payload), { waitUntil: 'domcontentloaded', timeout: 180_000 });
  try {
    return await withTimeout(exited, timeoutMs, `the extension tests did not finish within ${timeoutMs / 1000} s`);
  } finally {
    await context.close();
  }
}

export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
