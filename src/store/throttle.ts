import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { ThrottleStore } from '../lib/login-throttle.ts';

// Counters of login attempts, for the provider (login_failures, login_buckets) and for Connect's
// site logins (connect_login_failures, connect_login_buckets): the same statements over tables of
// each side's own. An account's failures count in a window and lock it; an address's attempts go
// into a leaky bucket that drains over time and that no success resets.

type ThrottleTable = 'login_failures' | 'connect_login_failures';
type BucketTable = 'login_buckets' | 'connect_login_buckets';

type ThrottleTables = Record<ThrottleTable, { key: string; failures: number; first_failure_at: number; locked_until: number | null }> &
  Record<BucketTable, { key: string; level: number; updated_at: number }>;

export function createThrottleStore(typed: Kysely<any>, table: ThrottleTable, bucketTable: BucketTable): ThrottleStore {
  // The table names vary; the statements are written against a loosely typed handle.
  const db = typed as Kysely<ThrottleTables>;
  const t = sql.table(table);
  const b = sql.table(bucketTable);
  // The larger of two numbers: greatest() on PostgreSQL, the two-argument max() on SQLite.
  const postgres = typed.getExecutor().adapter instanceof PostgresAdapter;
  const larger = postgres ? sql.raw('greatest') : sql.raw('max');
  const smaller = postgres ? sql.raw('least') : sql.raw('min');
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

    async forget(keys) {
      if (keys.length === 0) return;
      await db.deleteFrom(table).where('key', 'in', keys).execute();
      await db.deleteFrom(bucketTable).where('key', 'in', keys).execute();
    },

    async charge(key, policy) {
      const at = Math.floor(Date.now() / 1000);
      const drainPerSecond = policy.limit / policy.windowSeconds;
      const row = await db
        .insertInto(bucketTable)
        .values({ key, level: 1, updated_at: at })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            // The rate is cast: PostgreSQL would otherwise take the parameter for a bigint, as the column it multiplies.
            // A clock that steps back drains nothing (elapsed ≥ 0). The level stops at limit + 1: attempts
            // refused while the bucket is full do not fill it further, so an address (a shared NAT's
            // included) is free again one window after its attempts stop, however many there were.
            level: sql<number>`${smaller}(${policy.limit + 1}, ${larger}(0, ${b}.level - ${larger}(0, ${at} - ${b}.updated_at) * cast(${drainPerSecond} as double precision)) + 1)`,
            updated_at: at,
          }),
        )
        .returning('level')
        .executeTakeFirstOrThrow();
      return Number(row.level);
    },

    async refund(key) {
      await db.updateTable(bucketTable).set({ level: sql<number>`${larger}(0, ${b}.level - 1)` }).where('key', '=', key).execute();
    },
  };
}
