import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from './errors';

/** Each command the lab runs, with the Debian package that provides it. */
const NEEDED: Array<[command: string, pkg: string]> = [
  ['ip', 'iproute2'],
  ['bash', 'bash'],
  ['nft', 'nftables'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['setsid', 'util-linux'],
  ['mount', 'mount'],
  ['useradd', 'passwd'],
  ['sshd', 'openssh-server'],
  ['ssh-keygen', 'openssh-client'],
  ['nginx', 'nginx'],
  ['sudo', 'sudo'],
  ['visudo', 'sudo'],
];

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a command in the standard system directories, or undefined. */
export function which(command: string): string | undefined {
  const dirs = [...SEARCH, ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const dir of dirs) {
    const p = path.join(dir, command);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** What stops the lab from running here, in words a person can act on; undefined when nothing. */
export function labUnavailableReason(): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('it must run as root (uid 0) to create namespaces, a bridge and nftables rules');
  const missing = NEEDED.filter(([cmd]) => !which(cmd));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    problems.push(`missing ${missing.map(([c]) => c).join(', ')}: apt-get install ${pkgs.join(' ')}`);
  }
  return problems.length ? `the lab needs root: ${problems.join('; ')}` : undefined;
}

/** Throws a LabError saying exactly what is missing when the lab cannot run here. */
export function requireRoot(): void {
  const reason = labUnavailableReason();
  if (reason) throw new LabError(reason);
}
