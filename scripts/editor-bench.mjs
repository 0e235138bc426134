// `npm run bench:activation`: activation cost in a real VS Code (code-server), several fresh
// extension hosts in a row. Each run opens a new workbench window whose extension host loads
// out/test/editor/bench/activation.js, which shows the sidebar and writes the extension's own
// timings. Prints a table and writes bench-results/activation.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runExtensionTests } from './editor-harness.mjs';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runActivationBench({ browser, server, labDir, root, runs, log }) {
  const rows = [];
  const benchFile = path.join(labDir, '.activation.json');
  for (let i = 0; i < runs; i++) {
    fs.rmSync(benchFile, { force: true });
    fs.writeFileSync(path.join(labDir, '.plumbline-editor-test.json'), JSON.stringify({ labDir, benchFile }));
    const wall = performance.now();
    const code = await runExtensionTests({ browser, server, folder: labDir, extensionPath: root, testsPath: path.join(root, 'out/test/editor/bench/activation.js'), timeoutMs: 120_000 });
    if (code !== 0 || !fs.existsSync(benchFile)) throw new Error(`activation run ${i + 1} failed (exit ${code})`);
    const r = JSON.parse(fs.readFileSync(benchFile, 'utf8'));
    rows.push({ ...r, windowToExitMs: performance.now() - wall });
    log(`run ${i + 1}/${runs}: activate ${r.activationMs.toFixed(1)} ms, first tree render ${r.activationToFirstTreeRenderMs.toFixed(1)} ms`);
  }
  const summary = {
    runs,
    activationMs: { median: median(rows.map((r) => r.activationMs)), min: Math.min(...rows.map((r) => r.activationMs)), max: Math.max(...rows.map((r) => r.activationMs)) },
    activationToFirstTreeRenderMs: {
      median: median(rows.map((r) => r.activationToFirstTreeRenderMs)),
      min: Math.min(...rows.map((r) => r.activationToFirstTreeRenderMs)),
      max: Math.max(...rows.map((r) => r.activationToFirstTreeRenderMs)),
    },
    windowOpenToTestExitMs: { median: median(rows.map((r) => r.windowToExitMs)) },
    clientBundleBytes: fs.statSync(path.join(root, 'dist/client.js')).size,
    editor: 'code-server (VS Code web, Node extension host)',
    perRun: rows,
  };
  const table = [
    ['metric', 'median ms', 'min ms', 'max ms'],
    ['activate() (extension own)', summary.activationMs.median, summary.activationMs.min, summary.activationMs.max],
    ['activation → first tree render', summary.activationToFirstTreeRenderMs.median, summary.activationToFirstTreeRenderMs.min, summary.activationToFirstTreeRenderMs.max],
  ];
  console.log(`activation over ${runs} fresh extension hosts (lab workspace, 3 hosts)`);
  for (const r of table) console.log(r.map((c, j) => (typeof c === 'number' ? c.toFixed(1) : c).padEnd(j === 0 ? 34 : 12)).join(''));
  const dir = path.resolve(process.env.PLUMBLINE_BENCH_DIR ?? path.join(root, 'bench-results'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'activation.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${path.join(dir, 'activation.json')}`);
}
