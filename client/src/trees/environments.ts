import * as vscode from 'vscode';
import type { EnvironmentView, FindingView, HostView, RenderedRow } from '../../../server/src/protocol/protocol';
import type { FleetModel } from '../model';
import { hostIcon, riskWords, severityColor, stateWords, summarize, worstFirst } from '../presentation';

/** Node kinds of the Environments tree. */
export type EnvNode =
  | { kind: 'environment'; env: EnvironmentView }
  | { kind: 'host'; env: string; host: HostView }
  | { kind: 'layer'; env: string; host: HostView; layer: FindingView['layer']; findings: FindingView[] }
  | { kind: 'finding'; env: string; host: string; finding: FindingView }
  | { kind: 'message'; text: string; tooltip?: string; severity: 'info' | 'warning' | 'error' };

const LAYERS: ReadonlyArray<FindingView['layer']> = ['hardware', 'os', 'app'];

/** environment → host → layer → finding, with state on every node. */
export class EnvironmentsTree implements vscode.TreeDataProvider<EnvNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<EnvNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private firstRender: (() => void) | undefined;

  constructor(
    private readonly model: FleetModel,
    onFirstRender?: () => void,
  ) {
    this.firstRender = onFirstRender;
    this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: EnvNode): EnvNode[] {
    const children = this.children(node);
    if (!node && this.firstRender && children.some((c) => c.kind === 'environment')) {
      this.firstRender();
      this.firstRender = undefined;
    }
    return children;
  }

  private children(node?: EnvNode): EnvNode[] {
    if (!node) {
      const view = this.model.view;
      if (this.model.failure) return [{ kind: 'message', text: `Server request failed: ${this.model.failure}`, severity: 'error' }];
      if (!view) return [{ kind: 'message', text: 'Starting the Plumbline server…', severity: 'info' }];
      const out: EnvNode[] = [];
      if (view.message) out.push({ kind: 'message', text: view.message, severity: view.configErrors > 0 ? 'error' : 'warning' });
      out.push(...view.environments.map((env): EnvNode => ({ kind: 'environment', env })));
      return out;
    }
    switch (node.kind) {
      case 'environment':
        return worstFirst(node.env.hosts).map((host) => ({ kind: 'host', env: node.env.name, host }));
      case 'host': {
        const layers = LAYERS.map((layer) => ({ layer, findings: node.host.findings.filter((f) => f.layer === layer && f.severity !== 'info') }))
          .filter((l) => l.findings.length > 0)
          .map((l): EnvNode => ({ kind: 'layer', env: node.env, host: node.host, ...l }));
        if (layers.length > 0) return layers;
        if (node.host.reason) return [{ kind: 'message', text: node.host.reason, severity: node.host.state === 'error' ? 'error' : node.host.state === 'unreachable' ? 'warning' : 'info' }];
        return [];
      }
      case 'layer':
        return node.findings.map((finding) => ({ kind: 'finding', env: node.env, host: node.host.host, finding }));
      default:
        return [];
    }
  }

  getTreeItem(node: EnvNode): vscode.TreeItem {
    switch (node.kind) {
      case 'environment': {
        const item = new vscode.TreeItem(node.env.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `env:${node.env.name}`;
        item.description = summarize(node.env);
        item.iconPath = new vscode.ThemeIcon('server-environment');
        item.contextValue = 'plumbline.environment';
        item.tooltip = `${node.env.name}: ${summarize(node.env)}`;
        return item;
      }
      case 'host': {
        const h = node.host;
        const hasChildren = h.findings.some((f) => f.severity !== 'info') || Boolean(h.reason);
        const item = new vscode.TreeItem(h.host, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `host:${node.env}/${h.host}`;
        item.description = stateWords(h);
        item.iconPath = hostIcon(h);
        // State in contextValue so menus can offer e.g. "Accept live" only on drifted hosts.
        item.contextValue = `plumbline.host.${h.state}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${h.host}** — ${stateWords(h)}\n\n`);
        if (h.reason) md.appendMarkdown(`${h.reason}\n\n`);
        md.appendMarkdown(`- reachable: ${h.reachable === undefined ? 'not checked yet' : h.reachable ? 'yes' : 'no'}\n`);
        if (h.keyFingerprint) md.appendMarkdown(`- host key: \`${h.keyFingerprint}\`\n`);
        md.appendMarkdown(h.baseline ? `- baseline v${h.baseline.version} (${h.baseline.promotedAt}, ${h.baseline.promotedBy}: ${h.baseline.reason})\n` : '- no baseline\n');
        md.appendMarkdown(`- ${riskWords(h)}\n`);
        if (h.checkedAt) md.appendMarkdown(`\n_as of ${h.checkedAt}_`);
        item.tooltip = md;
        return item;
      }
      case 'layer': {
        const item = new vscode.TreeItem(node.layer, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `layer:${node.env}/${node.host.host}/${node.layer}`;
        item.description = `${node.findings.length} finding${node.findings.length === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.contextValue = 'plumbline.layer';
        return item;
      }
      case 'finding': {
        const f = node.finding;
        const item = new vscode.TreeItem(f.path.replace(/^(hardware|os|app)\./, ''), vscode.TreeItemCollapsibleState.None);
        item.id = `finding:${node.env}/${node.host}/${f.path}/${f.change}`;
        item.description = `${f.severity} · ${f.change}`;
        item.iconPath = new vscode.ThemeIcon('diff-modified', severityColor(f.severity));
        item.contextValue = f.file && !f.file.secret ? 'plumbline.finding.file' : 'plumbline.finding';
        const change = f.file?.secret ? 'secret file changed (content never shown)' : `${f.old ?? '∅'} → ${f.new ?? '∅'}`;
        item.tooltip = `${node.host}: ${f.path}\n${f.change}, ${f.severity}: ${change}${f.file?.note ? `\n${f.file.note}` : ''}`;
        if (f.file?.local && f.file.ranges.length > 0) {
          item.command = { title: 'Show drift', command: 'plumbline.revealDrift', arguments: [f.file.local, f.file.ranges[0].start] };
        }
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.severity === 'error' ? 'error' : node.severity === 'warning' ? 'warning' : 'info');
        item.tooltip = node.tooltip ?? node.text;
        item.contextValue = 'plumbline.message';
        return item;
      }
    }
  }

  /** The whole tree as rows (labels, descriptions, contextValues), for tests and the bench. */
  render(node?: EnvNode): RenderedRow[] {
    return this.getChildren(node).map((n) => {
      const item = this.getTreeItem(n);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      const kids = item.collapsibleState === vscode.TreeItemCollapsibleState.None ? undefined : this.render(n);
      return {
        label,
        ...(typeof item.description === 'string' ? { description: item.description } : {}),
        ...(item.contextValue ? { contextValue: item.contextValue } : {}),
        ...(kids ? { children: kids } : {}),
      };
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
