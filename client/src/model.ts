import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { StateChanged, WorkspaceState, type EnvironmentView, type WorkspaceView } from '../../server/src/protocol/protocol';

const SELECTED_KEY = 'plumbline.selectedEnvironment';
const REFRESH_DEBOUNCE_MS = 150;

/**
 * The client's copy of the server's fleet view, refetched (debounced) whenever the server says
 * it changed. Holds no state the server does not also hold, except which environment is selected.
 */
export class FleetModel implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private current: WorkspaceView | undefined;
  private error: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private subscription: vscode.Disposable | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private client: LanguageClient,
    private readonly memento: vscode.Memento,
  ) {}

  /** Starts listening to the (started) client; called again after a restart. */
  attach(client: LanguageClient): void {
    this.client = client;
    this.subscription?.dispose();
    this.subscription = client.onNotification(StateChanged.type, () => this.refresh());
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
    this.subscription?.dispose();
    this.emitter.dispose();
  }
}
