import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Random ssh_config files from a seeded generator, for differential checks against `ssh -G`:
 * Host and Match blocks, negation, wildcards, capitals, Include (globs, absolute paths), `=` and
 * tab separators, tokens in IdentityFile and HostName, ProxyJump lists and `none`.
 */
export const NAMES = ['web1', 'Web1', 'db', 'bastion', 'Bastion', 'x.lab', 'api-2', 'h1', 'jump'];

export interface GeneratedConfig {
  file: string;
  lookups: string[];
}

export function generateConfig(r: () => number, dir: string, index: number): GeneratedConfig {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number): boolean => r() < p;
  const sep = (): string => pick([' ', ' ', '=', ' = ', '\t']);
  const pattern = (): string => {
    const base = pick([...NAMES, '*', 'web*', 'W*', '?b', '*.lab', 'h?', 'ba*on', 'API-*']);
    return chance(0.15) && base !== '*' ? `!${base}` : base;
  };
  const value = (key: string): string => {
    switch (key) {
      case 'HostName':
        return pick(['10.0.0.5', 'MyHost.Example.COM', '%h.internal', 'bastion', 'db.example.org', '%h', 'WEB1']);
      case 'Port':
        return String(pick([22, 2222, 2200, 1, 65535]));
      case 'User':
        return pick(['deploy', 'Ops', 'root', 'jump']);
      case 'IdentityFile':
        return pick(['~/.ssh/id_%h_%r', '%d/keys/%u-%p', '~/.ssh/k_%n', '/etc/keys/fixed', 'none', '~/.ssh/id_ed25519']);
      case 'ProxyJump':
        return pick(['bastion', 'jump', 'none', 'deploy@bastion:2222', 'jump,bastion', 'db', 'Bastion']);
      default:
        return '';
    }
  };
  const directives = (n: number): string[] =>
    Array.from({ length: n }, () => {
      const key = pick(['HostName', 'Port', 'User', 'IdentityFile', 'IdentityFile', 'ProxyJump']);
      return `  ${chance(0.2) ? key.toLowerCase() : key}${sep()}${value(key)}`;
    });
  const block = (includes: string[]): string[] => {
    const lines: string[] = [];
    if (chance(0.7)) lines.push(`Host${sep()}${Array.from({ length: 1 + Math.floor(r() * 2) }, pattern).join(' ')}`);
    else {
      const crit = pick(['host', 'originalhost', 'user', 'all', 'host', 'originalhost']);
      if (crit === 'all') lines.push('Match all');
      else {
        const arg = crit === 'user' ? pick(['deploy', 'Ops', 'root', 'r*']) : [pattern(), pattern()].filter((p) => !p.startsWith('!')).join(',') || '*';
        lines.push(`Match ${chance(0.2) ? '!' : ''}${crit} ${arg}`);
      }
    }
    lines.push(...directives(1 + Math.floor(r() * 3)));
    if (includes.length > 0 && chance(0.3)) lines.push(`  Include ${pick(includes)}`);
    return lines;
  };
  const incDir = path.join(dir, `inc${index}`);
  fs.mkdirSync(incDir, { recursive: true });
  const includes: string[] = [];
  for (let k = 0; k < 2; k++) {
    const f = path.join(incDir, `part_${k}.conf`);
    fs.writeFileSync(f, [...block([]), ...block([]), ''].join('\n'));
  }
  includes.push(path.join(incDir, 'part_0.conf'), path.join(incDir, 'part_*.conf'));
  const lines: string[] = [];
  if (chance(0.3)) lines.push(...directives(1).map((l) => l.trim()));
  const n = 2 + Math.floor(r() * 5);
  for (let b = 0; b < n; b++) lines.push(...block(includes), '');
  if (chance(0.3)) lines.push(`Include ${pick(includes)}`);
  const file = path.join(dir, `config_${index}`);
  fs.writeFileSync(file, lines.join('\n'));
  const lookups = Array.from({ length: 8 }, () => {
    const name = pick(NAMES);
    return chance(0.15) ? `${pick(['deploy', 'Ops'])}@${name}` : name;
  });
  return { file, lookups };
}
