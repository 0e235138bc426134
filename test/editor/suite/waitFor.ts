import * as vscode from 'vscode';

/**
 * Resolves with the first truthy value of `probe`, checked now and again whenever one of the
 * events fires (diagnostics, the extension's model). A deadline turns a hang into a clear failure.
 */
export function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, events: Array<vscode.Event<unknown>>, timeoutMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const subs: vscode.Disposable[] = [];
    const finish = (err: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      subs.forEach((s) => s.dispose());
      if (err) reject(err);
      else resolve(value as T);
    };
    const check = async () => {
      try {
        const v = await probe();
        if (v) finish(undefined, v);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    for (const e of events) subs.push(e(() => void check()));
    void check();
  });
}
