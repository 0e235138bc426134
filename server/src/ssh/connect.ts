import * as fs from 'node:fs/promises';
import { Client, OpenSSHAgent, utils, type AnyAuthMethod, type IdentityCallback, type ParsedKey } from 'ssh2';
import type { Duplex } from 'node:stream';
import { err, ok, type Result } from '../common/result';
import type { SshError } from './errors';
import { appendKnownHost, checkHostKey, fingerprintSha256, keyTypeOfBlob, knownKeyTypes } from './knownHosts';
import type { ResolvedHost } from './sshConfig';

/** One SSH handshake: host key verification, authentication, and errors mapped to SshError. */
export interface ConnectSettings {
  /** Files searched for the host key; the first one receives confirmed keys. */
  knownHostsFiles: string[];
  confirmUnknownHost?: (host: string, keyType: string, fingerprint: string) => Promise<boolean>;
  connectTimeoutMs: number;
  keepaliveMs: number;
  /** Path of the ssh-agent socket; empty or undefined means no agent. */
  agentSocket?: string;
  passphrase?: PassphraseAsk;
  /** Told whether a passphrase opened the key, so a caller stores only one that did. */
  passphraseChecked?: (identityFile: string, good: boolean) => void;
  log: (line: string) => void;
}

/** Asks for an identity file's passphrase; `previousWrong` after one that did not open it. */
export type PassphraseAsk = (identityFile: string, attempt: { previousWrong: boolean }) => Promise<string | undefined>;

/** Passphrases asked per identity file before it is skipped. */
export const PASSPHRASE_ATTEMPTS = 3;

export interface HostKeyInfo {
  keyType: string;
  fingerprint: string;
}

export interface Connected {
  client: Client;
  hostKey: HostKeyInfo;
}

/** ssh2's own preference order; ssh-dss is left out on purpose. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;
type HostKeyAlgorithm = (typeof HOST_KEY_ALGORITHMS)[number];

function algorithmsForKeyType(keyType: string): HostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return HOST_KEY_ALGORITHMS.filter((a) => a === keyType);
}

/**
 * Key types already known for the host go first, as OpenSSH does: a server holding several
 * keys then presents the one we can check, so a changed key shows as a mismatch instead of
 * slipping in as a key of another type.
 */
export function hostKeyAlgorithmOrder(knownTypes: readonly string[]): HostKeyAlgorithm[] {
  const first = knownTypes.flatMap(algorithmsForKeyType);
  return [...new Set([...first, ...HOST_KEY_ALGORITHMS])];
}

interface LoadedKey {
  file: string;
  key: ParsedKey;
}

async function loadIdentities(host: ResolvedHost, s: ConnectSettings): Promise<{ keys: LoadedKey[]; publicBlobs: Buffer[] }> {
  const keys: LoadedKey[] = [];
  const publicBlobs: Buffer[] = [];
  for (const id of host.identityFiles) {
    if (!id.exists) {
      if (!id.isDefault) s.log(`identity ${id.path} does not exist; skipped`);
      continue;
    }
    let data: Buffer;
    try {
      data = await fs.readFile(id.path);
    } catch (e) {
      s.log(`identity ${id.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); skipped`);
      continue;
    }
    try {
      const pub = utils.parseKey(await fs.readFile(id.path + '.pub'));
      const one = Array.isArray(pub) ? pub[0] : pub;
      if (one && !(one instanceof Error)) publicBlobs.push(one.getPublicSSH());
    } catch {
      // no .pub beside it; the private key gives the public half below when it can be read
    }
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      let previousWrong = false;
      for (let n = 0; n < PASSPHRASE_ATTEMPTS && parsed instanceof Error; n++) {
        const pass = s.passphrase ? await s.passphrase(id.path, { previousWrong }) : undefined;
        if (pass === undefined) break;
        parsed = utils.parseKey(data, pass);
        previousWrong = parsed instanceof Error;
        s.passphraseChecked?.(id.path, !previousWrong);
      }
      if (parsed instanceof Error) {
        s.log(`identity ${id.path} needs a passphrase and ${previousWrong ? 'none given opened it' : 'none was given'}; skipped`);
        continue;
      }
    }
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (!key || key instanceof Error) {
      s.log(`identity ${id.path} could not be loaded (${key instanceof Error ? key.message : 'no key'}); skipped`);
      continue;
    }
    if (!key.isPrivateKey()) {
      s.log(`identity ${id.path} is not a private key; skipped`);
      continue;
    }
    keys.push({ file: id.path, key });
    publicBlobs.push(key.getPublicSSH());
  }
  return { keys, publicBlobs };
}

