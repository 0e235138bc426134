import * as fs from 'node:fs';

/** Reads a process's command line from /proc; undefined when it is gone. */
export function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * What `pid` is now: `ours` when it runs and its command line holds `marker`; `gone` when it is
 * gone or a zombie; `other` when another program holds the PID; `between` when it runs with an
 * empty command line, which a process shows for a moment inside execve (its new memory is mapped
 * before its arguments are).
 */
export function processState(pid: number, marker: string): 'ours' | 'gone' | 'other' | 'between' {
  if (!pid) return 'gone';
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return 'gone';
  } catch {
    return 'gone';
  }
  const line = cmdline(pid);
  if (line === undefined) return 'gone';
  if (line === '') return 'between';
  return line.includes(marker) ? 'ours' : 'other';
}

/** True when `pid` runs and its command line holds `marker` (so a reused PID never counts). */
export function isOurs(pid: number, marker: string): boolean {
  return processState(pid, marker) === 'ours';
}

export function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * TCP listeners of the network namespace `pid` lives in, as "address:port" (IPv4 only).
 * Read from /proc/PID/net/tcp, so no process is spawned and nothing enters the namespace.
 */
export function listeners(pid: number): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [hexAddr, hexPort] = f[1].split(':');
    const a = parseInt(hexAddr, 16);
    const addr = [a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255].join('.');
    out.add(`${addr}:${parseInt(hexPort, 16)}`);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
