import * as fs from 'node:fs';
import * as path from 'node:path';

/** The overlaid top-level directories: each host gets its own copy-on-write view of these. */
export const OVERLAID = ['etc', 'var', 'srv', 'opt'] as const;

export interface HostDirs {
  root: string;
  upper: string;
  work: string;
  initScript: string;
  log: string;
}

export function hostDirs(labDir: string, name: string): HostDirs {
  const root = path.join(labDir, 'hosts', name);
  return {
    root,
    upper: path.join(root, 'upper'),
    work: path.join(root, 'work'),
    initScript: path.join(root, 'init.sh'),
    log: path.join(root, 'init.log'),
  };
}

/** Fresh, empty upper and work dirs for each overlaid directory. */
export function createHostDirs(dirs: HostDirs): void {
  fs.rmSync(dirs.root, { recursive: true, force: true });
  for (const d of OVERLAID) {
    fs.mkdirSync(path.join(dirs.upper, d), { recursive: true });
    fs.mkdirSync(path.join(dirs.work, d), { recursive: true });
  }
  // The upper roots become the hosts' /etc, /var, …: give them the machine's modes.
  for (const d of OVERLAID) {
    const st = fs.statSync(`/${d}`);
    fs.chmodSync(path.join(dirs.upper, d), st.mode & 0o7777);
  }
}

/**
 * Makes `hostPath`'s parent directories in the upper layer. A directory that exists on the
 * machine keeps the machine's mode and owner, because the upper copy is what the host sees.
 */
export function ensureUpperDir(upper: string, hostPath: string): string {
  const parts = hostPath.split('/').filter(Boolean);
  let machine = '';
  let target = upper;
  for (const part of parts) {
    machine += `/${part}`;
    target = path.join(target, part);
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(target);
    try {
      const st = fs.statSync(machine);
      fs.chmodSync(target, st.mode & 0o7777);
      fs.chownSync(target, st.uid, st.gid);
    } catch {
      fs.chmodSync(target, 0o755);
    }
  }
  return target;
}

/** Writes a file the host will see at `hostPath`. */
export function putFile(upper: string, hostPath: string, content: string, mode = 0o644): void {
  const dir = ensureUpperDir(upper, path.posix.dirname(hostPath));
  const file = path.join(dir, path.posix.basename(hostPath));
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

export function putSymlink(upper: string, hostPath: string, target: string): void {
  const dir = ensureUpperDir(upper, path.posix.dirname(hostPath));
  fs.symlinkSync(target, path.join(dir, path.posix.basename(hostPath)));
}
