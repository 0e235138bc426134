import { postgresUnavailableReason, startPostgres, stopPostgres, type LabPostgres } from '../../server/src/lab/postgres';

/**
 * A PostgreSQL cluster of the test's own (Debian's binaries, initdb into a temp folder, a
 * loopback port): never the system cluster.
 *
 *   const skip = postgresSkipReason();
 *   describe('…', { skip }, () => { let pg; before(async () => (pg = await startTestPostgres())); after(() => pg.stop()); });
 */
export function postgresSkipReason(): string | undefined {
  const reason = postgresUnavailableReason();
  if (reason && process.env.CI) throw new Error(`PostgreSQL tests must run in CI, but ${reason}`);
  return reason;
}

export interface TestPostgres extends LabPostgres {
  /** A database of its own on this cluster (a fresh schema for each suite). */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const pg = await startPostgres();
  const { Client } = await import('pg');
  return {
    ...pg,
    async database(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      const u = new URL(pg.url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop: () => stopPostgres(pg),
  };
}
