import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { BaselineHistory, type BaselineHistoryEntry } from '../../../server/src/protocol/protocol';
import type { FleetModel } from '../model';

/**
 * Node kinds of the Activity tree. Today only baselines (from the store); decisions, actions
 * and verifications join as node kinds once the audit log exists (issue 4).
 */
export type ActivityNode =
  | { kind: 'baseline'; entry: BaselineHistoryEntry }
  | { kind: 'message'; text: string; severity: 'info' | 'error' };

/** What happened in the selected environment, newest first. */
export class ActivityTree implements vscode.TreeDataProvider<ActivityNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ActivityNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: FleetModel,
    private readonly client: () => LanguageClient,
  ) {
    this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
  }

  async getChildren(node?: ActivityNode): Promise<ActivityNode[]> {
    if (node) return [];
    const env = this.model.selected;
    if (!env) return [{ kind: 'message', text: this.model.view?.message ?? 'No environment selected', severity: 'info' }];
    try {
      const entries = await this.client().sendRequest(BaselineHistory.type, { env: env.name });
      if (entries.length === 0) return [{ kind: 'message', text: `No baselines in ${env.name} yet`, severity: 'info' }];
      return entries.map((entry) => ({ kind: 'baseline', entry }));
    } catch (e) {
      return [{ kind: 'message', text: `Could not read the history: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' }];
    }
  }

  getTreeItem(node: ActivityNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon(node.severity === 'error' ? 'error' : 'info');
      item.contextValue = 'plumbline.activity.message';
      return item;
    }
    const e = node.entry;
    const item = new vscode.TreeItem(`${e.host}: baseline v${e.version}`);
    item.description = `${e.promotedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} · ${e.promotedBy}${e.active ? ' · active' : ''}`;
    item.tooltip = `${e.env}/${e.host} baseline v${e.version}\npromoted ${e.promotedAt} by ${e.promotedBy}\nreason: ${e.reason}${e.active ? '\n(active: diffs compare against it)' : ''}`;
    item.iconPath = new vscode.ThemeIcon(e.active ? 'pinned' : 'history');
    item.contextValue = `plumbline.activity.baseline${e.active ? '.active' : ''}`;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
