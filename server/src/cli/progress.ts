import { printErr } from './output';
import type { HostOutcome } from '../engine/outcome';

/** Progress goes to stderr so stdout stays clean for tables and JSON. */
export function hostProgress(verb: string, total: number, quiet: boolean): (o: HostOutcome<unknown>) => void {
  let done = 0;
  return (o) => {
    done++;
    if (quiet) return;
    const status = o.ok ? 'ok' : `FAILED: ${o.error.message}`;
    printErr(`[${done}/${total}] ${verb} ${o.host} ${status} (${o.durationMs} ms)`);
  };
}

export function note(line: string, quiet = false): void {
  if (!quiet) printErr(`${line}`);
}
