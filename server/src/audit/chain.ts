import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';
import type { AuditEntry, AuditRecord } from './types';

/** sha256(prev_hash + canonical JSON of the entry), hex. The first entry's prev_hash is empty. */
export function entryHash(prevHash: string | null, entry: AuditEntry): string {
  return createHash('sha256')
    .update((prevHash ?? '') + canonicalJson(entry))
    .digest('hex');
}

export type ChainCheck =
  | { ok: true; entries: number; head: string | null }
  | {
      ok: false;
      entries: number;
      /** The first entry that does not check out. */
      badId: number;
      problem: 'unreadable' | 'edited' | 'relinked' | 'timestamp';
      message: string;
    };

/**
 * Walks the log oldest first and names the first entry whose stored hash, link to its
 * predecessor or timestamp does not match its content. An edited entry breaks its own hash; a
 * deleted or inserted entry breaks the link of the one after it. Truncating the newest entries
 * is invisible from inside the log: compare `head` with a copy kept elsewhere to catch that.
 */
export function verifyChain(records: readonly AuditRecord[]): ChainCheck {
  let prev: string | null = null;
  for (const r of records) {
    const bad = (problem: Exclude<ChainCheck, { ok: true }>['problem'], message: string): ChainCheck => ({
      ok: false,
      entries: records.length,
      badId: r.id,
      problem,
      message: `audit entry ${r.id}: ${message}`,
    });
    let entry: AuditEntry;
    try {
      entry = JSON.parse(r.json) as AuditEntry;
    } catch {
      return bad('unreadable', 'its JSON does not parse');
    }
    if (r.prevHash !== prev) return bad('relinked', `it links to ${r.prevHash ?? 'nothing'}, but the entry before it hashes to ${prev ?? 'nothing'} (an entry was removed, inserted or re-linked)`);
    if (entryHash(r.prevHash, entry) !== r.hash) return bad('edited', 'its content does not match its hash (the entry was edited)');
    if (entry.ts !== r.ts) return bad('timestamp', `its ts column (${r.ts}) differs from the hashed entry (${entry.ts})`);
    prev = r.hash;
  }
  return { ok: true, entries: records.length, head: prev };
}
