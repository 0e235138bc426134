// One esbuild script for every shipped bundle: the extension client, the LSP server and the CLI.
import { build } from 'esbuild';

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
};

await Promise.all([
  build({ ...common, entryPoints: { cli: 'server/src/cli/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { server: 'server/src/server.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist' }),
]);
