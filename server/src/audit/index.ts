export { canonicalJson } from './canonical';
export { entryHash, verifyChain, type ChainCheck } from './chain';
export { AuditLog, type AuditView } from './log';
export { MAX_OUTPUT_CHARS, redactOutput } from './redact';
export type { AuditEntry, AuditEntryInput, AuditKind, AuditOutcome, AuditRecord } from './types';
