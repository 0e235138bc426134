import * as vscode from 'vscode';
import type { EnvironmentView, FindingView, HostView } from '../../../server/src/protocol/protocol';
import type { FleetModel } from '../model';
/** Node kinds of the Environments tree. */
export type EnvNode = {
    kind: 'environment';
    env: EnvironmentView;
} | {
    kind: 'host';
    env: string;
    host: HostView;
} | {
    kind: 'layer';
    env: string;
    host: HostView;
    layer: FindingView['layer'];
    findings: FindingView[];
} | {
    kind: 'finding';
    env: string;
    host: string;
    finding: FindingView;
} | {
    kind: 'message';
    text: string;
    tooltip?: string;
    severity: 'info' | 'warning' | 'error';
};
/** A rendered row, for the test API: what a person would read in the tree. */
export interface RenderedRow {
    label: string;
    description?: string;
    contextValue?: string;
    children?: RenderedRow[];
}
/** environment → host → layer → finding, with state on every node. */
export declare class EnvironmentsTree implements vscode.TreeDataProvider<EnvNode>, vscode.Disposable {
    private readonly model;
    private readonly emitter;
    readonly onDidChangeTreeData: vscode.Event<EnvNode | undefined>;
    private readonly subscription;
    private firstRender;
    constructor(model: FleetModel, onFirstRender?: () => void);
    getChildren(node?: EnvNode): EnvNode[];
    private children;
    getTreeItem(node: EnvNode): vscode.TreeItem;
    /** The whole tree as rows (labels, descriptions, contextValues), for tests and the bench. */
    render(node?: EnvNode): RenderedRow[];
    dispose(): void;
}
