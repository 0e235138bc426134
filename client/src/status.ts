import * as vscode from 'vscode';
import { Commands, type ServerStatusParams } from '../../server/src/protocol/protocol';
import type { FleetModel } from './model';
import { reasonLine, riskPhrase, riskRank } from '../../server/src/protocol/riskWords';
import { riskWords, stateWords, summarize, watchWords, worstFirst } from './presentation';

/**
 * The status bar: the selected environment's highest risk and its tier in words while watched,
 * else its drift and reachability; only the theme's warning/error backgrounds; click to pick the
 * environment. The tooltip lists the riskiest hosts with their reasons.
 */
export class EnvironmentStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('plumbline.environment', vscode.StatusBarAlignment.Left, 10);
  private server: ServerStatusParams = { state: 'warning', message: 'starting the Plumbline server…' };
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: FleetModel) {
    this.item.name = 'Plumbline';
    this.item.command = Commands.selectEnvironment;
    this.subscription = model.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  /** Server health: shown in this same item when the server is not fine. */
  setServer(status: ServerStatusParams): void {
    this.server = status;
    this.render();
  }

  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const env = this.model.selected;
    const view = this.model.view;
    if (this.server.state === 'error') {
      this.set('$(error) Plumbline: server failed', this.server.message, 'error');
      return;
    }
    if (!view) {
      this.set('$(loading~spin) Plumbline', this.server.message, undefined);
      return;
    }
    if (!env) {
      this.set(`$(warning) Plumbline: ${view.message ?? 'no environments'}`, view.message ?? '', view.configErrors > 0 ? 'warning' : undefined);
      return;
    }
    if (env.watching || env.hosts.some((h) => h.risk)) {
      this.renderRisk(env, view.trusted);
      return;
    }
    const hosts = worstFirst(env.hosts);
    const bad = hosts.filter((h) => h.state === 'error' || h.state === 'unreachable' || (h.state === 'drift' && (h.highest === 'critical' || h.highest === 'high')));
    const warn = hosts.filter((h) => h.state === 'drift' || h.state === 'noBaseline');
    const icon = bad.length ? '$(error)' : warn.length ? '$(warning)' : '$(pass)';
    const text = `${icon} ${env.name}: ${summarize(env)}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Plumbline — ${env.name}**${view.trusted ? '' : ' (untrusted workspace: validation only)'}\n\n`);
    for (const h of hosts.slice(0, 5)) tooltip.appendMarkdown(`- **${h.host}**: ${stateWords(h)} — ${h.reason ?? ''} (${riskWords(h)})\n`);
    tooltip.appendMarkdown(`\nServer: ${this.server.message}. Click to pick an environment.`);
    this.set(text, tooltip, bad.length ? 'error' : warn.length ? 'warning' : undefined);
  }

  /** "lab: moderate risk (tier 2) on web-1"; no data is never shown as fine. */
  private renderRisk(env: NonNullable<FleetModel['selected']>, trusted: boolean): void {
    const ranked = [...env.hosts].sort((a, b) => riskRank(b.risk) - riskRank(a.risk) || a.host.localeCompare(b.host));
    const top = ranked[0];
    const risk = top?.risk;
    const watching = env.watching ? '' : ' (not watching)';
    let text: string;
    let background: 'warning' | 'error' | undefined;
    if (!risk) {
      text = `$(eye) ${env.name}: watching, no risk scored yet${top ? ` (${watchWords(top) || 'waiting'})` : ''}`;
      background = undefined;
    } else if (risk.state === 'nodata') {
      const silent = ranked.filter((h) => h.risk?.state === 'nodata').map((h) => h.host);
      text = `$(circle-slash) ${env.name}: no data from ${silent.join(', ')}${watching}`;
      background = 'warning';
    } else if (risk.state === 'ok') {
      text = `$(pass) ${env.name}: ok, ${env.hosts.length} host${env.hosts.length === 1 ? '' : 's'} watched${watching}`;
      background = undefined;
    } else {
      const others = ranked.slice(1).filter((h) => h.risk && h.risk.state !== 'ok').length;
      text = `${risk.state === 'severe' ? '$(error)' : '$(warning)'} ${env.name}: ${riskPhrase(risk)} on ${top.host}${others ? ` (+${others} more)` : ''}${watching}`;
      background = risk.state === 'severe' ? 'error' : 'warning';
    }
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Plumbline — ${env.name}** (${env.watching ? 'watching' : 'last watch'}, actions.mode: ${env.mode})${trusted ? '' : ' (untrusted workspace: validation only)'}\n\n`);
    for (const h of ranked.slice(0, 5)) {
      tooltip.appendMarkdown(`- **${h.host}**: ${h.risk ? `${riskPhrase(h.risk)}, ${h.risk.value.toFixed(2)}` : riskWords(h)}${watchWords(h) ? ` (${watchWords(h)})` : ''}\n`);
      for (const r of h.risk?.reasons.slice(0, 2) ?? []) tooltip.appendText(`    ${reasonLine(r)}\n`);
    }
    tooltip.appendMarkdown(`\nServer: ${this.server.message}. Click to pick an environment.`);
    this.set(text, tooltip, background);
  }

  private set(text: string, tooltip: string | vscode.MarkdownString, background: 'warning' | 'error' | undefined): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background ? new vscode.ThemeColor(`statusBarItem.${background}Background`) : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
