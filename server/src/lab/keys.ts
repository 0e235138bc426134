import * as fs from 'node:fs';
import { runOk } from './run';

export interface KeyPair {
  privateFile: string;
  /** The public key line: `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

/** Generates an ed25519 key pair (no passphrase) at `file` and `file.pub`, replacing old ones. */
export async function generateKey(file: string, comment: string): Promise<KeyPair> {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  fs.chmodSync(file, 0o600);
  return { privateFile: file, publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** All keys at once: ssh-keygen runs in parallel, one process per key. */
export function generateKeys(requests: Array<{ file: string; comment: string }>): Promise<KeyPair[]> {
  return Promise.all(requests.map((r) => generateKey(r.file, r.comment)));
}
