import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A real OpenSSH sshd on 127.0.0.1 for tests: its own temp folder with generated host and user
 * keys, authorized_keys, a matching known_hosts and an ssh_config whose `Host <alias>` reaches it.
 * Runs as root (sshd needs it to switch users); see sshdSkipReason().
 */
export const SSHD = '/usr/sbin/sshd';
export type HostKeyType = 'ed25519' | 'rsa' | 'ecdsa';

/**
 * Why real-sshd tests cannot run here, or undefined when they can. In CI a missing sshd or
 * missing root is a failure, not a skip: throw so the test fails loudly.
 */
export function sshdSkipReason(): string | undefined {
  let reason: string | undefined;
  if (!fs.existsSync(SSHD)) reason = `${SSHD} is not installed (apt-get install openssh-server)`;
  else if (process.getuid?.() !== 0) reason = 'sshd tests need root (sshd must run as root to log users in)';
  else if (spawnSync('ssh-keygen', ['-?']).error) reason = 'ssh-keygen is not installed (apt-get install openssh-client)';
  if (reason && process.env.CI) throw new Error(`real-sshd tests cannot run in CI: ${reason}`);
  return reason;
}

export function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** `SHA256:...` as ssh-keygen prints it for a public key file. */
export function keygenFingerprint(pubFile: string): string {
  return run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]).split(' ')[1];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Polls a condition until it holds; fails with `what` after `ms`. The wait is on a state, not a sleep. */
export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** PIDs whose parent is `ppid`, from /proc. */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // field 4, after the parenthesised command name (which may contain spaces)
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface SshdOptions {
  hostKeyTypes?: HostKeyType[];
  alias?: string;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

export class Sshd {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly alias: string,
    private readonly opts: SshdOptions,
  ) {}

  get userKey(): string {
    return path.join(this.dir, 'id_ed25519');
  }
  get knownHostsFile(): string {
    return path.join(this.dir, 'known_hosts');
  }
  get sshConfigFile(): string {
    return path.join(this.dir, 'ssh_config');
  }
  get logFile(): string {
    return path.join(this.dir, 'sshd.log');
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  hostKeyFile(type: HostKeyType): string {
    return path.join(this.dir, `ssh_host_${type}_key`);
  }
  hostFingerprint(type: HostKeyType = 'ed25519'): string {
    return keygenFingerprint(this.hostKeyFile(type) + '.pub');
  }
  hostPublicKeyLine(type: HostKeyType = 'ed25519'): string {
    return fs.readFileSync(this.hostKeyFile(type) + '.pub', 'utf8').trim().split(' ').slice(0, 2).join(' ');
  }

  /** The ssh_config block that reaches this sshd, for composing configs in tests. */
  configBlock(alias = this.alias, extra: string[] = []): string {
    return [
      `Host ${alias}`,
      `  HostName 127.0.0.1`,
      `  Port ${this.port}`,
      `  User root`,
      `  IdentityFile ${this.userKey}`,
      `  IdentitiesOnly yes`,
      `  UserKnownHostsFile ${this.knownHostsFile}`,
      ...extra.map((l) => `  ${l}`),
      '',
    ].join('\n');
  }

  /** The known_hosts lines for this sshd's current keys. */
  knownHostsLines(): string {
    return (this.opts.hostKeyTypes ?? ['ed25519']).map((t) => `[127.0.0.1]:${this.port} ${this.hostPublicKeyLine(t)}\n`).join('');
  }

  /** Successful logins so far, from sshd's own log: one per SSH connection that authenticated. */
  acceptedLogins(): number {
    const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    return (log.match(/Accepted publickey for /g) ?? []).length;
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  static async start(opts: SshdOptions = {}): Promise<Sshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sshd-'));
    const port = await freePort();
    const d = new Sshd(dir, port, opts.alias ?? 'target', opts);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'plumbline-test', '-f', d.userKey]);
    fs.copyFileSync(d.userKey + '.pub', path.join(dir, 'authorized_keys'));
    d.generateHostKeys();
    fs.writeFileSync(d.knownHostsFile, d.knownHostsLines());
    fs.writeFileSync(d.sshConfigFile, d.configBlock());
    await d.launch();
    return d;
  }

  /** New host keys, as after a reinstall. Takes effect on the next restart(). */
  generateHostKeys(): void {
    for (const t of this.opts.hostKeyTypes ?? ['ed25519']) {
      const f = this.hostKeyFile(t);
      fs.rmSync(f, { force: true });
      fs.rmSync(f + '.pub', { force: true });
      run('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', '', '-f', f]);
    }
  }

  private writeConfig(): string {
    const cfg = path.join(this.dir, 'sshd_config');
    const lines = [
      `Port ${this.port}`,
      'ListenAddress 127.0.0.1',
      ...(this.opts.hostKeyTypes ?? ['ed25519']).map((t) => `HostKey ${this.hostKeyFile(t)}`),
      'PidFile none',
      'UsePAM no',
      'StrictModes no',
      `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowUsers root',
      'AllowTcpForwarding yes',
      'PrintMotd no',
      'MaxSessions 10',
      'LogLevel DEBUG1',
      ...(this.opts.extraConfig ?? []),
    ];
    fs.writeFileSync(cfg, lines.join('\n') + '\n');
    return cfg;
  }

  private async launch(): Promise<void> {
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
    const cfg = this.writeConfig();
    run(SSHD, ['-t', '-f', cfg]);
    const child = spawn(SSHD, ['-D', '-e', '-f', cfg, '-E', this.logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    let gone = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        gone = true;
        resolve();
      }),
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await tryConnect(this.port))) {
      if (gone) throw new Error(`sshd exited before listening on ${this.port}: ${stderr}${this.log()}`);
      if (Date.now() > deadline) throw new Error(`sshd did not listen on ${this.port} within 10 s: ${this.log()}`);
      await new Promise((r) => setTimeout(r, 20)); // polling the port, not asserting on time
    }
  }

  /**
   * Cuts every SSH connection this sshd is serving, as a network drop or reboot would: kills the
   * per-connection processes it forked (found by parent PID), never anything else.
   */
  dropConnections(): number {
    if (!this.child?.pid) return 0;
    const kids = childPids(this.child.pid);
    for (const pid of kids) process.kill(pid, 'SIGKILL');
    return kids.length;
  }

  /** Stops the listener (our own PID only) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Kills only this fixture's sshd process. Sessions it forked end when their clients go. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    await this.exited;
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
