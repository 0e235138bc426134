/**
 * How host states look everywhere in the client (trees, status bar, dashboard): words, icons,
 * theme colours. One place so the sidebar and the status bar never disagree.
 */
import * as vscode from 'vscode';
import type { DriftSeverity, EnvironmentView, HostView } from '../../server/src/protocol/protocol';
export declare function hostRank(h: HostView): number;
export declare function worstFirst(hosts: HostView[]): HostView[];
export declare function stateWords(h: HostView): string;
export declare function riskWords(h: HostView): string;
export declare function severityColor(s: DriftSeverity | undefined): vscode.ThemeColor | undefined;
export declare function hostIcon(h: HostView): vscode.ThemeIcon;
/** "1 drift (medium), 2 clean" — counts by state, worst first. */
export declare function summarize(env: EnvironmentView): string;
