import type { CancellationToken, WorkDoneProgressReporter } from 'vscode-languageserver';

/** Per-host progress on a fleet operation: "web-2 done (2/3)". */
export function hostProgress(progress: WorkDoneProgressReporter, title: string, total: number): (host: string, ok: boolean) => void {
  let done = 0;
  progress.begin(title, 0, `0/${total} hosts`, true);
  return (host, ok) => {
    done++;
    progress.report(Math.round((done / Math.max(1, total)) * 100), `${host} ${ok ? 'done' : 'failed'} (${done}/${total})`);
  };
}

/**
 * Waits for `work` unless the person cancels first. The engine cannot abort SSH work in flight,
 * so a cancel stops waiting: hosts already running finish, and their results still land.
 */
export function untilCancelled<T>(work: Promise<T>, token: CancellationToken, ...more: CancellationToken[]): Promise<{ value: T } | { cancelled: true }> {
  const tokens = [token, ...more];
  if (tokens.some((t) => t.isCancellationRequested)) return Promise.resolve({ cancelled: true });
  return new Promise((resolve, reject) => {
    const subs = tokens.map((t) => t.onCancellationRequested(() => finish({ cancelled: true })));
    const finish = (r: { value: T } | { cancelled: true }) => {
      subs.forEach((s) => s.dispose());
      resolve(r);
    };
    work.then(
      (value) => finish({ value }),
      (e: unknown) => {
        subs.forEach((s) => s.dispose());
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