/** With IdentitiesOnly, the agent may only offer keys whose public half matches an identity file. */
class FilteredAgent extends OpenSSHAgent {
  constructor(
    socketPath: string,
    private readonly allowed: Buffer[],
  ) {
    super(socketPath);
  }
  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((e, keys) => {
      if (e || !keys) return cb(e, keys);
      cb(
        undefined,
        // OpenSSHAgent hands back parsed public keys.
        (keys as ParsedKey[]).filter((k) => this.allowed.some((b) => b.equals(k.getPublicSSH()))),
      );
    });
  }
}

function unreachableMessage(e: Error & { level?: string; code?: string }, host: ResolvedHost): string {
  const where = `${host.hostname}:${host.port}`;
  if (e.level === 'client-dns') return `DNS lookup of ${host.hostname} failed (${e.code ?? e.message})`;
  if (e.code) return `${e.code} connecting to ${where}`;
  return `SSH handshake with ${where} failed: ${e.message}`;
}

/**
 * Drops the client's socket now. ssh2's own destroy() does nothing once end() has run (it only
 * destroys a writable socket), so a peer that never answers would keep the socket, and the
 * process, alive for good.
 */
export function destroyClient(client: Client): void {
  const sock = (client as unknown as { _sock?: { destroy(): void } })._sock;
  try {
    client.end();
  } catch {
    // the socket may already be gone
  }
  sock?.destroy();
}

/**
 * Connects and authenticates. Never throws; the client is ended on failure.
 * `sock` is a stream already reaching the host (a ProxyJump forward); without it ssh2 opens TCP.
 */
