/**
 * Every custom message between the extension (client) and the analysis server, and between the
 * dashboard panel and its webview, typed in one place that both sides import. No string method
 * names at call sites.
 */
import { NotificationType, RequestType, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';

// ─── Shared shapes ────────────────────────────────────────────────────────────────────────────

/** Severities of a drift item, lowest first (same words as the engine's diff). */
export type DriftSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/**
 * What is known about a host, in the order the UI ranks them (worst last):
 * `unknown` nothing asked yet; `clean` diffed, no drift; `noBaseline` reachable but never
 * baselined; `drift` diffed with findings; `unreachable` the last attempt could not connect;
 * `error` something else failed (host key refused, capture failed).
 */
export type HostStateKind = 'unknown' | 'clean' | 'noBaseline' | 'drift' | 'unreachable' | 'error';

export interface BaselineInfo {
  version: number;
  promotedAt: string;
  promotedBy: string;
  reason: string;
}

/** One drift item as the UI shows it (the engine's DiffItem, with values made printable). */
export interface FindingView {
  layer: 'hardware' | 'os' | 'app';
  kind: string;
  change: 'added' | 'removed' | 'changed';
  path: string;
  /** Printable baseline value; absent for added items and secret files. */
  old?: string;
  /** Printable live value; absent for removed items and secret files. */
  new?: string;
  severity: DriftSeverity;
  file?: { local?: string; remote: string; secret: boolean; ranges: Array<{ start: number; end: number }>; note?: string };
}

/** Risk states, lowest first; `nodata` is its own state, never "fine". */
export type RiskStateWord = 'ok' | 'minor' | 'moderate' | 'severe' | 'nodata';
export type LayerName = 'hardware' | 'os' | 'app';
export type ActionKindName = 'remediate' | 'switch' | 'rollback';
export type ActionModeName = 'off' | 'suggest' | 'confirm' | 'auto';

/** Why a risk value is what it is (the engine's Reason): metric, value, baseline, threshold, forecast. */
export interface ReasonView {
  layer: LayerName;
  source: 'stats' | 'forecast' | 'model' | 'config' | 'nodata';
  metric: string;
  value: number | string | null;
  baseline?: number | string | null;
  threshold?: number | null;
  score: number;
  /** Time to breach of `limit` at the current slope; null when the trend does not reach it. */
  forecast?: { limit: number; timeToBreachMs: number | null; slopePerSec: number };
  detail: string;
}

export interface LayerRiskView {
  layer: LayerName;
  value: number;
  state: RiskStateWord;
  /** Strongest first, at most a handful. */
  reasons: ReasonView[];
  /** When the state last changed (epoch ms). */
  since: number;
  lastSampleTs: number | null;
}

/** A watched host's risk: the maximum over its layers, with the tier its state maps to (0: none). */
export interface RiskView {
  ts: number;
  value: number;
  state: RiskStateWord;
  tier: 0 | 1 | 2 | 3;
  layers: Record<LayerName, LayerRiskView>;
  reasons: ReasonView[];
}

/** How the watch of one host is going: learning its detectors, its stream's connection. */
export interface HostWatchView {
  phase: 'learning' | 'training' | 'watching';
  /** Samples seen / needed while learning. */
  learning?: { have: number; need: number };
  stream: 'starting' | 'connecting' | 'streaming' | 'backoff' | 'stopped';
  /** Why the stream is down (backoff). */
  streamError?: string;
  /** An action runs on the host, or waits for a person's approval. */
  acting: boolean;
}

/**
 * The watch's last decision on a host, explained: the cause, its evidence (metric, baseline band,
 * value now, since when), what each tier would cure, why this tier, and which mapping decided.
 */
export interface DecisionView {
  ts: number;
  tier: 1 | 2 | 3 | null;
  action: ActionKindName | null;
  blockedBy?: string;
  executed: boolean;
  /** The cause's kind (deploy, release-regression, colour-fault, neighbour, …) and one sentence. */
  cause: string | null;
  summary: string;
  evidence: string[];
  /** One line per tier: cures or not, and why. */
  tiers: string[];
  why: string;
  decidedBy: 'model' | 'thresholds';
}

/** A healthy release deployed outside Plumbline that the watch proposes as the host's new baseline. */
export interface ProposalView {
  release: { from: string | null; to: string | null; at: number | null };
  why: string;
  /** The CLI command that accepts it (the editor's "Promote Release as Baseline" does the same). */
  command: string;
}

export interface HostView {
  host: string;
  state: HostStateKind;
  /** Why the host is in this state, in words (error message, "no baseline yet" …). */
  reason?: string;
  reachable?: boolean;
  keyFingerprint?: string;
  baseline?: BaselineInfo;
  /** When the state was last established (ISO-8601). */
  checkedAt?: string;
  /** Highest drift severity above `info`, when state is `drift`. */
  highest?: DriftSeverity;
  findings: FindingView[];
  /** Present while the environment is watched (and after a first sample or silent interval). */
  risk?: RiskView;
  watch?: HostWatchView;
  /** The watch's last decision on this host, while it has a cause to explain. */
  decision?: DecisionView;
  /** A pending proposal of the watch: promote the running release as the baseline. */
  proposal?: ProposalView;
}

export interface EnvironmentView {
  name: string;
  hosts: HostView[];
  /** `actions.mode` from plumbline.yaml. */
  mode: ActionModeName;
  /** A Watcher runs for this environment in the server. */
  watching: boolean;
  /** Where the environment is declared in plumbline.yaml (0-based). */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export interface WorkspaceView {
  /** URI of plumbline.yaml, or undefined when the workspace has none. */
  configUri?: string;
  /** Count of validation errors in plumbline.yaml: the engine does not open while there are any. */
  configErrors: number;
  /** False in an untrusted workspace: nothing connects to hosts. */
  trusted: boolean;
  environments: EnvironmentView[];
  /** Why the engine is not available (config errors, untrusted, no workspace file). */
  message?: string;
}

// ─── Client → server requests ─────────────────────────────────────────────────────────────────

/** client → server: the whole fleet view (environments, hosts, their state), for trees, status bar and dashboard. */
export namespace WorkspaceState {
  export const method = 'plumbline/workspaceState';
  export const type = new RequestType<Record<string, never>, WorkspaceView, void>(method);
}

export interface EnvironmentParams extends WorkDoneProgressParams {
  env: string;
}

export interface BaselineParams extends EnvironmentParams {
  reason?: string;
}

export interface HostOutcomeView {
  host: string;
  ok: boolean;
  /** One line for people: "baseline v3", "2 drift items (highest: medium)", the error. */
  message: string;
  errorKind?: string;
}

export interface OperationResult {
  env: string;
  outcomes: HostOutcomeView[];
  /** True when the person cancelled; outcomes then hold only the hosts that finished. */
  cancelled: boolean;
}

/** client → server: capture and promote baselines (connects to hosts; refused in an untrusted workspace). */
export namespace CaptureBaseline {
  export const method = 'plumbline/captureBaseline';
  export const type = new RequestType<BaselineParams, OperationResult, void>(method);
}

/** client → server: capture live and diff against the baseline; publishes drift diagnostics. */
export namespace DiffEnvironment {
  export const method = 'plumbline/diff';
  export const type = new RequestType<EnvironmentParams, OperationResult, void>(method);
}

/** client → server: reachability and host keys of each host, without capturing. */
export namespace CheckHosts {
  export const method = 'plumbline/checkHosts';
  export const type = new RequestType<EnvironmentParams, OperationResult, void>(method);
}

/**
 * client → server: promote the host's last captured (live) fingerprint — the one the last diff
 * compared — as its new baseline, without connecting again. Answers the new baseline.
 */
export namespace AcceptLive {
  export const method = 'plumbline/acceptLive';
  export const type = new RequestType<{ env: string; host: string; reason?: string }, BaselineInfo, void>(method);
}

/**
 * client → server: accept the watch's proposal for a host (a healthy release deployed outside
 * Plumbline): capture it now and promote it as its baseline. Answers the new baseline.
 */
export namespace PromoteRelease {
  export const method = 'plumbline/promoteRelease';
  export const type = new RequestType<{ env: string; host: string }, BaselineInfo, void>(method);
}

/** A fleet worker's confirm-mode request waiting in the shared store, as the editor shows it. */
export interface FleetApprovalView {
  id: number;
  env: string;
  host: string;
  /** The worker holding the host, which acts once approved (if it still holds it). */
  worker: string;
  requestedAt: string;
  tier: number | null;
  action: string | null;
  why: string;
  /** The commands the worker's dry run planned, exactly. */
  commands: string[];
}

/** client → server: the fleet's pending approvals of an environment (shared store), oldest first. */
export namespace FleetApprovals {
  export const method = 'plumbline/fleetApprovals';
  export const type = new RequestType<{ env: string }, FleetApprovalView[], void>(method);
}

/** client → server: a person's answer to a fleet approval; the worker holding the host reads it from the store. */
export namespace AnswerFleetApproval {
  export const method = 'plumbline/answerFleetApproval';
  export const type = new RequestType<{ env: string; id: number; approve: boolean }, { ok: boolean; message: string }, void>(method);
}

export interface BaselineHistoryEntry extends BaselineInfo {
  env: string;
  host: string;
  active: boolean;
}

/** client → server: every baseline promoted in an environment, newest first, for the Activity tree. */
export namespace BaselineHistory {
  export const method = 'plumbline/baselineHistory';
  export const type = new RequestType<{ env: string }, BaselineHistoryEntry[], void>(method);
}

export interface FileContentParams {
  env: string;
  host: string;
  /** Remote path of a managed file. */
  remote: string;
  side: 'baseline' | 'live';
}

export interface FileContent {
  /** The text; absent for secret files and files not captured. */
  content?: string;
  /** Why there is no content, or what the content is (version, capture time). */
  note: string;
}

/** client → server: a managed file's baseline or last live content, for the diff editor. Secret files answer without content. */
export namespace ManagedFileContent {
  export const method = 'plumbline/managedFileContent';
  export const type = new RequestType<FileContentParams, FileContent, void>(method);
}


/** client → server: take each host's pre-deployment snapshot (what Roll Back restores). */
export namespace TakeSnapshot {
  export const method = 'plumbline/takeSnapshot';
  export const type = new RequestType<EnvironmentParams, OperationResult, void>(method);
}

/** client → server: install the agent as a service on every host (it buffers samples while disconnected). */
export namespace InstallAgent {
  export const method = 'plumbline/installAgent';
  export const type = new RequestType<EnvironmentParams, OperationResult, void>(method);
}

export interface WatchParams {
  env: string;
  /** Samples that train the detectors (default: the engine's, a minute's worth and at least 30). */
  warmup?: number;
}

/** client → server: start watching an environment (a Watcher in the server); risk then arrives as RiskUpdated. */
export namespace StartWatching {
  export const method = 'plumbline/startWatching';
  export const type = new RequestType<WatchParams, { env: string; watching: boolean }, void>(method);
}

/** client → server: stop watching an environment; hosts keep their last risk until the next start. */
export namespace StopWatching {
  export const method = 'plumbline/stopWatching';
  export const type = new RequestType<{ env: string }, { env: string; watching: boolean }, void>(method);
}

export interface HostTarget {
  env: string;
  host: string;
}

/** One command of an action exactly as the host runs it (the engine's StepRecord, trimmed). */
export interface StepView {
  title: string;
  effect: 'read' | 'change';
  /** The shell command line: argv quoted, nothing else. */
  command: string;
  ran: boolean;
  code?: number | null;
  error?: string;
}

export interface ActionReportView {
  env: string;
  host: string;
  action: ActionKindName;
  dryRun: boolean;
  status: 'done' | 'planned' | 'refused' | 'failed' | 'verify-failed';
  message: string;
  reasons: string[];
  steps: StepView[];
  verification?: { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
  auditId?: number;
}

export interface PlanActionParams extends HostTarget {
  action: ActionKindName;
  /** Why a person asked for it (the diagnostic, the tree node). */
  reasons?: string[];
}

/**
 * The dry run of an action, to show a person before it runs. `refused` when the environment's
 * mode forbids it (`off`); otherwise `planId` names the plan RunAction carries out.
 */
export interface ActionPlan {
  env: string;
  host: string;
  action: ActionKindName;
  mode: ActionModeName;
  planId?: string;
  refused?: string;
  report: ActionReportView;
}

/** client → server: dry-run an action on a host (changes nothing, lists the exact commands). */
export namespace PlanAction {
  export const method = 'plumbline/planAction';
  export const type = new RequestType<PlanActionParams, ActionPlan, void>(method);
}

/** client → server: run a plan a person approved; answers the report (verified against the baseline). */
export namespace RunAction {
  export const method = 'plumbline/runAction';
  export const type = new RequestType<{ planId: string } & WorkDoneProgressParams, ActionReportView, void>(method);
}

/** client → server: "Mark as expected": the host's recent behaviour of `metric` (or all) is fine; its detectors learn it. */
export namespace MarkExpected {
  export const method = 'plumbline/markExpected';
  export const type = new RequestType<HostTarget & { metric: string }, { ok: boolean; message: string }, void>(method);
}

/** One audit log entry as the Activity tree shows it. */
export interface AuditEntryView {
  id: number;
  ts: string;
  env: string;
  host?: string;
  kind: 'decision' | 'action' | 'snapshot';
  action?: string;
  outcome: 'done' | 'planned' | 'refused' | 'failed' | 'verify-failed' | 'decided' | 'started' | 'interrupted';
  actor: string;
  summary: string;
  /** Exact commands that changed something (actions), for the tooltip. */
  commands?: string[];
  /** Verification checks that failed. */
  failedChecks?: string[];
  reasons?: string[];
}

/** client → server: the audit log of an environment, newest first. */
export namespace AuditEntries {
  export const method = 'plumbline/auditEntries';
  export const type = new RequestType<{ env: string; limit?: number }, AuditEntryView[], void>(method);
}

/** Metrics the dashboard charts, as `layer.metric` of the engine's layer observations. */
export const CHART_METRICS = [
  { key: 'app.rssKiB', layer: 'app', metric: 'rssKiB', label: 'app RSS (KiB)' },
  { key: 'app.cpuPct', layer: 'app', metric: 'cpuPct', label: 'app CPU (%)' },
  { key: 'app.healthLatencyMs', layer: 'app', metric: 'healthLatencyMs', label: 'health latency (ms)' },
  { key: 'hardware.cpuPct', layer: 'hardware', metric: 'cpuPct', label: 'host CPU (%)' },
  { key: 'hardware.memUsedPct', layer: 'hardware', metric: 'memUsedPct', label: 'host memory used (%)' },
] as const;
export type ChartMetricKey = (typeof CHART_METRICS)[number]['key'];

/** One sample of a watched host for the charts: risk per layer and the charted metrics. */
export interface SeriesPoint {
  ts: number;
  risk: { host: number; hardware: number; os: number; app: number } | null;
  metrics: Partial<Record<ChartMetricKey, number | null>>;
}

/** median ± MAD of a metric: from the host's detectors when they report it, else from the first samples watched. */
export interface BaselineBand {
  median: number;
  mad: number;
  source: 'detector' | 'first-samples';
}

/** The forecast line of a metric: from the last value at the current slope to the limit. */
export interface ForecastLine {
  metric: ChartMetricKey;
  fromTs: number;
  fromValue: number;
  limit: number;
  /** When the limit is reached at this slope; null when it is not. */
  breachTs: number | null;
  slopePerSec: number;
}

export interface HostSeries {
  host: string;
  points: SeriesPoint[];
  bands: Partial<Record<ChartMetricKey, BaselineBand>>;
  forecasts: ForecastLine[];
  /** Failure limits from plumbline.yaml, where set. */
  limits: Partial<Record<ChartMetricKey, number>>;
}

export interface EnvironmentSeries {
  env: string;
  watching: boolean;
  hosts: HostSeries[];
}

/** client → server: everything watched so far in an environment, for the dashboard's first draw. */
export namespace WatchSeries {
  export const method = 'plumbline/watchSeries';
  export const type = new RequestType<{ env: string }, EnvironmentSeries, void>(method);
}

// ─── Notifications ────────────────────────────────────────────────────────────────────────────

export interface ServerStatusParams {
  state: 'ok' | 'warning' | 'error';
  message: string;
}

/** server → client: the server's own health, shown in the status bar. */
export namespace ServerStatus {
  export const method = 'plumbline/serverStatus';
  export const type = new NotificationType<ServerStatusParams>(method);
}

/** server → client: the fleet view changed (an operation finished, plumbline.yaml changed); the client refetches, debounced. */
export namespace StateChanged {
  export const method = 'plumbline/stateChanged';
  export const type = new NotificationType<Record<string, never>>(method);
}

export interface RiskUpdatedParams {
  env: string;
  host: string;
  risk?: RiskView;
  watch: HostWatchView;
}

/** server → client: a watched host's risk and watch state changed; the client patches its view (no refetch). */
export namespace RiskUpdated {
  export const method = 'plumbline/riskUpdated';
  export const type = new NotificationType<RiskUpdatedParams>(method);
}

export interface WatchSampleParams {
  env: string;
  host: string;
  point: SeriesPoint;
  bands: HostSeries['bands'];
  forecasts: ForecastLine[];
}

/** server → client: a new sample of a watched host, with bands and forecasts, for the dashboard's live charts. */
export namespace WatchSample {
  export const method = 'plumbline/watchSample';
  export const type = new NotificationType<WatchSampleParams>(method);
}

/** server → client: a new audit entry (decision, action, snapshot); the Activity tree refetches. */
export namespace AuditAppended {
  export const method = 'plumbline/auditAppended';
  export const type = new NotificationType<{ env: string }>(method);
}

/** client → server: the person granted workspace trust; the server may now open the engine and connect. */
export namespace TrustGranted {
  export const method = 'plumbline/trustGranted';
  export const type = new NotificationType<Record<string, never>>(method);
}

// ─── Server → client requests ─────────────────────────────────────────────────────────────────

export interface ConfirmHostKeyParams {
  host: string;
  keyType: string;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
}

/** server → client: a host offered a key not in known_hosts; the client asks the person (modal) whether to trust it. */
export namespace ConfirmHostKey {
  export const method = 'plumbline/confirmHostKey';
  export const type = new RequestType<ConfirmHostKeyParams, { trust: boolean }, void>(method);
}

export interface PassphraseParams {
  /** The encrypted identity file (a path on this machine; never its content). */
  identityFile: string;
  /** PEM public key (RSA-OAEP) the answer must be sealed with (server/src/common/sealed.ts). */
  publicKey: string;
  /** The passphrase given last time did not open the key: ask the person, do not reuse it. */
  previousWrong: boolean;
}

/**
 * server → client: an identity file needs its passphrase. The client answers from SecretStorage,
 * else asks the person (password input), sealed with `publicKey`: the passphrase never crosses
 * the connection (or its trace) in clear. The client stores a new one only once PassphraseChecked
 * says it opened the key.
 */
export namespace Passphrase {
  export const method = 'plumbline/passphrase';
  export const type = new RequestType<PassphraseParams, { sealed?: string }, void>(method);
}

/** server → client: whether the passphrase given for `identityFile` opened it (store it only then). */
export namespace PassphraseChecked {
  export const method = 'plumbline/passphraseChecked';
  export const type = new NotificationType<{ identityFile: string; good: boolean }>(method);
}

/** What the policy decided for a watched host in `confirm` mode, with the exact commands (from a dry run). */
export interface ApproveDecisionParams {
  env: string;
  host: string;
  tier: 1 | 2 | 3;
  action: ActionKindName;
  why: string;
  reasons: ReasonView[];
  /** The dry run: the commands that would change the host. */
  plan: ActionReportView;
}

/** server → client: the Watcher's policy wants to act in confirm mode; the client asks a person (modal) to approve the exact commands. */
export namespace ApproveDecision {
  export const method = 'plumbline/approveDecision';
  export const type = new RequestType<ApproveDecisionParams, { approved: boolean }, void>(method);
}

/** What the server reads from the client at start (initializationOptions). */
export interface InitializationOptions {
  trusted: boolean;
}

/** Settings the server reads per resource (section `plumbline`). */
export interface PlumblineSettings {
  sshConfig?: string;
  knownHosts?: string;
  dataFolder?: string;
  /** A shared store (postgresql://…); machine-scoped, as it may hold a password. */
  storeUrl?: string;
}

/** Command ids shared by code lenses and code actions built on the server and the client's registrations. */
export const Commands = {
  selectEnvironment: 'plumbline.selectEnvironment',
  captureBaseline: 'plumbline.captureBaseline',
  diff: 'plumbline.diff',
  checkHosts: 'plumbline.checkHosts',
  openDashboard: 'plumbline.openDashboard',
  showAuditLog: 'plumbline.showAuditLog',
  restartServer: 'plumbline.restartServer',
  acceptLive: 'plumbline.acceptLive',
  promoteRelease: 'plumbline.promoteRelease',
  showDiff: 'plumbline.showDiff',
  refresh: 'plumbline.refresh',
  startWatching: 'plumbline.startWatching',
  stopWatching: 'plumbline.stopWatching',
  takeSnapshot: 'plumbline.takeSnapshot',
  installAgent: 'plumbline.installAgent',
  remediate: 'plumbline.remediate',
  switchColour: 'plumbline.switchColour',
  rollback: 'plumbline.rollback',
  markExpected: 'plumbline.markExpected',
  fleetApprovals: 'plumbline.fleetApprovals',
} as const;

/** Attached to every host-entry diagnostic in plumbline.yaml (`Diagnostic.data`). */
export interface HostDiagnosticData {
  kind: 'host';
  env: string;
  host: string;
  state: HostStateKind;
  /** When watched: the risk state and the metric of its strongest reason (for Mark as expected). */
  risk?: RiskStateWord;
  metric?: string;
  /** The release the watch proposes as the host's baseline (a healthy deploy), for "Promote Release as Baseline". */
  proposal?: string;
}

/** Attached to every drift diagnostic (`Diagnostic.data`) so code actions know what it is about. */
export interface DriftDiagnosticData {
  kind: 'drift';
  env: string;
  host: string;
  path: string;
  remote?: string;
  secret?: boolean;
}

export * from './webview';
