import { sql, type Kysely } from 'kysely';
import type { ThrottleStore } from '../provider/storage.ts';

// Counters of login attempts, for the provider (login_failures) and for Connect's site logins
// (connect_login_failures): the same statements over a table of each side's own.

type ThrottleTable = 'login_failures' | 'connect_login_failures';

export function createThrottleStore(typed: Kysely<any>, table: ThrottleTable): ThrottleStore {
  // The table name varies; the statements are written against a loosely typed handle.
  const db = typed as Kysely<Record<ThrottleTable, { key: string; failures: number; first_failure_at: number; locked_until: number | null }>>;
  const t = sql.table(table);
  return {
    async find(keys) {
      if (keys.length === 0) return [];
      const rows = await db.selectFrom(table).selectAll().where('key', 'in', keys).execute();
      return rows.map((row) => ({ key: row.key, failures: row.failures, firstFailureAt: row.first_failure_at, lockedUntil: row.locked_until }));
    },

    /**
     * Counts one login attempt against `key`, in one statement, before its password is checked:
     * of concurrent attempts each gets a count of its own, so parallel guesses cannot share one
     * stale count. A window that has passed (with no lock) or a lock that has run out starts again
     * at 1; the attempt that brings the count to `lockAfter` sets the lock, which later attempts
     * neither lift nor extend.
     */
    async countAttempt(key, policy) {
      const at = Math.floor(Date.now() / 1000);
      const lockAt = at + policy.lockSeconds;
      const restart = sql<boolean>`(${t}.locked_until is not null and ${t}.locked_until <= ${at})
        or (${t}.locked_until is null and ${t}.first_failure_at + ${policy.windowSeconds} <= ${at})`;
      const firstLock = policy.lockAfter <= 1 ? lockAt : null;
      const row = await db
        .insertInto(table)
        .values({ key, failures: 1, first_failure_at: at, locked_until: firstLock })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql<number>`case when ${restart} then 1 else ${t}.failures + 1 end`,
            first_failure_at: sql<number>`case when ${restart} then ${at} else ${t}.first_failure_at end`,
            locked_until: sql<number | null>`case
              when ${restart} then ${firstLock === null ? sql`null` : sql`${firstLock}`}
              when ${t}.locked_until is not null then ${t}.locked_until
              when ${t}.failures + 1 >= ${policy.lockAfter} then ${lockAt}
              else null end`,
          }),
        )
        .returning(['failures', 'locked_until'])
        .executeTakeFirstOrThrow();
      return { failures: Number(row.failures), lockedUntil: row.locked_until === null ? null : Number(row.locked_until) };
    },

    async clear(keys) {
      if (keys.length === 0) return;
      await db.deleteFrom(table).where('key', 'in', keys).execute();
    },
  };
}
