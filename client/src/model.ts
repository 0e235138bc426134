import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  AuditAppended,
  RiskUpdated,
  StateChanged,
  WatchSample,
  WorkspaceState,
  type EnvironmentView,
  type RiskUpdatedParams,
  type WatchSampleParams,
  type WorkspaceView,
} from '../../server/src/protocol/protocol';

const SELECTED_KEY = 'plumbline.selectedEnvironment';
const REFRESH_DEBOUNCE_MS = 150;

/**
 * The client's copy of the server's fleet view, refetched (debounced) whenever the server says
 * it changed. Holds no state the server does not also hold, except which environment is selected.
 */
export class FleetModel implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly audited = new vscode.EventEmitter<string>();
  /** The audit log of an environment grew. */
  readonly onDidAudit = this.audited.event;
  private readonly samples = new vscode.EventEmitter<WatchSampleParams>();
  /** A watched host's new chart point. */
  readonly onDidSample = this.samples.event;
  private riskTimer: NodeJS.Timeout | undefined;
  private current: WorkspaceView | undefined;
  private error: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private subscriptions: vscode.Disposable[] = [];
  private pending: Promise<void> | undefined;

  constructor(
    private client: LanguageClient,
    private readonly memento: vscode.Memento,
  ) {}

  /** Starts listening to the (started) client; called again after a restart. */
  attach(client: LanguageClient): void {
    this.client = client;
    this.subscriptions.forEach((d) => d.dispose());
    this.subscriptions = [
      client.onNotification(StateChanged.type, () => this.refresh()),
      client.onNotification(RiskUpdated.type, (p) => this.patchRisk(p)),
      client.onNotification(AuditAppended.type, (p) => this.audited.fire(p.env)),
      client.onNotification(WatchSample.type, (p) => this.samples.fire(p)),
    ];
    this.refresh(0);
  }

  get view(): WorkspaceView | undefined {
    return this.current;
  }

  /** Why the view could not be fetched, if it could not. */
  get failure(): string | undefined {
    return this.error;
  }

  get selected(): EnvironmentView | undefined {
    const envs = this.current?.environments ?? [];
    const name = this.memento.get<string>(SELECTED_KEY);
    return envs.find((e) => e.name === name) ?? envs[0];
  }

  async select(name: string): Promise<void> {
    await this.memento.update(SELECTED_KEY, name);
    this.emitter.fire();
  }

  /** Debounced: several changes in a burst fetch once. */
  refresh(delay = REFRESH_DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pending = this.fetch();
    }, delay);
  }

  /** Resolves after the next fetch that is pending or already scheduled. */
  async settled(): Promise<void> {
    while (this.timer || this.pending) {
      if (this.pending) await this.pending;
      else await new Promise((r) => setTimeout(r, REFRESH_DEBOUNCE_MS));
    }
  }

  /**
   * Risk arrives per host every interval: patch the view in place (the server holds the same) and
   * tell listeners at most every REFRESH_DEBOUNCE_MS, so trees and the status bar do not thrash.
   */
  private patchRisk(p: RiskUpdatedParams): void {
    const host = this.current?.environments.find((e) => e.name === p.env)?.hosts.find((h) => h.host === p.host);
    if (!host) return;
    if (p.risk) host.risk = p.risk;
    host.watch = p.watch;
    if (this.riskTimer) return;
    this.riskTimer = setTimeout(() => {
      this.riskTimer = undefined;
      this.emitter.fire();
    }, REFRESH_DEBOUNCE_MS);
  }

  private async fetch(): Promise<void> {
    try {
      this.current = await this.client.sendRequest(WorkspaceState.type, {});
      this.error = undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.pending = undefined;
    }
    this.emitter.fire();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.riskTimer) clearTimeout(this.riskTimer);
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
    this.audited.dispose();
    this.samples.dispose();
  }
}
