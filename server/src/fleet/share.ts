import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';

/** A worker's name in the store: machine, pid and a few random bytes (a restarted pid is another worker). */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Hosts one worker should hold: an even split, rounded up so every host has a holder. */
export function fairShare(hosts: number, liveWorkers: number): number {
  return Math.ceil(hosts / Math.max(1, liveWorkers));
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
