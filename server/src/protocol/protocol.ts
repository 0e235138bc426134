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

/**
 * Risk for a host as the risk engine will report it. Always absent today (risk scoring arrives
 * with the detection/response issues); the UI shows absence as "not scored yet", never as zero.
 */
export interface RiskView {
  value: number;
  tier: 'none' | 'minor' | 'moderate' | 'severe';
  reasons: string[];
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
  risk?: RiskView;
}

export interface EnvironmentView {
  name: string;
  hosts: HostView[];
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

/** What the server reads from the client at start (initializationOptions). */
export interface InitializationOptions {
  trusted: boolean;
}

/** Settings the server reads per resource (section `plumbline`). */
export interface PlumblineSettings {
  sshConfig?: string;
  knownHosts?: string;
  dataFolder?: string;
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
  showDiff: 'plumbline.showDiff',
  refresh: 'plumbline.refresh',
} as const;

/** Attached to every host-entry diagnostic in plumbline.yaml (`Diagnostic.data`). */
export interface HostDiagnosticData {
  kind: 'host';
  env: string;
  host: string;
  state: HostStateKind;
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

// ─── Dashboard webview messages ───────────────────────────────────────────────────────────────

/** extension → webview: everything the dashboard draws. */
export interface DashboardStateMessage {
  type: 'state';
  selected?: string;
  view: WorkspaceView;
}

export type ToWebview = DashboardStateMessage;

/** webview → extension: the page loaded and wants state. */
export interface DashboardReadyMessage {
  type: 'ready';
}

/** webview → extension: a button asked for an operation on an environment. */
export interface DashboardRunMessage {
  type: 'run';
  command: 'diff' | 'captureBaseline' | 'checkHosts';
  env: string;
}

export type FromWebview = DashboardReadyMessage | DashboardRunMessage;

// ─── The extension's API (what activate() returns), for tests and the activation benchmark ───

/** A rendered Environments tree row: what a person would read. */
export interface RenderedRow {
  label: string;
  description?: string;
  contextValue?: string;
  children?: RenderedRow[];
}

/** Milliseconds on the extension host's `performance.now()` clock. */
export interface ActivationTimings {
  activateStart: number;
  activateEnd: number;
  /** When the Environments tree first returned environments (undefined until then). */
  firstTreeRender?: number;
}

/**
 * A small read-only window onto the extension. Actions still go through `vscode.commands`, as
 * a person's would. Typed here (not in client/) so test code outside the client project can use it.
 */
export interface PlumblineApi {
  timings: ActivationTimings;
  /** Fires after every refetch of the server's fleet view (a vscode.Event). */
  onDidChange: (listener: () => void) => { dispose(): void };
  /** Resolves once the fetch pending or scheduled has landed. */
  settled(): Promise<void>;
  view(): WorkspaceView | undefined;
  /** The Environments tree as rows. */
  environmentsTree(): RenderedRow[];
  statusText(): string;
  /** Resolves with the time the Environments tree first showed environments. */
  firstTreeRender: Promise<number>;
}
