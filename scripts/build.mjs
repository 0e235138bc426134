// One esbuild script for every shipped bundle: the extension client, the LSP server and the CLI,
// and the agent script assembled from its modules.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { assembleAgent } from './agent-assemble.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ssh2's native helpers (cpu-features, sshcrypto.node) are optional speed-ups; Plumbline runs
  // without them everywhere, so the bundles never carry native code.
  external: ['vscode', 'cpu-features', '*.node'],
  // tfjs backends register themselves on import, yet their package.json marks them side-effect
  // free; honouring that would drop the cpu backend from the bundles.
  ignoreAnnotations: true,
  // backend.ts resolves the tfjs wasm folder only when dist/wasm is missing (a source checkout).
  logOverride: { 'require-resolve-not-external': 'silent' },
};

await Promise.all([
  build({ ...common, entryPoints: { cli: 'server/src/cli/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { server: 'server/src/server.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist' }),
]);

// The agent: one text sent to hosts as a `sh -c` argument (server/src/fingerprint/agent.ts reads it here).
mkdirSync('dist', { recursive: true });
writeFileSync('dist/plumbline-agent.sh', assembleAgent('agent/src'));
chmodSync('dist/plumbline-agent.sh', 0o755);

// tfjs's WASM binaries ship beside the bundles (server/src/detect/model/backend.ts looks in dist/wasm).
const wasmSrc = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
mkdirSync('dist/wasm', { recursive: true });
// Single-threaded only (backend.ts turns threads off), so the threaded build is left out.
for (const f of readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm') && !f.includes('threaded'))) cpSync(`${wasmSrc}/${f}`, `dist/wasm/${f}`);

// uPlot draws the dashboard's charts; the webview loads it from media/ (its only resource root).
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) cpSync(`node_modules/uplot/dist/${f}`, `media/${f}`);
