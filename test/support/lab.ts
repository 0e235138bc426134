import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp, type LabState, type LabUpOptions } from '../../server/src/lab/lab';
import { labSshSettings } from '../../server/src/lab/workspace';

/**
 * Lab hosts for tests: real sshd, nginx and a blue/green app in namespaces, in a temp dir.
 *
 *   const skip = labSkipReason();
 *   describe('…', { skip }, () => { … await withLab(3, async (lab) => { … }) … });
 */

/**
 * Why lab tests cannot run here (not root, a package missing), or undefined when they can.
 * In CI that is a failure, not a skip: it throws so the suite fails loudly.
 */
export function labSkipReason(): string | undefined {
  const reason = labUnavailableReason();
  if (reason && process.env.CI) throw new Error(`lab tests must run in CI, but ${reason}`);
  return reason;
}

export interface LabFixture {
  state: LabState;
  /** The lab dir: ssh_config, known_hosts, id_ed25519, plumbline.yaml, deploy/… */
  dir: string;
  /** Runs a command as root inside a host (through its namespaces); throws on a non-zero exit. */
  exec(host: string, argv: string[], input?: string): Promise<string>;
  /** Takes the lab down and removes the temp dir; safe to call twice. */
  close(): Promise<void>;
}

/**
 * This test process (and the CLIs it starts) reaches lab hosts through the lab's ssh_config, as a
 * person would with PLUMBLINE_SSH_CONFIG: plumbline.yaml cannot choose it.
 */
export function useLabSsh(dir: string): void {
  process.env.PLUMBLINE_SSH_CONFIG = labSshSettings(dir).config;
}

export async function startLab(hosts: number, extra: Pick<LabUpOptions, 'prometheus' | 'postgres'> = {}): Promise<LabFixture> {
  const reason = labSkipReason();
  if (reason) throw new Error(`startLab: ${reason} (check labSkipReason() first)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-lab-'));
  const dir = path.join(tmp, 'lab');
  let state: LabState;
  try {
    state = await labUp({ dir, hosts, ...extra });
    useLabSsh(dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  return {
    state,
    dir,
    async exec(host, argv, input) {
      const r = await labExec(dir, host, argv, { input });
      if (r.code !== 0) throw new Error(`${host}: ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async close() {
      if (closed) return;
      closed = true;
      await labDown({ dir });
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with `hosts` lab hosts up, and always takes them down afterwards. */
export async function withLab<T>(hosts: number, fn: (lab: LabFixture) => Promise<T>): Promise<T> {
  const lab = await startLab(hosts);
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}
