import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Commands, type FromWebview, type ToWebview } from '../../server/src/protocol/protocol';
import type { FleetModel } from './model';

/**
 * The dashboard webview: per host, its baseline and drift items; a chart area reserved for risk
 * timelines. Strict CSP with a nonce, resources only from media/, typed messages both ways.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'plumbline.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, model: FleetModel): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Plumbline Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
    });
    DashboardPanel.current = new DashboardPanel(panel, media, model);
    return DashboardPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly media: vscode.Uri,
    private readonly model: FleetModel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(media, 'plumbline.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      model.onDidChange(() => this.post()),
    );
  }

  private receive(m: FromWebview): void {
    if (m.type === 'ready') this.post();
    else if (m.type === 'run') {
      const command = m.command === 'diff' ? Commands.diff : m.command === 'captureBaseline' ? Commands.captureBaseline : Commands.checkHosts;
      void vscode.commands.executeCommand(command, m.env);
    }
  }

  private post(): void {
    const view = this.model.view;
    if (!view) return;
    const message: ToWebview = { type: 'state', view, ...(this.model.selected ? { selected: this.model.selected.name } : {}) };
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64');
    const w = this.panel.webview;
    const script = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'dashboard.js'));
    const style = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'dashboard.css'));
    const csp = [`default-src 'none'`, `img-src ${w.cspSource}`, `style-src ${w.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Plumbline Dashboard</title>
</head>
<body>
<header><h1>Plumbline</h1><span id="summary" class="muted">waiting for the server…</span></header>
<section id="risk" class="chart" aria-label="Risk timeline">
  <h2>Risk timeline</h2>
  <p class="muted">Not scored yet: risk timelines appear here once risk scoring lands.</p>
</section>
<main id="hosts"></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    DashboardPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
