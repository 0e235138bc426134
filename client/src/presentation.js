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
exports.hostRank = hostRank;
exports.worstFirst = worstFirst;
exports.stateWords = stateWords;
exports.riskWords = riskWords;
exports.severityColor = severityColor;
exports.hostIcon = hostIcon;
exports.summarize = summarize;
/**
 * How host states look everywhere in the client (trees, status bar, dashboard): words, icons,
 * theme colours. One place so the sidebar and the status bar never disagree.
 */
const vscode = __importStar(require("vscode"));
const STATE_ORDER = ['clean', 'unknown', 'noBaseline', 'drift', 'unreachable', 'error'];
const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];
function hostRank(h) {
    return STATE_ORDER.indexOf(h.state) * 10 + Math.max(0, h.highest ? SEVERITY_ORDER.indexOf(h.highest) : 0);
}
function worstFirst(hosts) {
    return [...hosts].sort((a, b) => hostRank(b) - hostRank(a) || a.host.localeCompare(b.host));
}
function stateWords(h) {
    switch (h.state) {
        case 'drift':
            return `drift (${h.highest ?? 'low'})`;
        case 'noBaseline':
            return 'no baseline';
        case 'unknown':
            return 'not checked';
        default:
            return h.state;
    }
}
function riskWords(h) {
    return h.risk ? `risk ${h.risk.tier} (${h.risk.value.toFixed(2)})` : 'risk not scored yet';
}
function severityColor(s) {
    if (s === 'critical' || s === 'high')
        return new vscode.ThemeColor('list.errorForeground');
    if (s === 'medium' || s === 'low')
        return new vscode.ThemeColor('list.warningForeground');
    return undefined;
}
function hostIcon(h) {
    switch (h.state) {
        case 'clean':
            return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
        case 'drift':
            return new vscode.ThemeIcon('warning', severityColor(h.highest));
        case 'unreachable':
            return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.warningForeground'));
        case 'error':
            return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        case 'noBaseline':
            return new vscode.ThemeIcon('circle-large-outline');
        default:
            return new vscode.ThemeIcon('question');
    }
}
/** "1 drift (medium), 2 clean" — counts by state, worst first. */
function summarize(env) {
    const counts = new Map();
    for (const h of worstFirst(env.hosts))
        counts.set(stateWords(h), (counts.get(stateWords(h)) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no hosts';
}
//# sourceMappingURL=presentation.js.map