import * as fs from 'node:fs';
import { AuditLog } from '../audit/log';
import { auditEdge } from './auditEdge';
import { storeKeys } from './keys';
import { sqliteModule } from './sqlite';
import { recoveryAdvice, Store } from './store';

export interface StoreCheckItem {
  name: string;
  ok: boolean;
  detail: string;
}

export interface StoreCheck {
  file: string;
  ok: boolean;
  checks: StoreCheckItem[];
  /** What to do when something is wrong. */
  advice: string;
}

/** Tables whose `json` column holds rows Plumbline parses back. */
const JSON_TABLES = ['fingerprints', 'snapshots', 'samples', 'samples_1m', 'audit_log'];

/**
 * `plumbline store check`: SQLite's integrity and foreign-key checks, every stored JSON row
 * parsed, and the audit chain verified with its key and the head kept outside the store. Reads
 * only; opens the file read-only first, so a damaged store is not made worse.
 */
export function checkStore(file: string): StoreCheck {
  const checks: StoreCheckItem[] = [];
  const done = (): StoreCheck => {
    const ok = checks.every((c) => c.ok);
    return { file, ok, checks, advice: ok ? 'nothing to do' : recoveryAdvice(file) };
  };
  if (!fs.existsSync(file)) {
    checks.push({ name: 'open', ok: false, detail: `${file} does not exist` });
    return done();
  }
  const { DatabaseSync } = sqliteModule();
  let db: InstanceType<typeof DatabaseSync>;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (e) {
    checks.push({ name: 'open', ok: false, detail: (e as Error).message });
    return done();
  }
  try {
    const run = (name: string, sql: string, good: (rows: Array<Record<string, unknown>>) => string | undefined): void => {
      try {
        const rows = db.prepare(sql).all() as Array<Record<string, unknown>>;
        const bad = good(rows);
        checks.push({ name, ok: bad === undefined, detail: bad ?? 'ok' });
      } catch (e) {
        checks.push({ name, ok: false, detail: (e as Error).message });
      }
    };
    run('integrity', 'PRAGMA integrity_check', (rows) => {
      const msgs = rows.map((r) => String(Object.values(r)[0]));
      return msgs.length === 1 && msgs[0] === 'ok' ? undefined : msgs.slice(0, 5).join('; ');
    });
    run('foreign keys', 'PRAGMA foreign_key_check', (rows) => (rows.length === 0 ? undefined : `${rows.length} row(s) point at nothing`));
    for (const t of JSON_TABLES) {
      run(`${t} rows`, `SELECT rowid AS id, json FROM ${t}`, (rows) => {
        const bad = rows.filter((r) => {
          try {
            JSON.parse(String(r.json));
            return false;
          } catch {
            return true;
          }
        });
        return bad.length === 0 ? undefined : `${bad.length} of ${rows.length} row(s) do not parse (first rowid ${String(bad[0].id)})`;
      });
    }
  } finally {
    db.close();
  }
  if (checks.every((c) => c.ok)) {
    try {
      const store = Store.open(file);
      try {
        const keys = storeKeys(store);
        const v = new AuditLog(auditEdge(store), { key: keys.key, head: keys.head }).verify();
        checks.push({ name: 'audit chain', ok: v.ok, detail: v.ok ? `${v.entries} entries, head ${v.head ?? '-'} (key ${keys.keyFile})` : `${v.message} (key ${keys.keyFile}${keys.key ? '' : ': MISSING, restore it from your backup'})` });
      } finally {
        store.close();
      }
    } catch (e) {
      checks.push({ name: 'audit chain', ok: false, detail: (e as Error).message });
    }
  }
  return done();
}
