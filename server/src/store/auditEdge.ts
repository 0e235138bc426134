import type { AuditEdge } from '../audit/log';
import type { Store } from './store';

/** The store as the audit log's edge: appends in one transaction, reads rows as stored. */
export function auditEdge(store: Store): AuditEdge {
  return {
    append: (input, link) => store.appendAudit(input, link),
    records: () => store.auditRecords(),
  };
}
