import type * as vscode from 'vscode';
import type { WorkspaceView } from '../../server/src/protocol/protocol';
import type { RenderedRow } from './trees/environments';
/** Milliseconds since the extension host's `performance` origin. */
export interface ActivationTimings {
    activateStart: number;
    activateEnd: number;
    /** When the Environments tree first returned environments (undefined until then). */
    firstTreeRender?: number;
}
/**
 * What `activate()` returns: a small read-only window for tests and the activation benchmark.
 * Actions still go through `vscode.commands`, as a person's would.
 */
export interface PlumblineApi {
    timings: ActivationTimings;
    /** Fires after every refetch of the server's fleet view. */
    onDidChange: vscode.Event<void>;
    /** Resolves once the first fetch after start or the last change has landed. */
    settled(): Promise<void>;
    view(): WorkspaceView | undefined;
    /** The Environments tree as a person would read it. */
    environmentsTree(): RenderedRow[];
    statusText(): string;
    /** Resolves when the Environments tree has first shown environments. */
    firstTreeRender: Promise<number>;
}
