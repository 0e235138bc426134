import * as crypto from 'node:crypto';

/**
 * Secret file contents at rest: AES-256-GCM with a key kept outside the store (keys.ts), so the
 * store file alone (a backup, a copy, a shared PostgreSQL) never reveals a secret. The sealed form
 * is one line of text: `aes-256-gcm:1:<iv>:<tag>:<ciphertext>` (base64). `aad` binds a sealed value
 * to where it belongs (the snapshot's environment and host): moved to another row it does not open.
 */
const PREFIX = 'aes-256-gcm:1:';

export function isSealed(text: string): boolean {
  return text.startsWith(PREFIX);
}

export function seal(key: Buffer, plaintext: string, aad: string): string {
  if (key.length !== 32) throw new Error(`a secrets key is 32 bytes, not ${key.length}`);
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `${PREFIX}${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

/** The plaintext, or an Error saying why not (a wrong key, a value edited or moved, not sealed text). */
export function open(key: Buffer, sealed: string, aad: string): string | Error {
  if (!isSealed(sealed)) return new Error('not a sealed value');
  const [iv, tag, ct] = sealed.slice(PREFIX.length).split(':');
  if (iv === undefined || tag === undefined || ct === undefined) return new Error('a sealed value with parts missing');
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
  } catch {
    return new Error('it does not open with this key (another key, or the value was edited or moved)');
  }
}
