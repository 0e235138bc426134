import * as vscode from 'vscode';
import { Commands, type ServerStatusParams } from '../../server/src/protocol/protocol';
import type { FleetModel } from './model';
import { riskWords, stateWords, summarize, worstFirst } from './presentation';

/**
 * The status bar: the selected environment's drift and reachability in words (risk tier once
 * scored), with only the theme's warning/error backgrounds; click to pick the environment.
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
