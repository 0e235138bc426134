import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical';
import type { AuditEntry, AuditRecord } from './types';

/** Unkeyed sha256(prev_hash + canonical JSON), hex: entries written before the chain was keyed. */
export function entryHash(prevHash: string | null, entry: AuditEntry): string {
  return createHash('sha256')
    .update((prevHash ?? '') + canonicalJson(entry))
    .digest('hex');
}

/**
 * HMAC-SHA256(key, prev_hash + canonical JSON), hex. The key is kept outside the store, so
 * someone who can edit the store cannot edit an entry and re-hash the rest of the chain.
 */
export function entryMac(key: Buffer, prevHash: string | null, entry: AuditEntry): string {
  return createHmac('sha256', key)
    .update((prevHash ?? '') + canonicalJson(entry))
    .digest('hex');
}

/** The hash a record must carry: keyed when the entry says so. */
export function linkHash(key: Buffer | undefined, prevHash: string | null, entry: AuditEntry): string | undefined {
  if (entry.mac === 'hmac-sha256') return key ? entryMac(key, prevHash, entry) : undefined;
  return entryHash(prevHash, entry);
}

export type ChainProblem = 'unreadable' | 'edited' | 'relinked' | 'timestamp' | 'unkeyed' | 'truncated' | 'nokey';

export type ChainCheck =
  | { ok: true; entries: number; head: string | null }
  | {
      ok: false;
      entries: number;
      /** The first entry that does not check out (for `truncated`: the id after the last one). */
      badId: number;
      problem: ChainProblem;
      message: string;
    };

export interface VerifyOptions {
  /** The chain's key; without it keyed entries cannot be checked (problem `nokey`). */
  key?: Buffer;
  /** The head recorded outside the store at the last append: it must be in the chain. */
  head?: string;
}

/**
 * Walks the log oldest first and names the first entry whose stored hash, link to its
 * predecessor or timestamp does not match its content. An edited entry breaks its own MAC (and
 * without the key nobody can make a new one); a deleted or inserted entry breaks the link of the
 * one after it; an unkeyed entry after keyed ones is a forgery; and a head kept outside the store
 * that is no longer in the chain means its newest entries were cut off or the chain rewritten.
 */
export function verifyChain(records: readonly AuditRecord[], opts: VerifyOptions = {}): ChainCheck {
  let prev: string | null = null;
  let keyed = false;
  for (const r of records) {
    const bad = (problem: ChainProblem, message: string): ChainCheck => ({
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
    if (entry.mac === 'hmac-sha256') keyed = true;
    else if (keyed) return bad('unkeyed', 'it carries no MAC, though entries before it do (it was written without the key: forged or rewritten)');
    const want = linkHash(opts.key, r.prevHash, entry);
    if (want === undefined) return bad('nokey', 'its MAC cannot be checked: the audit key is missing (see `plumbline store check`)');
    if (!sameHex(want, r.hash)) return bad('edited', 'its content does not match its MAC (the entry was edited)');
    if (entry.ts !== r.ts) return bad('timestamp', `its ts column (${r.ts}) differs from the hashed entry (${entry.ts})`);
    prev = r.hash;
  }
  if (opts.head !== undefined && !records.some((r) => r.hash === opts.head)) {
    return {
      ok: false,
      entries: records.length,
      badId: (records[records.length - 1]?.id ?? 0) + 1,
      problem: 'truncated',
      message: `the head recorded outside the store (${opts.head}) is not in the chain: its newest entries were removed or the chain was rewritten`,
    };
  }
  return { ok: true, entries: records.length, head: prev };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
