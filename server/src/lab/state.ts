import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LabHost {
  name: string;
  address: string;
  /** Network namespace (`ip netns`) of the host. */
  netns: string;
  /** PID (in the machine's PID namespace) of the host's init, PID 1 inside the host; 0 until started. */
  initPid: number;
  /** Upper layer of the host's overlays: `<upperDir>/{etc,var,srv,opt}`. */
  upperDir: string;
  /** PID of the `unshare` that launched the init (its parent); 0 until started. */
  launcherPid?: number;
}

export interface LabState {
  dir: string;
  subnet: string;
  bridge: string;
  hosts: LabHost[];
  createdAt: string;
  /** Which lab network this is; several labs (one per dir) can be up at once. */
  slot?: number;
  /** nftables table (family inet) guarding the bridge. */
  nftTable?: string;
  /** Prometheus run by hand on loopback, scraping node_exporter on every host (`lab up --prometheus`). */
  prometheus?: { pid: number; url: string; dir: string; scrapeIntervalMs: number };
  /** A PostgreSQL cluster of the lab's own (`lab up --postgres`); its URL, with the password, is in `store-url`. */
  postgres?: { pid: number; port: number; dir: string };
}

export function stateFile(dir: string): string {
  return path.join(dir, 'lab.json');
}

export function readState(dir: string): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Written atomically: a reader sees the old state or the new one, never half of one. */
export function writeState(state: LabState): void {
  const file = stateFile(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function removeState(dir: string): void {
  fs.rmSync(stateFile(dir), { force: true });
}
