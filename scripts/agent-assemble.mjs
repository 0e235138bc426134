// Assembles the agent that is sent to hosts (dist/plumbline-agent.sh) from its modules in
// agent/src/. The agent travels as ONE `sh -c` argument, so it must be one text; the modules
// exist so that a reader finds collect, stream, install, health and capture by name.
//
// Shell modules are concatenated in MODULES order (top-level code runs in that order). A line
// `#@awk NAME FILE.awk` (a comment to sh, so a module stays valid shell on its own) becomes
// `NAME='<the awk program>'`: awk programs live in .awk files, and because they travel inside
// single quotes they may not contain one (write \047).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Shell modules, in the order their top-level code must run. */
export const MODULES = [
  'options.sh', // mode check, option parsing, facts every mode needs (systemd, hash command)
  'collect.sh', // capture's collectors: tagged /proc, /sys and command output for awk
  'health.sh', // the health probe over HTTP (capture)
  'capture.sh', // capture mode: collectors piped into one awk that prints the fingerprint
  'stream.sh', // stream mode: one awk for the whole run, one sample per interval
  'install.sh', // installed mode: install, run, supervise, follow, status, uninstall
  'main.sh', // dispatch on the mode word
];

const AWK_LINE = /^#@awk ([A-Z_][A-Z0-9_]*) ([a-z0-9_-]+\.awk)$/;

/** The assembled script's text, from the modules under `srcDir` (agent/src). Throws on a broken module set. */
export function assembleAgent(srcDir) {
  const present = readdirSync(srcDir).filter((f) => f.endsWith('.sh') || f.endsWith('.awk'));
  const used = new Set(MODULES);
  let out = '';
  for (const mod of MODULES) {
    const text = readFileSync(join(srcDir, mod), 'utf8');
    if (!text.endsWith('\n')) throw new Error(`agent/src/${mod} must end with a newline`);
    for (const line of text.slice(0, -1).split('\n')) {
      const m = AWK_LINE.exec(line);
      if (!m) {
        if (line.startsWith('#@')) throw new Error(`agent/src/${mod}: unknown directive ${JSON.stringify(line)}`);
        out += line + '\n';
        continue;
      }
      const [, name, file] = m;
      const awk = readFileSync(join(srcDir, file), 'utf8');
      if (awk.includes("'")) throw new Error(`agent/src/${file} contains a single quote; write \\047 (it travels inside '...')`);
      if (!awk.endsWith('\n')) throw new Error(`agent/src/${file} must end with a newline`);
      used.add(file);
      out += `${name}='\n${awk}'\n`;
    }
  }
  const unused = present.filter((f) => !used.has(f));
  if (unused.length > 0) throw new Error(`agent/src holds modules the assembly does not use: ${unused.join(', ')}`);
  if (!out.startsWith('#!/bin/sh\n')) throw new Error('the first module must start with #!/bin/sh (install checks it)');
  return out;
}
