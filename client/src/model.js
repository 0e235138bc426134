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
exports.FleetModel = void 0;
const vscode = __importStar(require("vscode"));
const protocol_1 = require("../../server/src/protocol/protocol");
const SELECTED_KEY = 'plumbline.selectedEnvironment';
const REFRESH_DEBOUNCE_MS = 150;
/**
 * The client's copy of the server's fleet view, refetched (debounced) whenever the server says
 * it changed. Holds no state the server does not also hold, except which environment is selected.
 */
class FleetModel {
    client;
    memento;
    emitter = new vscode.EventEmitter();
    onDidChange = this.emitter.event;
    current;
    error;
    timer;
    subscription;
    pending;
    constructor(client, memento) {
        this.client = client;
        this.memento = memento;
    }
    /** Starts listening to the (started) client; called again after a restart. */
    attach(client) {
        this.client = client;
        this.subscription?.dispose();
        this.subscription = client.onNotification(protocol_1.StateChanged.type, () => this.refresh());
        this.refresh(0);
    }
    get view() {
        return this.current;
    }
    /** Why the view could not be fetched, if it could not. */
    get failure() {
        return this.error;
    }
    get selected() {
        const envs = this.current?.environments ?? [];
        const name = this.memento.get(SELECTED_KEY);
        return envs.find((e) => e.name === name) ?? envs[0];
    }
    async select(name) {
        await this.memento.update(SELECTED_KEY, name);
        this.emitter.fire();
    }
    /** Debounced: several changes in a burst fetch once. */
    refresh(delay = REFRESH_DEBOUNCE_MS) {
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pending = this.fetch();
        }, delay);
    }
    /** Resolves after the next fetch that is pending or already scheduled. */
    async settled() {
        while (this.timer || this.pending) {
            if (this.pending)
                await this.pending;
            else
                await new Promise((r) => setTimeout(r, REFRESH_DEBOUNCE_MS));
        }
    }
    async fetch() {
        try {
            this.current = await this.client.sendRequest(protocol_1.WorkspaceState.type, {});
            this.error = undefined;
        }
        catch (e) {
            this.error = e instanceof Error ? e.message : String(e);
        }
        finally {
            this.pending = undefined;
        }
        this.emitter.fire();
    }
    dispose() {
        if (this.timer)
            clearTimeout(this.timer);
        this.subscription?.dispose();
        this.emitter.dispose();
    }
}
exports.FleetModel = FleetModel;
//# sourceMappingURL=model.js.map