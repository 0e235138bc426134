import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabError } from './errors';
import { which } from './prerequisites';
import { isOurs, sleep } from './proc';
import { run } from './run';

/**
 * A PostgreSQL cluster of its own for the lab and the tests: Debian's `postgresql` binaries,
 * initdb into a fresh folder owned by the `postgres` user, listening on a loopback port and a
 * unix socket in that folder. Never the system cluster: nothing under /etc/postgresql or
 * /var/lib/postgresql is touched, and `pg_ctlcluster` is not used.
 */
export interface LabPostgres {
  /** The cluster's folder (data/, run/, log). */
  dir: string;
  port: number;
  /** postgres' own pid (the postmaster). */
  pid: number;
  /** postgresql://plumbline:PASSWORD@127.0.0.1:PORT/plumbline — holds the password: never log it. */
  url: string;
}

const USER = 'plumbline';
const DB = 'plumbline';

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin). */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  const v = versions.find((x) => fs.existsSync(path.join(root, x, 'bin', 'initdb')));
  return v && path.join(root, v, 'bin');
}

/** Why a lab cluster cannot start here, or undefined. */
export function postgresUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'a lab PostgreSQL needs root (it runs the cluster as the postgres user)';
  if (!postgresBin()) return 'PostgreSQL is not installed: apt-get install postgresql';
  if (!which('runuser')) return 'runuser is missing: apt-get install util-linux';
  return undefined;
}

/** A free TCP port on loopback (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function asPostgres(argv: string[], input?: string): Promise<void> {
  const r = await run(which('runuser')!, ['-u', 'postgres', '--', ...argv], { input, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp' } });
  if (r.code !== 0) throw new LabError(`${path.basename(argv[0])} failed (${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
}

/** initdb + start; resolves once it accepts connections. `dir` must not exist yet, or be empty. */
export async function startPostgres(opts: { dir?: string; log?: (line: string) => void } = {}): Promise<LabPostgres> {
  const reason = postgresUnavailableReason();
  if (reason) throw new LabError(reason);
  const bin = postgresBin()!;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-pg-'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'run');
  fs.mkdirSync(sock, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const { uid, gid } = fs.statSync('/var/lib/postgresql', { throwIfNoEntry: false }) ?? { uid: 101, gid: 104 };
  for (const p of [dir, sock, pwfile]) fs.chownSync(p, uid, gid);
  // The postgres user must be able to reach the folder: every parent needs search permission.
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
    if ((fs.statSync(p).mode & 0o001) === 0) throw new LabError(`the postgres user cannot enter ${p} (mode ${(fs.statSync(p).mode & 0o777).toString(8)}); put the cluster elsewhere`);
  }
  await asPostgres([path.join(bin, 'initdb'), '-D', data, '-U', USER, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8']);
  fs.rmSync(pwfile);
  const port = await freePort();
  const logFile = path.join(dir, 'postgres.log');
  fs.writeFileSync(logFile, '');
  fs.chownSync(logFile, uid, gid);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    which('runuser')!,
    ['-u', 'postgres', '--', path.join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', sock, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'max_connections=200'],
    { detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  child.unref();
  const url = `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await run(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]);
    if (r.code === 0) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new LabError(`PostgreSQL did not start: ${fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')}`);
    }
    await sleep(100);
  }
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const psql = path.join(bin, 'psql');
  const env = { PGPASSWORD: password, PATH: '/usr/bin:/bin' };
  const created = await run(fs.existsSync(psql) ? psql : '/usr/bin/psql', ['-h', '127.0.0.1', '-p', String(port), '-U', USER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${DB}`], { env });
  if (created.code !== 0) throw new LabError(`CREATE DATABASE failed: ${created.stderr.trim()}`);
  opts.log?.(`PostgreSQL up on 127.0.0.1:${port} (cluster in ${dir})`);
  return { dir, port, pid, url: url.replace(/\/postgres$/, `/${DB}`) };
}

/** Fast shutdown, then the folder goes. Safe when it already stopped. */
export async function stopPostgres(pg: Pick<LabPostgres, 'dir' | 'pid'>): Promise<void> {
  if (isOurs(pg.pid, 'postgres')) {
    process.kill(pg.pid, 'SIGINT');
    const deadline = Date.now() + 20_000;
    while (isOurs(pg.pid, 'postgres') && Date.now() < deadline) await sleep(50);
    if (isOurs(pg.pid, 'postgres')) process.kill(pg.pid, 'SIGKILL');
  }
  fs.rmSync(pg.dir, { recursive: true, force: true });
}
