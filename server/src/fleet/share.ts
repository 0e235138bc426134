import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';

/** A worker's name in the store: machine, pid and a few random bytes (a restarted pid is another worker). */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Hosts one worker should hold: an even split, the remainder one each to the longest-running
 * workers (`live` in the store's order: started, then id), so the quotas add up to the hosts and
 * no split like 4/4/2 of ten hosts is stable. A worker the store does not list yet counts last.
 */
export function fairShare(hosts: number, live: readonly string[], me: string): number {
  const order = live.includes(me) ? live : [...live, me];
  const base = Math.floor(hosts / order.length);
  return base + (order.indexOf(me) < hosts % order.length ? 1 : 0);
}

/**
 * Up to `n` of the free hosts, in an order of this worker's own (rendezvous hashing): workers
 * reaching for free hosts at the same moment mostly reach for different ones.
 */
export function pickHosts(free: string[], worker: string, n: number): string[] {
  if (n <= 0) return [];
  const rank = (h: string): string => createHash('sha256').update(`${worker}\n${h}`).digest('hex');
  return [...free].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0)).slice(0, n);
}

/** Which fleet's tokens a host compares: one store and environment (the store's name never holds a password). */
export function fenceScope(storeName: string, env: string): string {
  return createHash('sha256').update(`${storeName}\n${env}`).digest('hex').slice(0, 16);
}
