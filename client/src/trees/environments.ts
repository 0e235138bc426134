import * as vscode from 'vscode';
import type { DecisionView, EnvironmentView, FindingView, HostView, LayerRiskView, ProposalView, ReasonView, RenderedRow } from '../../../server/src/protocol/protocol';
import { reasonLine, riskPhrase, stateWord } from '../../../server/src/protocol/riskWords';
import type { FleetModel } from '../model';
import { hostDescription, hostIcon, layerDescription, riskIcon, riskWords, severityColor, stateWords, summarize, worstFirst } from '../presentation';

/** Node kinds of the Environments tree. */
export type EnvNode =
  | { kind: 'environment'; env: EnvironmentView }
  | { kind: 'host'; env: string; host: HostView }
  | { kind: 'layer'; env: string; host: HostView; layer: FindingView['layer']; findings: FindingView[]; risk?: LayerRiskView }
  | { kind: 'finding'; env: string; host: string; finding: FindingView }
  | { kind: 'reason'; env: string; host: string; reason: ReasonView }
  /** Why the watch decided what it did about the host: cause, evidence, what each tier cures. */
  | { kind: 'why'; env: string; host: string; decision: DecisionView }
  /** A healthy release deployed outside Plumbline, proposed as the host's baseline. */
  | { kind: 'proposal'; env: string; host: string; proposal: ProposalView }
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
        const risk = node.host.risk;
        const layers = LAYERS.map((layer) => ({ layer, findings: node.host.findings.filter((f) => f.layer === layer && f.severity !== 'info'), ...(risk ? { risk: risk.layers[layer] } : {}) }))
          // While watched every layer shows its risk; otherwise only layers that drifted.
          .filter((l) => l.findings.length > 0 || l.risk)
          .map((l): EnvNode => ({ kind: 'layer', env: node.env, host: node.host, ...l }));
        const stream = node.host.watch?.stream === 'backoff' ? [{ kind: 'message' as const, text: `unreachable: ${node.host.watch.streamError ?? 'stream down'}`, severity: 'warning' as const }] : [];
        const why: EnvNode[] = [
          ...(node.host.proposal ? [{ kind: 'proposal' as const, env: node.env, host: node.host.host, proposal: node.host.proposal }] : []),
          ...(node.host.decision ? [{ kind: 'why' as const, env: node.env, host: node.host.host, decision: node.host.decision }] : []),
        ];
        if (layers.length > 0) return [...stream, ...why, ...layers];
        if (node.host.reason) return [{ kind: 'message', text: node.host.reason, severity: node.host.state === 'error' ? 'error' : node.host.state === 'unreachable' ? 'warning' : 'info' }];
        return [];
      }
      case 'why':
        return [
          ...node.decision.evidence.map((text): EnvNode => ({ kind: 'message', text, severity: 'info' })),
          ...node.decision.tiers.map((text): EnvNode => ({ kind: 'message', text, severity: 'info' })),
        ];
      case 'layer':
        return [
          ...(node.risk?.reasons ?? []).map((reason): EnvNode => ({ kind: 'reason', env: node.env, host: node.host.host, reason })),
          ...node.findings.map((finding): EnvNode => ({ kind: 'finding', env: node.env, host: node.host.host, finding })),
        ];
      default:
        return [];
    }
  }

  getTreeItem(node: EnvNode): vscode.TreeItem {
    switch (node.kind) {
      case 'environment': {
        const item = new vscode.TreeItem(node.env.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `env:${node.env.name}`;
        item.description = `${summarize(node.env)}${node.env.watching ? ' · watching' : ''}`;
        item.iconPath = new vscode.ThemeIcon(node.env.watching ? 'eye' : 'server-environment');
        // Watching in contextValue: the inline action is Start or Stop Watching.
        item.contextValue = `plumbline.environment${node.env.watching ? '.watching' : ''}`;
        item.tooltip = `${node.env.name}: ${summarize(node.env)}\nactions.mode: ${node.env.mode}${node.env.watching ? '\nwatching' : ''}`;
        return item;
      }
      case 'host': {
        const h = node.host;
        const hasChildren = h.findings.some((f) => f.severity !== 'info') || Boolean(h.reason) || Boolean(h.risk) || Boolean(h.decision) || Boolean(h.proposal);
        const item = new vscode.TreeItem(h.host, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `host:${node.env}/${h.host}`;
        item.description = hostDescription(h);
        item.iconPath = hostIcon(h);
        // State (and risk while watched) in contextValue so menus can offer e.g. "Accept live" only on drifted hosts.
        item.contextValue = `plumbline.host.${h.state}${h.risk ? `.risk-${h.risk.state}` : ''}${h.proposal ? '.proposal' : ''}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${h.host}** — ${stateWords(h)}\n\n`);
        if (h.reason) md.appendMarkdown(`${h.reason}\n\n`);
        md.appendMarkdown(`- reachable: ${h.reachable === undefined ? 'not checked yet' : h.reachable ? 'yes' : 'no'}\n`);
        if (h.keyFingerprint) md.appendMarkdown(`- host key: \`${h.keyFingerprint}\`\n`);
        md.appendMarkdown(h.baseline ? `- baseline v${h.baseline.version} (${h.baseline.promotedAt}, ${h.baseline.promotedBy}: ${h.baseline.reason})\n` : '- no baseline\n');
        md.appendMarkdown(`- ${riskWords(h)}\n`);
        if (h.risk) {
          for (const l of Object.values(h.risk.layers)) md.appendMarkdown(`- ${l.layer}: ${stateWord(l.state)} ${l.value.toFixed(2)}${l.reasons[0] ? ` — ${escape(reasonLine(l.reasons[0]))}` : ''}\n`);
        }
        if (h.checkedAt) md.appendMarkdown(`\n_as of ${h.checkedAt}_`);
        item.tooltip = md;
        return item;
      }
      case 'layer': {
        const r = node.risk;
        const hasChildren = node.findings.length > 0 || (r?.reasons.length ?? 0) > 0;
        const item = new vscode.TreeItem(node.layer, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${node.env}/${node.host.host}/${node.layer}`;
        const drift = node.findings.length ? `${node.findings.length} drift finding${node.findings.length === 1 ? '' : 's'}` : '';
        item.description = [r ? layerDescription(r) : '', drift].filter(Boolean).join(' · ');
        item.iconPath = r ? riskIcon(r.state) : new vscode.ThemeIcon('layers');
        item.contextValue = `plumbline.layer${r ? `.risk-${r.state}` : ''}`;
        if (r) {
          const md = new vscode.MarkdownString(`**${node.host.host} · ${node.layer}**: ${riskPhrase(r)}, ${r.value.toFixed(2)} (since ${new Date(r.since).toISOString()})\n\n`);
          for (const x of r.reasons) md.appendMarkdown(`- ${escape(reasonLine(x))}\n  ${escape(x.detail)}\n`);
          if (r.lastSampleTs === null) md.appendMarkdown('\n_no sample yet_');
          item.tooltip = md;
        }
        return item;
      }
      case 'why': {
        const d = node.decision;
        const what = d.tier === null ? 'no action' : `tier ${d.tier} ${d.action}${d.blockedBy ? ` (blocked: ${d.blockedBy})` : d.executed ? ' (ran)' : ''}`;
        const item = new vscode.TreeItem(`why: ${what}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `why:${node.env}/${node.host}`;
        item.description = `${d.cause ?? 'no cause'} · ${d.summary}`;
        item.iconPath = new vscode.ThemeIcon('question');
        item.contextValue = 'plumbline.why';
        const md = new vscode.MarkdownString(`**${escape(node.host)}: ${escape(what)}** — cause **${escape(d.cause ?? 'none')}**, decided by ${d.decidedBy}

${escape(d.summary)}

`);
        for (const e of d.evidence) md.appendMarkdown(`- evidence: ${escape(e)}
`);
        for (const t of d.tiers) md.appendMarkdown(`- ${escape(t)}
`);
        md.appendMarkdown(`
_${escape(d.why)}_`);
        item.tooltip = md;
        return item;
      }
      case 'proposal': {
        const p = node.proposal;
        const item = new vscode.TreeItem(`proposal: promote ${p.release.to ?? '(none)'} as the baseline`, vscode.TreeItemCollapsibleState.None);
        item.id = `proposal:${node.env}/${node.host}`;
        item.description = p.why;
        item.iconPath = new vscode.ThemeIcon('lightbulb');
        item.contextValue = 'plumbline.proposal';
        item.tooltip = `${p.why}
Accept: Plumbline: Promote Release as Baseline, or ${p.command}`;
        item.command = { title: 'Promote Release as Baseline', command: 'plumbline.promoteRelease', arguments: [{ env: node.env, host: node.host }] };
        return item;
      }
      case 'reason': {
        const x = node.reason;
        const item = new vscode.TreeItem(`${x.metric}`, vscode.TreeItemCollapsibleState.None);
        item.id = `reason:${node.env}/${node.host}/${x.layer}/${x.source}/${x.metric}`;
        item.description = `${x.source} · ${x.score.toFixed(2)} · ${x.detail}`;
        item.iconPath = new vscode.ThemeIcon(x.source === 'forecast' ? 'graph-line' : x.source === 'nodata' ? 'circle-slash' : x.source === 'config' ? 'settings-gear' : 'pulse');
        // Config drift is fixed by an action or a new baseline, not by teaching the detectors.
        item.contextValue = x.source === 'config' ? 'plumbline.reason.config' : 'plumbline.reason';
        item.tooltip = `${reasonLine(x)}\n${x.detail}`;
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

/** Text from hosts goes into Markdown tooltips as text, never as markup. */
function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
