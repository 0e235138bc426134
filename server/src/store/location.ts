import * as path from 'node:path';

/**
 * Where the store is: a SQLite file (the default, one per workspace) or a PostgreSQL URL (a
 * shared fleet). Chosen by, first to last: the command line's `--store`, the editor's
 * `plumbline.storeUrl` setting, the PLUMBLINE_STORE_URL environment variable, else the SQLite
 * file in the data folder.
 */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export const STORE_URL_ENV = 'PLUMBLINE_STORE_URL';

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** The location a `--store` value, setting or environment variable names; `sqlite:PATH` or a plain path is a file. */
export function parseStoreLocation(value: string, baseDir: string): StoreLocation {
  if (isPostgresUrl(value)) {
    if (!URL.canParse(value)) throw new Error(`the store URL does not parse: ${redactStoreUrl(value)}`);
    return { kind: 'postgres', url: value };
  }
  const file = value.replace(/^sqlite:(\/\/)?/i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new Error(`the store must be a postgresql:// URL or a SQLite file, not ${redactStoreUrl(value)}`);
  return { kind: 'sqlite', file: path.resolve(baseDir, file) };
}

/** The store to open: the first of `explicit` (flag or setting), the environment, the data folder's file. */
export function resolveStoreLocation(opts: { explicit?: string; env?: NodeJS.ProcessEnv; dataDir: string }): StoreLocation {
  const chosen = opts.explicit || (opts.env ?? process.env)[STORE_URL_ENV];
  return chosen ? parseStoreLocation(chosen, process.cwd()) : { kind: 'sqlite', file: path.join(opts.dataDir, 'plumbline.db') };
}

/** A URL with its password replaced: the only form of a store URL that may reach a log, a message or the store. */
export function redactStoreUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

export function describeLocation(l: StoreLocation): string {
  return l.kind === 'sqlite' ? l.file : redactStoreUrl(l.url);
}
