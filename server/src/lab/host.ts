import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { LabError } from './errors';
import { HostDirs } from './overlay';
import { childPids, cmdline, isOurs, listeners, processState, sleep } from './proc';
import { LabHost } from './state';

/** What a running host serves, read from its network namespace. */
export interface HostServices {
  sshd: boolean;
  nginx: boolean;
  blue: boolean;
  green: boolean;
}

/**
 * Launches a host's init detached from us: `ip netns exec` execs `unshare`, which forks the init
 * as PID 1 of a new PID namespace. Returns both PIDs as the machine sees them, once the init runs
 * the script: unshare's child shows unshare's own arguments (the script's path among them) until
 * it execs `sh`, and for a moment inside that exec no command line at all.
 */
export async function startInit(netns: string, dirs: HostDirs): Promise<{ launcherPid: number; initPid: number }> {
  const log = fs.openSync(dirs.log, 'a');
  const launch = ['ip', 'netns', 'exec', netns, 'unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', dirs.initScript];
  // bash first closes every descriptor above stderr that we inherited without close-on-exec (a
  // caller's pipes): a long-lived host holding them would keep that caller waiting for EOF.
  const closeInherited = 'for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done 2>/dev/null; exec "$@"';
  const child = spawn('bash', ['-c', closeInherited, 'plumbline-lab', ...launch], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const launcherPid = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new LabError(`cannot start ${netns}: ${e.message}`)));
    child.once('spawn', () => resolve(child.pid ?? 0));
  });
  child.unref();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const init = childPids(launcherPid).find((p) => isOurs(p, dirs.initScript) && cmdline(p)?.startsWith('sh '));
    if (init) return { launcherPid, initPid: init };
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new LabError(`the init of ${netns} did not start: ${tail(dirs.log)}`);
    }
    await sleep(2);
  }
}

export function hostAlive(host: LabHost, dirs: HostDirs): boolean {
  return isOurs(host.initPid, dirs.initScript);
}

/** True only when the init is surely gone: a process between exec's steps is not taken for dead. */
function hostGone(host: LabHost, dirs: HostDirs): boolean {
  const state = processState(host.initPid, dirs.initScript);
  return state === 'gone' || state === 'other';
}

export function hostServices(host: LabHost): HostServices {
  const l = listeners(host.initPid);
  return {
    sshd: l.has(`${host.address}:22`),
    nginx: l.has('0.0.0.0:80') || l.has(`${host.address}:80`),
    blue: l.has('127.0.0.1:8081'),
    green: l.has('127.0.0.1:8082'),
  };
}

/** Waits until sshd, nginx and both app colours listen; polls the host's sockets, never sleeps blind. */
export async function waitReady(host: LabHost, dirs: HostDirs, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hostGone(host, dirs)) throw new LabError(`${host.name} stopped while starting: ${tail(dirs.log)}`);
    const s = hostServices(host);
    if (s.sshd && s.nginx && s.blue && s.green) return;
    if (Date.now() > deadline) {
      const missing = Object.entries(s)
        .filter(([, up]) => !up)
        .map(([k]) => k);
      throw new LabError(`${host.name} not ready after ${timeoutMs} ms (no ${missing.join(', ')}): ${tail(dirs.log)}`);
    }
    await sleep(15);
  }
}

/** SIGKILLs the host's init (the kernel then kills every process of the host) and its launcher. */
export async function stopHost(host: LabHost, dirs: HostDirs, timeoutMs = 5000): Promise<boolean> {
  const pids = [host.initPid, host.launcherPid ?? 0].filter((p) => isOurs(p, dirs.initScript));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some((p) => isOurs(p, dirs.initScript))) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

function tail(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text ? text.split('\n').slice(-5).join(' | ') : '(init log empty)';
  } catch {
    return '(no init log)';
  }
}
