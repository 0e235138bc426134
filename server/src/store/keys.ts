import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HeadKeeper } from '../audit/log';
import type { Store } from './store';

/**
 * Keys kept outside the store, in the user's own folder (PLUMBLINE_KEY_DIR, else
 * $XDG_CONFIG_HOME/plumbline/keys, else ~/.config/plumbline/keys), named by the store's id:
 * the audit chain's HMAC key (ID.key) and its last head (ID.head), and the key that seals secret
 * file contents in snapshots (ID.secrets.key). Someone who can edit or copy the store cannot forge
 * the chain, hide a cut-off tail or read a secret without these too.
 */
export function keyDir(): string {
  if (process.env.PLUMBLINE_KEY_DIR) return process.env.PLUMBLINE_KEY_DIR;
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'plumbline', 'keys');
}

export interface StoreKeys {
  keyFile: string;
  headFile: string;
  /** Undefined when the key file is missing although the chain was keyed (never silently replaced). */
  key: Buffer | undefined;
  head: HeadKeeper;
}

/** The store's keys; a key is made (0600) only for a chain that has never been keyed. */
export function storeKeys(store: Store): StoreKeys {
  const dir = keyDir();
  const id = store.identity();
  const keyFile = path.join(dir, `${id}.key`);
  const headFile = path.join(dir, `${id}.head`);
  let key = readHex(keyFile);
  if (!key && !store.auditRecords().some((r) => r.json.includes('"mac":"hmac-sha256"'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fresh = crypto.randomBytes(32);
    try {
      fs.writeFileSync(keyFile, `${fresh.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first
    }
    key = readHex(keyFile);
  }
  return {
    keyFile,
    headFile,
    key,
    head: {
      read: () => {
        try {
          return fs.readFileSync(headFile, 'utf8').trim() || undefined;
        } catch {
          return undefined;
        }
      },
      write: (h) => {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${headFile}.${process.pid}`;
        fs.writeFileSync(tmp, `${h}\n`, { mode: 0o600 });
        fs.renameSync(tmp, headFile);
      },
    },
  };
}

function readHex(file: string): Buffer | undefined {
  try {
    const b = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    return b.length === 32 ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Where the store's secrets key lives (keyDir()/ID.secrets.key). */
export function secretsKeyFile(store: Store): string {
  return path.join(keyDir(), `${store.identity()}.secrets.key`);
}

/**
 * The key that seals secret file contents in this store's snapshots. `create`: made (0600, 32
 * random bytes) when missing; otherwise undefined when missing (never silently replaced: contents
 * sealed with a lost key stay sealed).
 */
export function secretsKey(store: Store, create: boolean): Buffer | undefined {
  const file = secretsKeyFile(store);
  const key = readHex(file);
  if (key || !create) return key;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first
  }
  return readHex(file);
}