export async function connectClient(host: ResolvedHost, label: string, s: ConnectSettings, sock?: Duplex): Promise<Result<Connected, SshError>> {
  const { keys, publicBlobs } = await loadIdentities(host, s);
  const agentPath = s.agentSocket ? s.agentSocket : undefined;
  const methods: Array<{ label: string; method: AnyAuthMethod }> = keys.map((k) => ({
    label: k.file,
    method: { type: 'publickey', username: host.user, key: k.key },
  }));
  if (agentPath) {
    const agent = host.identitiesOnly ? new FilteredAgent(agentPath, publicBlobs) : new OpenSSHAgent(agentPath);
    methods.push({ label: `ssh-agent (${agentPath})`, method: { type: 'agent', username: host.user, agent } });
  }
  const tried: string[] = [];
  const knownName = host.hostKeyAlias ?? host.hostname;
  const checkOpts = host.hostKeyAlias ? { hostKeyAlias: host.hostKeyAlias } : {};
  const order = hostKeyAlgorithmOrder(knownKeyTypes(s.knownHostsFiles, host.hostname, host.port, checkOpts));

  return new Promise((resolve) => {
    const client = new Client();
    let settled = false;
    let hostKeyFailure: SshError | undefined;
    let hostKey: HostKeyInfo | undefined;
    let timer: NodeJS.Timeout | undefined;
    const settle = (r: Result<Connected, SshError>): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (!r.ok) {
        client.removeAllListeners('ready');
        destroyClient(client);
      }
      resolve(r);
    };
    const armTimer = (): void => {
      timer = setTimeout(() => settle(err({ kind: 'Timeout', host: label, phase: 'connect', ms: s.connectTimeoutMs })), s.connectTimeoutMs);
    };

    client.on('ready', () => {
      if (!hostKey) return settle(err({ kind: 'ChannelError', host: label, message: 'ready without a verified host key' }));
      settle(ok({ client, hostKey }));
    });
    // ssh2 may emit 'error' more than once: `on`, and settle() ignores all but the first.
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      if (hostKeyFailure) return settle(err(hostKeyFailure));
      if (e.level === 'client-authentication') {
        const what = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no usable identity file and no ssh-agent';
        return settle(err({ kind: 'AuthFailed', host: label, message: `user "${host.user}" was refused (${what})` }));
      }
      if (e.level === 'client-timeout') return settle(err({ kind: 'Timeout', host: label, phase: 'connect', ms: s.connectTimeoutMs }));
      settle(err({ kind: 'Unreachable', host: label, message: unreachableMessage(e, host) }));
    });
    client.on('close', () => {
      if (hostKeyFailure) return settle(err(hostKeyFailure));
      settle(err({ kind: 'Unreachable', host: label, message: `${host.hostname}:${host.port} closed the connection during the handshake` }));
    });

    const verify = async (blob: Buffer): Promise<boolean> => {
      const keyType = keyTypeOfBlob(blob) ?? 'unknown';
      const fingerprint = fingerprintSha256(blob);
      const c = checkHostKey(s.knownHostsFiles, host.hostname, host.port, keyType, blob, checkOpts);
      switch (c.status) {
        case 'match':
          hostKey = { keyType, fingerprint };
          return true;
        case 'mismatch':
          hostKeyFailure = { kind: 'HostKeyMismatch', host: label, keyType, actual: fingerprint, expected: c.expected, knownHostsFile: c.file, line: c.line };
          return false;
        case 'revoked':
          hostKeyFailure = { kind: 'RevokedHostKey', host: label, keyType, fingerprint, knownHostsFile: c.file, line: c.line };
          return false;
        case 'unknown': {
          hostKeyFailure = { kind: 'UnknownHostKey', host: label, keyType, fingerprint };
          if (!s.confirmUnknownHost || s.knownHostsFiles.length === 0) return false;
          // A person may take a while to answer: the connect timeout does not run meanwhile.
          if (timer) clearTimeout(timer);
          let yes = false;
          try {
            yes = await s.confirmUnknownHost(label, keyType, fingerprint);
          } catch {
            yes = false;
          }
          if (settled) return false;
          armTimer();
          if (!yes) return false;
          appendKnownHost(s.knownHostsFiles[0], host.hostname, host.port, keyType, blob, checkOpts);
          s.log(`added ${keyType} ${fingerprint} for ${knownName} to ${s.knownHostsFiles[0]}`);
          hostKeyFailure = undefined;
          hostKey = { keyType, fingerprint };
          return true;
        }
      }
    };

    let next = 0;
    armTimer();
    try {
      client.connect({
        host: host.hostname,
        port: host.port,
        username: host.user,
        sock,
        readyTimeout: 0, // our own timer, which pauses while a person confirms a host key
        keepaliveInterval: host.serverAliveIntervalMs ?? s.keepaliveMs,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: order },
        // StrictHostKeyChecking from the user's config is deliberately not consulted: even
        // `no` must not make Plumbline accept an unknown or changed key silently.
        hostVerifier: (blob: Buffer, cb: (ok: boolean) => void) => {
          verify(blob).then(cb, () => cb(false));
        },
        authHandler: (_left, _partial, cb) => {
          const m = methods[next++];
          if (!m) return cb(false as unknown as AnyAuthMethod);
          tried.push(m.label);
          cb(m.method);
        },
      });
      // Nagle would hold back each small request for ~40 ms; exec latency is what we pay per capture.
      client.setNoDelay(true);
    } catch (e) {
      settle(err({ kind: 'ConfigError', host: label, message: (e as Error).message }));
    }
  });
}
