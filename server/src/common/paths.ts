import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The folder holding Plumbline's package.json. Assets that ship beside the code (the agent
 * script, lab assets) are found from here, whether we run from `out/` (tests) or `dist/` (bundles).
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        if (JSON.parse(fs.readFileSync(candidate, 'utf8')).name === 'plumbline') return (cached = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find Plumbline's package.json above ${__dirname}`);
    dir = parent;
  }
}
