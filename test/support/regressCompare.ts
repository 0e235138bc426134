/**
 * Run by the ssh wrapper that OpenSSH's regression scripts call as $SSH (test/unit/openssh-regress
 * .test.ts): for each `ssh -F FILE [-l USER] -G HOST`, compares Plumbline's ssh_config layer with
 * `ssh -G` on the same files at that moment, and appends one JSON line to the results file.
 * Invocations with options the config layer does not model (-o, -W, -p...) are recorded as skipped.
 */
import * as fs from 'node:fs';
import { compareWithSshG } from './sshDifferential';

async function main(): Promise<void> {
  const [results, ...argv] = process.argv.slice(2);
  let file: string | undefined;
  let user: string | undefined;
  let g = false;
  const other: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-F') file = argv[++i];
    else if (a.startsWith('-F') && a.length > 2) file = a.slice(2);
    else if (a === '-G') g = true;
    else if (a === '-GF') {
      g = true;
      file = argv[++i];
    } else if (a === '-l') user = argv[++i];
    else if (a.startsWith('-l') && a.length > 2) user = a.slice(2);
    else if (a.startsWith('-')) {
      other.push(a);
      if (/^-[oWpiJ]$/.test(a)) other.push(argv[++i]);
    } else positional.push(a);
  }
  const line = (o: Record<string, unknown>): void => fs.appendFileSync(results, `${JSON.stringify({ argv, ...o })}\n`);
  if (!g) return line({ verdict: 'skipped', why: 'not ssh -G' });
  if (!file || file === 'none') return line({ verdict: 'skipped', why: 'no config file (-F none)' });
  if (other.length > 0 || positional.length !== 1) return line({ verdict: 'skipped', why: `command-line options the config layer does not take: ${other.join(' ') || positional.slice(1).join(' ')}` });
  const c = await compareWithSshG(file, positional[0], user !== undefined ? { user } : {});
  line({ ...c });
}

void main();
