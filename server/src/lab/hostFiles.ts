import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../common/paths';
import { HostDirs, ensureUpperDir, putFile, putSymlink } from './overlay';
import * as t from './templates';

/** Where lab hosts keep their generated host key; created before ssh-keygen writes into it. */
export const HOST_KEY_PATH = '/etc/ssh/plumbline-lab/ssh_host_ed25519_key';

/** The releases every host starts with; `current` points at the last one. */
export const RELEASES = [
  { id: 'r1', version: '1.0.0' },
  { id: 'r2', version: '1.1.0' },
];

export function appAssetPath(): string {
  return path.join(packageRoot(), 'server', 'lab-assets', 'app.js');
}

export interface SharedContent {
  userPublicKey: string;
  appEnv: string;
  appJs: string;
  createdAt: string;
}

export function hostKeyFile(dirs: HostDirs): string {
  return path.join(ensureUpperDir(dirs.upper, path.posix.dirname(HOST_KEY_PATH)), path.posix.basename(HOST_KEY_PATH));
}

/** Everything a host needs, written into its upper layer before its overlays are mounted. */
export function writeHostFiles(dirs: HostDirs, host: { name: string; address: string }, shared: SharedContent): void {
  const u = dirs.upper;
  putFile(u, '/etc/hostname', `${host.name}\n`);
  putFile(u, '/etc/hosts', t.etcHosts(host.name, host.address));
  putFile(u, '/etc/ssh/plumbline-lab/sshd_config', t.sshdConfig(host.address));
  putFile(u, '/etc/sudoers.d/plumbline-lab', t.SUDOERS, 0o440);
  putFile(u, '/etc/nginx/nginx.conf', t.NGINX_CONF);
  putFile(u, '/etc/nginx/conf.d/app.conf', t.APP_CONF);
  putFile(u, '/etc/nginx/conf.d/upstream.conf', t.upstreamConf());
  putFile(u, '/etc/plumbline-lab/supervise-app.sh', t.supervisorScript(path.basename(process.execPath)), 0o755);
  ensureUpperDir(u, t.LAB_NODE_DIR);
  ensureUpperDir(u, '/var/log/plumbline-lab');
  ensureUpperDir(u, '/var/log/nginx');
  // An empty home: no shell rc files, so every SSH exec starts fast.
  putFile(u, '/srv/home/deploy/.ssh/authorized_keys', `${shared.userPublicKey}\n`, 0o600);
  for (const r of RELEASES) {
    putFile(u, `/srv/app/releases/${r.id}/app.js`, shared.appJs, 0o755);
    putFile(u, `/srv/app/releases/${r.id}/release.json`, t.releaseJson(r.id, r.version, shared.createdAt));
  }
  putSymlink(u, '/srv/app/current', `releases/${RELEASES[RELEASES.length - 1].id}`);
  putFile(u, '/srv/app/shared/app.env', shared.appEnv, 0o640);
  putFile(u, '/srv/app/shared/faults.json', '{}\n');
  for (const colour of ['blue', 'green']) putFile(u, `/srv/app/shared/restarts-${colour}`, '0\n');
  fs.writeFileSync(dirs.initScript, t.initScript({ name: host.name, upper: dirs.upper, work: dirs.work, address: host.address, nodeDir: path.dirname(process.execPath) }), { mode: 0o755 });
}
