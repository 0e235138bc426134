/**
 * The dashboard webview's messages and the extension's own API (what activate() returns, for
 * tests and the activation benchmark). Split from protocol.ts, which re-exports them.
 */
import type {
  EnvironmentSeries,
  WatchSampleParams,
  WorkspaceView,
} from './protocol';

// ─── Dashboard webview messages ───────────────────────────────────────────────────────────────

/** extension → webview: everything the dashboard draws. */
export interface DashboardStateMessage {
  type: 'state';
  selected?: string;
  view: WorkspaceView;
}

/** extension → webview: the series of the selected environment (first draw, and after start/stop). */
export interface DashboardSeriesMessage {
  type: 'series';
  series: EnvironmentSeries;
}

/** extension → webview: one new point of a watched host (live update). */
export interface DashboardPointMessage extends WatchSampleParams {
  type: 'point';
}

export type ToWebview = DashboardStateMessage | DashboardSeriesMessage | DashboardPointMessage;

/** webview → extension: the page loaded and wants state. */
export interface DashboardReadyMessage {
  type: 'ready';
}

/** webview → extension: a button asked for an operation on an environment. */
export interface DashboardRunMessage {
  type: 'run';
  command: 'diff' | 'captureBaseline' | 'checkHosts' | 'startWatching' | 'stopWatching';
  env: string;
}

/** webview → extension: the charts it drew (for tests and the activation bench). */
export interface DashboardDrawnMessage {
  type: 'drawn';
  charts: number;
}

export type FromWebview = DashboardReadyMessage | DashboardRunMessage | DashboardDrawnMessage;

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
  /** The Activity tree as rows. */
  activityTree(): Promise<RenderedRow[]>;
  /** Whether the dashboard panel is open, and how many charts it last reported drawing. */
  dashboardCharts(): number | undefined;
}

/**
 * The API plus test hooks, returned only when the extension host runs tests
 * (ExtensionMode.Test): no other extension may answer Plumbline's modals.
 */
export interface PlumblineTestApi extends PlumblineApi {
  /**
   * Test hook on every modal Plumbline shows (destructive actions, approvals): while set, the
   * modal's exact text goes to `answer` instead of the screen and its return is the button chosen.
   */
  setModalHook(answer: ((modal: ModalRequest) => Promise<string | undefined>) | undefined): void;
}

/** A modal question exactly as shown: message, detail (host and commands) and the buttons. */
export interface ModalRequest {
  message: string;
  detail: string;
  buttons: string[];
}
