import type { Store } from '../store/store';
import { verifyChain, type ChainCheck } from './chain';
import type { AuditEntry, AuditEntryInput } from './types';

export interface AuditView extends AuditEntry {
  id: number;
  hash: string;
}

/** The audit log of one store: append, read back, verify the chain. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  record(input: AuditEntryInput): AuditView {
    const r = this.store.appendAudit(input);
    return { ...(JSON.parse(r.json) as AuditEntry), id: r.id, hash: r.hash };
  }

  /** Entries oldest first, optionally of one environment; rows whose JSON does not parse are skipped (verify() names them). */
  entries(filter: { env?: string } = {}): AuditView[] {
    const out: AuditView[] = [];
    for (const r of this.store.auditRecords()) {
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

  /** Checks the whole chain (every environment: they share one chain). */
  verify(): ChainCheck {
    return verifyChain(this.store.auditRecords());
  }
}
