import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AuditEntries, BaselineHistory, type AuditEntryView, type BaselineHistoryEntry, type RenderedRow } from '../../../server/src/protocol/protocol';
import type { FleetModel } from '../model';

/** Node kinds of the Activity tree: audit entries (decisions, actions, snapshots) and baselines, newest first. */
export type ActivityNode =
  | { kind: 'audit'; entry: AuditEntryView }
  | { kind: 'baseline'; entry: BaselineHistoryEntry }
  | { kind: 'message'; text: string; severity: 'info' | 'error' };

const OUTCOME_ICONS: Record<AuditEntryView['outcome'], [string, string | undefined]> = {
  done: ['pass', 'testing.iconPassed'],
  planned: ['eye', undefined],
  decided: ['law', 'list.warningForeground'],
  refused: ['circle-slash', 'list.warningForeground'],
  failed: ['error', 'list.errorForeground'],
  'verify-failed': ['error', 'list.errorForeground'],
  started: ['play', undefined],
  interrupted: ['debug-disconnect', 'list.errorForeground'],
};

const REFRESH_DEBOUNCE_MS = 300;

/** What happened in the selected environment, newest first. */
export class ActivityTree implements vscode.TreeDataProvider<ActivityNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ActivityNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private lastView: unknown;
  private lastEnv: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: FleetModel,
    private readonly client: () => LanguageClient,
  ) {
    this.subscriptions = [
      // Risk updates patch the view in place every interval; only a refetch or another selection matters here.
      model.onDidChange(() => {
        if (model.view === this.lastView && model.selected?.name === this.lastEnv) return;
        this.lastView = model.view;
        this.lastEnv = model.selected?.name;
        this.refresh();
      }),
      model.onDidAudit(() => this.refresh()),
    ];
  }

  private refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire(undefined);
    }, REFRESH_DEBOUNCE_MS);
  }

  async getChildren(node?: ActivityNode): Promise<ActivityNode[]> {
    if (node) return [];
    const env = this.model.selected;
    if (!env) return [{ kind: 'message', text: this.model.view?.message ?? 'No environment selected', severity: 'info' }];
    try {
      const [audit, baselines] = await Promise.all([
        this.client().sendRequest(AuditEntries.type, { env: env.name, limit: 200 }),
        this.client().sendRequest(BaselineHistory.type, { env: env.name }),
      ]);
      const nodes: Array<{ ts: string; node: ActivityNode }> = [
        ...audit.map((entry) => ({ ts: entry.ts, node: { kind: 'audit', entry } as ActivityNode })),
        ...baselines.map((entry) => ({ ts: entry.promotedAt, node: { kind: 'baseline', entry } as ActivityNode })),
      ];
      if (nodes.length === 0) return [{ kind: 'message', text: `Nothing happened in ${env.name} yet`, severity: 'info' }];
      return nodes.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0)).map((n) => n.node);
    } catch (e) {
      return [{ kind: 'message', text: `Could not read the activity: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' }];
    }
  }

  getTreeItem(node: ActivityNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon(node.severity === 'error' ? 'error' : 'info');
      item.contextValue = 'plumbline.activity.message';
      return item;
    }
    if (node.kind === 'audit') return auditItem(node.entry);
    const e = node.entry;
    const item = new vscode.TreeItem(`${e.host}: baseline v${e.version}`);
    item.description = `${when(e.promotedAt)} · ${e.promotedBy}${e.active ? ' · active' : ''}`;
    item.tooltip = `${e.env}/${e.host} baseline v${e.version}\npromoted ${e.promotedAt} by ${e.promotedBy}\nreason: ${e.reason}${e.active ? '\n(active: diffs compare against it)' : ''}`;
    item.iconPath = new vscode.ThemeIcon(e.active ? 'pinned' : 'history');
    item.contextValue = `plumbline.activity.baseline${e.active ? '.active' : ''}`;
    return item;
  }

  /** The tree as rows, for tests. */
  async render(): Promise<RenderedRow[]> {
    const nodes = await this.getChildren();
    return nodes.map((n) => {
      const item = this.getTreeItem(n);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return { label, ...(typeof item.description === 'string' ? { description: item.description } : {}), ...(item.contextValue ? { contextValue: item.contextValue } : {}) };
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscriptions.forEach((s) => s.dispose());
    this.emitter.dispose();
  }
}

function auditItem(e: AuditEntryView): vscode.TreeItem {
  const what = e.kind === 'decision' ? `decision: ${e.action ?? 'none'}` : e.kind === 'snapshot' ? 'snapshot' : `${e.action ?? 'action'}`;
  const outcome = e.outcome === 'decided' ? '' : ` ${e.outcome}`;
  const item = new vscode.TreeItem(`${e.host ?? e.env}: ${what}${outcome}`);
  item.id = `audit:${e.id}`;
  item.description = `${when(e.ts)} · ${e.actor}`;
  const [icon, color] = OUTCOME_ICONS[e.outcome];
  item.iconPath = new vscode.ThemeIcon(e.kind === 'snapshot' && e.outcome === 'done' ? 'archive' : icon, color ? new vscode.ThemeColor(color) : undefined);
  item.contextValue = `plumbline.activity.${e.kind}.${e.outcome}`;
  const lines = [`#${e.id} ${e.ts} — ${e.kind}${e.action ? ` ${e.action}` : ''}: ${e.outcome}`, e.summary];
  if (e.reasons?.length) lines.push('', 'Why:', ...e.reasons.map((r) => `  ${r}`));
  if (e.commands?.length) lines.push('', 'Commands that change the host:', ...e.commands.map((c) => `  $ ${c.length > 300 ? `${c.slice(0, 297)}…` : c}`));
  if (e.failedChecks?.length) lines.push('', 'Verification failed:', ...e.failedChecks.map((c) => `  ${c}`));
  item.tooltip = lines.join('\n');
  return item;
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
