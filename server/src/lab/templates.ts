/**
 * The text of every file a lab host is given. Pure: values in, text out. Files a workspace also
 * holds (app.conf, upstream.conf, app.env) are identical on every host, so one workspace copy
 * matches them all; only the hostname, /etc/hosts, sshd's listen address and host key differ.
 */

export const APP_BLUE = '127.0.0.1:8081';
/** Size of each lab host's own data filesystem (/srv/data, tmpfs), and its cache folder the remediation empties. */
export const LAB_DATA_MIB = 96;
export const LAB_DATA_MOUNT = '/srv/data';
export const LAB_CACHE_DIR = `${LAB_DATA_MOUNT}/cache`;
export const APP_GREEN = '127.0.0.1:8082';
/**
 * Where each host sees the folder of the Node binary that runs the lab app: a read-only bind mount
 * made before the host's own /tmp and /run hide the machine's, so a checkout (and its Node)
 * anywhere on the machine, /tmp included, serves the lab.
 */
export const LAB_NODE_DIR = '/opt/plumbline-lab/node';

/** Quotes one word for POSIX sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function etcHosts(name: string, address: string): string {
  return `127.0.0.1\tlocalhost\n${address}\t${name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}

export function sshdConfig(address: string): string {
  return `# Plumbline lab host: a real OpenSSH server, reached like any other host.
ListenAddress ${address}:22
HostKey /etc/ssh/plumbline-lab/ssh_host_ed25519_key
PidFile /run/sshd.pid
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers deploy
PrintMotd no
PrintLastLog no
UseDNS no
MaxSessions 20
MaxStartups 100:30:200
Subsystem sftp /usr/lib/openssh/sftp-server
`;
}

export const SUDOERS = `# Plumbline lab: the deploy user administers its lab host without a password.
deploy ALL=(ALL:ALL) NOPASSWD: ALL
`;

/** nginx's main file. `listen 80` in app.conf binds the host address and 127.0.0.1: a lab host has no other. */
export const NGINX_CONF = `# Plumbline lab host nginx.
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;

events {
    worker_connections 512;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    keepalive_timeout 30;
    include /etc/nginx/conf.d/*.conf;
}
`;

export const APP_CONF = `# The app behind nginx; the active colour is chosen in upstream.conf.
server {
    listen 80;
    server_name _;

    location / {
        proxy_pass http://app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_connect_timeout 2s;
        proxy_read_timeout 15s;
    }
}
`;

export function upstreamConf(active: string = APP_BLUE): string {
  return `upstream app {
    server ${active};
}
`;
}

export function appEnv(token: string): string {
  return `# Lab app environment (secret: Plumbline hashes it, never shows it).
APP_ENV=lab
API_TOKEN=lab-token-${token}
`;
}

export function releaseJson(id: string, version: string, createdAt: string): string {
  return `${JSON.stringify({ id, version, createdAt }, null, 2)}\n`;
}

/** Keeps one colour of the app running: restarts it 1 s after it exits and counts the restarts. */
export function supervisorScript(nodeBinary: string): string {
  const nodePath = `${LAB_NODE_DIR}/${nodeBinary}`;
  return `#!/bin/sh
# Plumbline lab: keeps one colour of the app running, like a process supervisor would.
# Usage: supervise-app.sh COLOUR PORT. Restarts the app 1 s after it exits; counts restarts.
colour=$1
port=$2
restarts=/srv/app/shared/restarts-$colour
log=/var/log/plumbline-lab/app-$colour.log
while :; do
  rm -f /run/plumbline-app-$colour.pid
  ${shQuote(nodePath)} /srv/app/current/app.js --port "$port" --colour "$colour" --release /srv/app/current </dev/null >>"$log" 2>&1
  n=$(cat "$restarts" 2>/dev/null || echo 0)
  echo $((n + 1)) >"$restarts"
  sleep 1
done
`;
}

/**
 * PID 1 of a lab host. Runs in fresh mount, UTS, IPC and PID namespaces inside the host's network
 * namespace: overlays give the host its own /etc /var /srv /opt, tmpfs its own /run and /tmp.
 */
export function initScript(opts: { name: string; upper: string; work: string; address: string; nodeDir: string }): string {
  const q = shQuote;
  return `#!/bin/sh
# Plumbline lab host ${opts.name}: the init of its namespaces. When it dies, the kernel kills the host.
set -u
say() { echo "$(date +%T.%N) ${opts.name}: $*"; }
# First, so a host that dies while starting says whether its init ran at all.
say "init started (pid $$)"
mount --make-rprivate / || exit 1
for d in etc var srv opt; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir="${q(opts.upper)}"/$d,workdir="${q(opts.work)}"/$d" "/$d" || { say "overlay /$d failed"; exit 1; }
done
# The lab app's Node, wherever the machine keeps it (even under /tmp, hidden from here on).
mount --bind ${q(opts.nodeDir)} ${LAB_NODE_DIR} && mount -o remount,bind,ro ${LAB_NODE_DIR} || { say "bind of the Node folder failed"; exit 1; }
mount -t tmpfs -o mode=0755,size=64m tmpfs /run || exit 1
mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp || exit 1
# A small filesystem of the host's own for app data: a disk that can fill without touching the machine's.
mkdir -p ${LAB_DATA_MOUNT} && mount -t tmpfs -o mode=0755,size=${LAB_DATA_MIB}m tmpfs ${LAB_DATA_MOUNT} || exit 1
mkdir -p ${LAB_CACHE_DIR} && chown deploy:deploy ${LAB_DATA_MOUNT} ${LAB_CACHE_DIR}
mkdir -p /run/sshd /run/lock /run/plumbline-lab
hostname ${q(opts.name)}
if ! id deploy >/dev/null 2>&1; then
  useradd -M -U -d /srv/home/deploy -s /bin/sh -p '*' deploy || { say "useradd failed"; exit 1; }
fi
chown -R deploy:deploy /srv/home/deploy /srv/app
chmod 0700 /srv/home/deploy/.ssh
chmod 0600 /srv/home/deploy/.ssh/authorized_keys
# sshd does not fork when its parent is PID 1 and it leads a session: run it in the background.
setsid /usr/sbin/sshd -f /etc/ssh/plumbline-lab/sshd_config -E /var/log/plumbline-lab/sshd.log </dev/null >/dev/null 2>&1 &
setsid /usr/sbin/nginx </dev/null >/dev/null 2>&1 || say "nginx failed"
setsid /etc/plumbline-lab/supervise-app.sh blue 8081 </dev/null >/dev/null 2>&1 &
setsid /etc/plumbline-lab/supervise-app.sh green 8082 </dev/null >/dev/null 2>&1 &
say "services started (${opts.address})"
# Reap whatever is orphaned to us, forever.
while :; do
  sleep 3600 &
  wait
done
`;
}
