"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.EnvironmentsTree = void 0;
const vscode = __importStar(require("vscode"));
const presentation_1 = require("../presentation");
const LAYERS = ['hardware', 'os', 'app'];
/** environment → host → layer → finding, with state on every node. */
class EnvironmentsTree {
    model;
    emitter = new vscode.EventEmitter();
    onDidChangeTreeData = this.emitter.event;
    subscription;
    firstRender;
    constructor(model, onFirstRender) {
        this.model = model;
        this.firstRender = onFirstRender;
        this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
    }
    getChildren(node) {
        const children = this.children(node);
        if (!node && this.firstRender && children.some((c) => c.kind === 'environment')) {
            this.firstRender();
            this.firstRender = undefined;
        }
        return children;
    }
    children(node) {
        if (!node) {
            const view = this.model.view;
            if (this.model.failure)
                return [{ kind: 'message', text: `Server request failed: ${this.model.failure}`, severity: 'error' }];
            if (!view)
                return [{ kind: 'message', text: 'Starting the Plumbline server…', severity: 'info' }];
            const out = [];
            if (view.message)
                out.push({ kind: 'message', text: view.message, severity: view.configErrors > 0 ? 'error' : 'warning' });
            out.push(...view.environments.map((env) => ({ kind: 'environment', env })));
            return out;
        }
        switch (node.kind) {
            case 'environment':
                return (0, presentation_1.worstFirst)(node.env.hosts).map((host) => ({ kind: 'host', env: node.env.name, host }));
            case 'host': {
                const layers = LAYERS.map((layer) => ({ layer, findings: node.host.findings.filter((f) => f.layer === layer && f.severity !== 'info') }))
                    .filter((l) => l.findings.length > 0)
                    .map((l) => ({ kind: 'layer', env: node.env, host: node.host, ...l }));
                if (layers.length > 0)
                    return layers;
                if (node.host.reason)
                    return [{ kind: 'message', text: node.host.reason, severity: node.host.state === 'error' ? 'error' : node.host.state === 'unreachable' ? 'warning' : 'info' }];
                return [];
            }
            case 'layer':
                return node.findings.map((finding) => ({ kind: 'finding', env: node.env, host: node.host.host, finding }));
            default:
                return [];
        }
    }
    getTreeItem(node) {
        switch (node.kind) {
            case 'environment': {
                const item = new vscode.TreeItem(node.env.name, vscode.TreeItemCollapsibleState.Expanded);
                item.id = `env:${node.env.name}`;
                item.description = (0, presentation_1.summarize)(node.env);
                item.iconPath = new vscode.ThemeIcon('server-environment');
                item.contextValue = 'plumbline.environment';
                item.tooltip = `${node.env.name}: ${(0, presentation_1.summarize)(node.env)}`;
                return item;
            }
            case 'host': {
                const h = node.host;
                const hasChildren = h.findings.some((f) => f.severity !== 'info') || Boolean(h.reason);
                const item = new vscode.TreeItem(h.host, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
                item.id = `host:${node.env}/${h.host}`;
                item.description = (0, presentation_1.stateWords)(h);
                item.iconPath = (0, presentation_1.hostIcon)(h);
                // State in contextValue so menus can offer e.g. "Accept live" only on drifted hosts.
                item.contextValue = `plumbline.host.${h.state}`;
                const md = new vscode.MarkdownString(undefined, true);
                md.appendMarkdown(`**${h.host}** — ${(0, presentation_1.stateWords)(h)}\n\n`);
                if (h.reason)
                    md.appendMarkdown(`${h.reason}\n\n`);
                md.appendMarkdown(`- reachable: ${h.reachable === undefined ? 'not checked yet' : h.reachable ? 'yes' : 'no'}\n`);
                if (h.keyFingerprint)
                    md.appendMarkdown(`- host key: \`${h.keyFingerprint}\`\n`);
                md.appendMarkdown(h.baseline ? `- baseline v${h.baseline.version} (${h.baseline.promotedAt}, ${h.baseline.promotedBy}: ${h.baseline.reason})\n` : '- no baseline\n');
                md.appendMarkdown(`- ${(0, presentation_1.riskWords)(h)}\n`);
                if (h.checkedAt)
                    md.appendMarkdown(`\n_as of ${h.checkedAt}_`);
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
                item.iconPath = new vscode.ThemeIcon('diff-modified', (0, presentation_1.severityColor)(f.severity));
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
    render(node) {
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
    dispose() {
        this.subscription.dispose();
        this.emitter.dispose();
    }
}
exports.EnvironmentsTree = EnvironmentsTree;
//# sourceMappingURL=environments.js.map