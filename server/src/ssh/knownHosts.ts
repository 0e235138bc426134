import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wildcardMatch } from './wildcard';

/**
 * known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain names, comma
 * lists, `[host]:port` for ports other than 22, hashed `|1|salt|hmac` names, `*`/`?` wildcards
 * with `!` negation, and the `@revoked` marker. `@cert-authority` lines are ignored: Plumbline
 * does not verify host certificates, so such a line can neither accept nor reject a key.
 */
export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated patterns, or one hashed name. */
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyBlob: Buffer;
}

export type HostKeyCheck =
  | { status: 'match'; file: string; line: number }
  | { status: 'mismatch'; expected: string[]; expectedTypes: string[]; file: string; line: number }
  | { status: 'unknown' }
  | { status: 'revoked'; file: string; line: number };

/** `SHA256:<base64, no padding>`, the same text `ssh-keygen -lf` prints. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The name known_hosts stores for a host: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(hostname: string, port: number): string {
  const h = hostname.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that were skipped, with why (malformed, unsupported marker). */
  notes: string[];
}

export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const notes: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        notes.push(`${file}:${i + 1}: unknown marker ${m}, line ignored`);
        continue;
      }
    }
    if (fields.length < 3) {
      notes.push(`${file}:${i + 1}: malformed line ignored`);
      continue;
    }
    const [hostField, keyType, b64] = fields;
    const keyBlob = Buffer.from(b64, 'base64');
    if (keyBlob.length === 0 || keyTypeOfBlob(keyBlob) !== keyType) {
      notes.push(`${file}:${i + 1}: key does not decode as ${keyType}, line ignored`);
      continue;
    }
    if (marker === 'cert-authority') {
      notes.push(`${file}:${i + 1}: @cert-authority is not supported (host certificates are not verified), line ignored`);
      continue;
    }
    const entry: KnownHostEntry = { file, line: i + 1, patterns: [], keyType, keyBlob };
    if (marker) entry.marker = marker;
    if (hostField.startsWith('|1|')) {
      const parts = hostField.split('|');
      if (parts.length !== 4) {
        notes.push(`${file}:${i + 1}: malformed hashed host, line ignored`);
        continue;
      }
      entry.hashed = { salt: Buffer.from(parts[2], 'base64'), hash: Buffer.from(parts[3], 'base64') };
    } else {
      entry.patterns = hostField.split(',').filter((p) => p !== '');
    }
    entries.push(entry);
  }
  return { entries, notes };
}

/**
 * Whether an entry names the host. Negations win: a matching `!pattern` excludes the line even
 * when another pattern on it matches.
 */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = crypto.createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.length === entry.hashed.hash.length && crypto.timingSafeEqual(h, entry.hashed.hash);
  }
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name, true)) return false;
    } else if (wildcardMatch(p, name, true)) {
      matched = true;
    }
  }
  return matched;
}

function readEntries(files: readonly string[]): KnownHostEntry[] {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // a missing known_hosts file simply knows nothing
    }
    all.push(...parseKnownHosts(text, file).entries);
  }
  return all;
}

export interface CheckOptions {
  /** HostKeyAlias: look the key up under this name instead of host/port. */
  hostKeyAlias?: string;
}

/**
 * Looks the offered key up in the files, in order. A revoked key is refused even if another line
 * accepts it. A host known under this key type with a different key is a mismatch. A host known
 * only under other key types is a mismatch too (stricter than OpenSSH, which asks): Plumbline runs
 * unattended, and the caller orders host key algorithms so a known type is negotiated whenever
 * the server still has one — a host that suddenly lacks it deserves a person's look.
 */
export function checkHostKey(
  files: readonly string[],
  hostname: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  opts: CheckOptions = {},
): HostKeyCheck {
  const name = opts.hostKeyAlias ? opts.hostKeyAlias.toLowerCase() : knownHostsName(hostname, port);
  const entries = readEntries(files).filter((e) => entryMatchesHost(e, name));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line };
  const plain = entries.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.keyType === keyType && e.keyBlob.equals(keyBlob));
  if (same) return { status: 'match', file: same.file, line: same.line };
  const sameType = plain.filter((e) => e.keyType === keyType);
  const known = sameType.length > 0 ? sameType : plain;
  if (known.length > 0) {
    return {
      status: 'mismatch',
      expected: [...new Set(known.map((e) => fingerprintSha256(e.keyBlob)))],
      expectedTypes: [...new Set(known.map((e) => e.keyType))],
      file: known[0].file,
      line: known[0].line,
    };
  }
  return { status: 'unknown' };
}

/** Key types known_hosts already holds for the host, so they can be negotiated first. */
export function knownKeyTypes(files: readonly string[], hostname: string, port: number, opts: CheckOptions = {}): string[] {
  const name = opts.hostKeyAlias ? opts.hostKeyAlias.toLowerCase() : knownHostsName(hostname, port);
  const types = readEntries(files)
    .filter((e) => e.marker === undefined && entryMatchesHost(e, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** One hashed known_hosts line, like `ssh-keygen -H` writes. */
export function hashedKnownHostsLine(name: string, keyType: string, keyBlob: Buffer, salt = crypto.randomBytes(20)): string {
  const hash = crypto.createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${keyType} ${keyBlob.toString('base64')}`;
}

/**
 * Records a key a person confirmed. The line is hashed so the file does not list the hosts we
 * reach. The file is created 0600 (its folder 0700); the line goes out in one O_APPEND write, so
 * concurrent appenders cannot interleave inside a line.
 */
export function appendKnownHost(
  file: string,
  hostname: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  opts: CheckOptions = {},
): void {
  const name = opts.hostKeyAlias ? opts.hostKeyAlias.toLowerCase() : knownHostsName(hostname, port);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const st = fs.statSync(file);
    if (st.size > 0) {
      const fd = fs.openSync(file, 'r');
      try {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      } finally {
        fs.closeSync(fd);
      }
    }
  } catch {
    // does not exist yet: created below with 0600
  }
  fs.appendFileSync(file, prefix + hashedKnownHostsLine(name, keyType, keyBlob) + '\n', { mode: 0o600 });
}
