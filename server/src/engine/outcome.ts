/** What happened on one host during a fleet-wide operation. One bad host never stops the others. */
export type HostOutcome<T> =
  | { host: string; ok: true; value: T; durationMs: number }
  | { host: string; ok: false; error: { kind: string; message: string }; durationMs: number };

/**
 * Runs `fn` for every host with at most `limit` in flight, and never rejects: a thrown error
 * becomes that host's failed outcome.
 */
export async function forEachHost<T>(
  hosts: string[],
  limit: number,
  fn: (host: string) => Promise<{ ok: true; value: T } | { ok: false; error: { kind: string; message: string } }>,
  onDone?: (outcome: HostOutcome<T>) => void,
): Promise<Array<HostOutcome<T>>> {
  const outcomes: Array<HostOutcome<T>> = new Array(hosts.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < hosts.length) {
      const i = next++;
      const host = hosts[i];
      const started = performance.now();
      let outcome: HostOutcome<T>;
      try {
        const r = await fn(host);
        const durationMs = Math.round(performance.now() - started);
        outcome = r.ok ? { host, ok: true, value: r.value, durationMs } : { host, ok: false, error: r.error, durationMs };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        outcome = { host, ok: false, error: { kind: 'InternalError', message }, durationMs: Math.round(performance.now() - started) };
      }
      outcomes[i] = outcome;
      onDone?.(outcome);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, hosts.length) }, worker));
  return outcomes;
}
