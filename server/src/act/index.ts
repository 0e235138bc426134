export { runAction, DEFAULT_SETTLE_MS, type ActDeps, type ActOptions } from './act';
export { readHostState, snapshotInput, type HostState, type SnapshotFile } from './hostState';
export { HostLock, LOCK_FILE, lockArgv, type LockError, type LockOptions } from './lock';
export { probeRoot, StepRunner, type Step } from './steps';
export { ACTION_KINDS, ActionStop, type ActionKind, type ActionReport, type ActionStatus, type HostShell, type StepRecord, type Verification } from './types';
export { activeColour, rewriteUpstream, type Colour } from './upstream';
export { verifyAction } from './verify';
