export { canonicalJson } from './canonical';
export { entryHash, entryMac, linkHash, verifyChain, type ChainCheck, type ChainProblem } from './chain';
export { AuditLog, type AuditEdge, type AuditLogOptions, type AuditView, type HeadKeeper } from './log';
export { MAX_OUTPUT_CHARS, redactOutput } from './redact';
export type { AuditEntry, AuditEntryInput, AuditKind, AuditOutcome, AuditRecord } from './types';
