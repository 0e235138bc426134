import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** CPU time of processes and process trees from /proc, for the collector and fleet benches. */

export const CLK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export function readStat(pid: number): { ticks: number; children: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after ")": state=0 … utime=11 stime=12 cutime=13 cstime=14
    return { ticks: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      const c = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

export function tree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

/** CPU ticks of a tree: each process's own time plus what it reaped from children that ended. */
export function treeTicks(pids: number[]): number {
  let t = 0;
  for (const p of pids) {
    const s = readStat(p);
    if (s) t += s.ticks + s.children;
  }
  return t;
}


/** The PID namespace a process lives in (a lab host's own). */
export function nsOf(pid: number): string {
  return fs.readlinkSync(`/proc/${pid}/ns/pid`);
}
