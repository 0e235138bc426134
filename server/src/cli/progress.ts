import type { HostOutcome } from '../engine/outcome';

/** Progress goes to stderr so stdout stays clean for tables and JSON. */
export function hostProgress(verb: string, total: number, quiet: boolean): (o: HostOutcome<unknown>) => void {
  let done = 0;
  return (o) => {
    done++;
    if (quiet) return;
    const status = o.ok ? 'ok' : `FAILED: ${o.error.message}`;
    process.stderr.write(`[${done}/${total}] ${verb} ${o.host} ${status} (${o.durationMs} ms)\n`);
  };
}

export function note(line: string, quiet = false): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}
