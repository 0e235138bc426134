import type { ActOptions } from '../act/act';
import type { ActionKind, ActionReport } from '../act/types';
import type { EnvironmentConfig } from '../config/types';
import type { Finding } from '../detect/layer/types';
import type { Engine } from '../engine/engine';
import type { MonitorEvents } from '../monitor/monitor';
import type { Sample } from '../monitor/sample';
import type { Cause } from '../policy';
import type { HostRisk } from '../risk';
import type { BaselineRecord, Store } from '../store/store';
import type { ReleaseView } from './hostDecider';

/** Where samples come from: the monitor live, stored samples in replay. */
export interface WatchSource {
  on<K extends keyof MonitorEvents>(event: K, listener: (...args: MonitorEvents[K]) => void): unknown;
  start(): void;
  stop(): Promise<void>;
  recent(host: string): Sample[];
  /** Where the samples come from (the agent over SSH by default, or Prometheus). */
  readonly source?: 'agent' | 'prometheus';
}

/**
 * What the watch needs of the engine: the engine itself live; in replay a stand-in that serves
 * stored samples, records nothing and runs nothing.
 */
export interface WatchEngine {
  readonly dataDir: string;
  readonly store: Pick<Store, 'saveRiskFeedback' | 'riskFeedback'> & {
    activeBaseline(env: string, host: string): Pick<BaselineRecord, 'version' | 'fingerprint' | 'promotedAt' | 'reason'> | undefined;
    latestSnapshot(env: string, host: string): { release: { target: string | null } | null } | undefined;
  };
  environment(name: string): EnvironmentConfig;
  monitor(env: string, opts?: { hosts?: string[] }): WatchSource;
  auditLog(): { record: (input: Parameters<ReturnType<Engine['auditLog']>['record']>[0]) => unknown };
  act(env: string, host: string, kind: ActionKind, opts: ActOptions): Promise<ActionReport>;
  rebaseline: Engine['rebaseline'];
}

export interface IntervalInputs {
  risk: HostRisk;
  findings: Finding[];
  release: ReleaseView | null;
  cause: Cause | null;
}

