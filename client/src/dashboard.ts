import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Commands, WatchSeries, type FromWebview, type ToWebview } from '../../server/src/protocol/protocol';
import type { FleetModel } from './model';

/**
 * The dashboard webview: per host and layer, the risk timeline and metric charts (uPlot) with the
 * baseline band and the forecast line to the limit, updated live from watch events; the drift
 * table below. Strict CSP with a nonce, resources only from media/ (uPlot is copied there at
 * build time), typed messages both ways, theme colours.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'plumbline.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Charts the page last said it drew. */
  charts: number | undefined;
  private seriesFor: string | undefined;
  private watching: boolean | undefined;

  static get open(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  static show(extensionUri: vscode.Uri, model: FleetModel, client: () => LanguageClient): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Plumbline Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
    });
    DashboardPanel.current = new DashboardPanel(panel, media, model, client);
    return DashboardPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly media: vscode.Uri,
    private readonly model: FleetModel,
    private readonly client: () => LanguageClient,
  ) {
    panel.iconPath = vscode.Uri.joinPath(media, 'plumbline.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      model.onDidChange(() => this.post()),
      model.onDidSample((p) => {
        if (p.env !== this.model.selected?.name) return;
        const m: ToWebview = { type: 'point', ...p };
        void this.panel.webview.postMessage(m);
      }),
    );
  }

  private receive(m: FromWebview): void {
    if (m.type === 'ready') {
      this.seriesFor = undefined;
      this.post();
    } else if (m.type === 'drawn') this.charts = m.charts;
    else if (m.type === 'run') {
      const commands = { diff: Commands.diff, captureBaseline: Commands.captureBaseline, checkHosts: Commands.checkHosts, startWatching: Commands.startWatching, stopWatching: Commands.stopWatching };
      void vscode.commands.executeCommand(commands[m.command], m.env);
    }
  }

  private post(): void {
    const view = this.model.view;
    if (!view) return;
    const selected = this.model.selected;
    const message: ToWebview = { type: 'state', view, ...(selected ? { selected: selected.name } : {}) };
    void this.panel.webview.postMessage(message);
    // The whole series again only when the environment or its watching changed; points stream in between.
    if (selected && (selected.name !== this.seriesFor || selected.watching !== this.watching)) {
      this.seriesFor = selected.name;
      this.watching = selected.watching;
      void this.client()
        .sendRequest(WatchSeries.type, { env: selected.name })
        .then((series) => this.panel.webview.postMessage({ type: 'series', series } satisfies ToWebview))
        .then(undefined, () => undefined);
    }
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64');
    const w = this.panel.webview;
    const script = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'dashboard.js'));
    const style = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'dashboard.css'));
    const uplot = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'uPlot.iife.min.js'));
    const uplotStyle = w.asWebviewUri(vscode.Uri.joinPath(this.media, 'uPlot.min.css'));
    const csp = [`default-src 'none'`, `img-src ${w.cspSource}`, `style-src ${w.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uplotStyle.toString()}">
<link rel="stylesheet" href="${style.toString()}">
<title>Plumbline Dashboard</title>
</head>
<body>
<header><h1>Plumbline</h1><span id="summary" class="muted">waiting for the server…</span></header>
<section id="charts" aria-label="Risk timelines and metrics"><p class="muted" id="charts-note">Not watching: start watching to see risk timelines and metrics.</p></section>
<main id="hosts"></main>
<script nonce="${nonce}" src="${uplot.toString()}"></script>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    DashboardPanel.current = undefined;
    this.charts = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
