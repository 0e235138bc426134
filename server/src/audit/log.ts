import { linkHash, verifyChain, type ChainCheck } from './chain';
import type { AuditEntry, AuditEntryInput, AuditRecord } from './types';

export interface AuditView extends AuditEntry {
  id: number;
  hash: string;
}

/**
 * What the audit log needs from storage, injected so the log stays pure: append one entry in a
 * transaction (the edge stamps it and calls `link` with the newest hash to get its own), and read
 * every record back. The store provides it (server/src/store/auditEdge.ts).
 */
export interface AuditEdge {
  append(input: AuditEntryInput & { mac?: AuditEntry['mac'] }, link: (prevHash: string | null, entry: AuditEntry) => string): AuditRecord;
  records(): AuditRecord[];
}

/** The chain's head, kept outside the store so a cut-off tail shows (a file in the user's config folder). */
export interface HeadKeeper {
  read(): string | undefined;
  write(head: string): void;
}

export interface AuditLogOptions {
  /** HMAC key kept outside the store; without it new entries are unkeyed (legacy) and keyed ones unverifiable. */
  key?: Buffer;
  head?: HeadKeeper;
}

/** The audit log of one store: append, read back, verify the chain, find unfinished actions. */
export class AuditLog {
  constructor(
    private readonly edge: AuditEdge,
    private readonly opts: AuditLogOptions = {},
  ) {}

  record(input: AuditEntryInput): AuditView {
    const key = this.opts.key;
    const r = key
      ? this.edge.append({ ...input, mac: 'hmac-sha256' }, (prev, entry) => linkHash(key, prev, entry)!)
      : this.edge.append(input, (prev, entry) => linkHash(undefined, prev, entry)!);
    // After the commit: a crash in between leaves the head one entry behind, which verifies.
    this.opts.head?.write(r.hash);
    return { ...(JSON.parse(r.json) as AuditEntry), id: r.id, hash: r.hash };
  }

  /** Entries oldest first, optionally of one environment; rows whose JSON does not parse are skipped (verify() names them). */
  entries(filter: { env?: string } = {}): AuditView[] {
    const out: AuditView[] = [];
    for (const r of this.edge.records()) {
      let e: AuditEntry;
      try {
        e = JSON.parse(r.json) as AuditEntry;
      } catch {
        continue;
      }
      if (filter.env !== undefined && e.env !== filter.env) continue;
      out.push({ ...e, id: r.id, hash: r.hash });
    }
    return out;
  }

  /** Checks the whole chain (every environment: they share one chain) and the head kept outside. */
  verify(): ChainCheck {
    const head = this.opts.head?.read();
    return verifyChain(this.edge.records(), { ...(this.opts.key ? { key: this.opts.key } : {}), ...(head !== undefined ? { head } : {}) });
  }

  /** `started` entries that no later entry closes (details.startedId): actions a crash interrupted. */
  unfinished(filter: { env?: string } = {}): AuditView[] {
    const all = this.entries(filter);
    const closed = new Set(all.map((e) => (e.details as { startedId?: unknown } | undefined)?.startedId).filter((x): x is number => typeof x === 'number'));
    return all.filter((e) => e.outcome === 'started' && !closed.has(e.id));
  }
}
