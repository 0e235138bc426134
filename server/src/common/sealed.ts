import * as crypto from 'node:crypto';

/**
 * Sealing a secret for one receiver: RSA-OAEP (SHA-256) wraps a fresh AES-256-GCM key, which
 * encrypts the text. The server holds the private key in memory only; the client seals with the
 * public key it was sent. So a passphrase crosses the LSP connection (and its trace) as
 * ciphertext nobody else can open.
 */
export class SealKeys {
  readonly publicKey: string;
  private readonly privateKey: crypto.KeyObject;

  constructor() {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.privateKey = privateKey;
  }

  /** Throws when the text was not sealed for this key or was altered. */
  open(sealed: string): string {
    const [wrapped, iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
    if (!wrapped || !iv || !tag || !body) throw new Error('not a sealed value');
    const key = crypto.privateDecrypt({ key: this.privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]).toString('utf8');
  }
}

export function seal(publicKeyPem: string, text: string): string {
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  const wrapped = crypto.publicEncrypt({ key: publicKeyPem, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
  return [wrapped, iv, c.getAuthTag(), body].map((b) => b.toString('base64')).join('.');
}
