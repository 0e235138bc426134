/**
 * The synchronous SQL connection the store is written against: the part of node:sqlite's
 * DatabaseSync it uses, which PostgreSQL's bridge (postgres/pgDatabase.ts) also offers. SQL is
 * written once, with `?` parameters, in the dialect both engines share (ON CONFLICT, RETURNING,
 * COALESCE, subqueries with an alias); the few statements that differ are chosen by `dialectOf`.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface Statement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface Db {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  close(): void;
}

export type Dialect = 'sqlite' | 'postgres';

/** A Db that says which engine it is; node:sqlite's DatabaseSync does not, so absent means SQLite. */
export function dialectOf(db: Db): Dialect {
  return (db as { dialect?: Dialect }).dialect ?? 'sqlite';
}
