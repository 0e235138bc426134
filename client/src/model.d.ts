import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { type EnvironmentView, type WorkspaceView } from '../../server/src/protocol/protocol';
/**
 * The client's copy of the server's fleet view, refetched (debounced) whenever the server says
 * it changed. Holds no state the server does not also hold, except which environment is selected.
 */
export declare class FleetModel implements vscode.Disposable {
    private client;
    private readonly memento;
    private readonly emitter;
    readonly onDidChange: vscode.Event<void>;
    private current;
    private error;
    private timer;
    private subscription;
    private pending;
    constructor(client: LanguageClient, memento: vscode.Memento);
    /** Starts listening to the (started) client; called again after a restart. */
    attach(client: LanguageClient): void;
    get view(): WorkspaceView | undefined;
    /** Why the view could not be fetched, if it could not. */
    get failure(): string | undefined;
    get selected(): EnvironmentView | undefined;
    select(name: string): Promise<void>;
    /** Debounced: several changes in a burst fetch once. */
    refresh(delay?: number): void;
    /** Resolves after the next fetch that is pending or already scheduled. */
    settled(): Promise<void>;
    private fetch;
    dispose(): void;
}
