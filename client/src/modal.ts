import * as vscode from 'vscode';
import type { ModalRequest } from '../../server/src/protocol/protocol';

type Hook = (modal: ModalRequest) => Promise<string | undefined>;

/**
 * Every modal question Plumbline asks (destructive actions, policy approvals) goes through here,
 * so the exact text a person reads is also what a test sees: with a hook set (the extension-host
 * tests), the hook answers instead of the screen; nothing else changes on the way.
 */
export class Modals {
  private hook: Hook | undefined;

  setHook(hook: Hook | undefined): void {
    this.hook = hook;
  }

  /** Resolves with the button chosen, or undefined when dismissed. */
  async ask(modal: ModalRequest): Promise<string | undefined> {
    if (this.hook) return this.hook(modal);
    return vscode.window.showWarningMessage(modal.message, { modal: true, detail: modal.detail }, ...modal.buttons);
  }
}
