import { sql, type Kysely } from 'kysely';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

// What operations need from the store: a readiness probe. (The periodic purge lives in ./housekeeping-store.ts.)

const latestMigration = Object.keys(migrations).sort().at(-1)!;

export type Readiness = { ready: true } | { ready: false; reason: string };

export function createOpsStore(db: Kysely<Database>) {
  return {
    /**
     * One query that proves both things a load balancer needs before it sends traffic: the database
     * answers, and its schema is the one this code expects (the newest migration has run).
     */
    async readiness(): Promise<Readiness> {
      const { rows } = await sql<{ name: string }>`select max(name) as name from grantry_migrations`.execute(db);
      const applied = rows[0]?.name ?? null;
      // A store ahead of this code is fine: during a rolling deploy the new instances migrate first,
      // and migrations only add, so the old instances keep serving until they are replaced.
      if (applied !== null && applied >= latestMigration) return { ready: true };
      return { ready: false, reason: `migrations not current: the store is at ${applied ?? 'none'}, this code needs ${latestMigration}` };
    },
  };
}
