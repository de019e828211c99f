import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { bucketRetryAfter } from '../../src/lib/leaky-bucket.ts';
import { openDatabase } from '../../src/store/open.ts';
import { storeKinds } from '../helpers/stores.ts';

// The per-address leaky bucket (src/store/throttle.ts), on both stores and for both sides: the
// provider's login_buckets and Connect's connect_login_buckets run the same statement.

/** Sets a bucket row as a clock would have left it, through a second handle on the same database. */
async function setBucket(url: string, schema: string | undefined, table: string, key: string, level: number, updatedAt: number): Promise<void> {
  const opened = await openDatabase<unknown>(url, { migrations: {}, table: 'grantry_probe_migrations', lockTable: 'grantry_probe_migrations_lock' }, schema ? { schema } : {});
  try {
    await sql`update ${sql.table(table)} set level = ${level}, updated_at = ${updatedAt} where key = ${key}`.execute(opened.db as Kysely<any>);
  } finally {
    await opened.close();
  }
}

for (const kind of storeKinds) {
  describe(`the address bucket on ${kind.name}`, () => {
    test("attempts refused while the bucket is full do not fill it further: it stops at limit + 1, and one window drains it", async () => {
      const { store, url, schema, dispose } = await kind.open();
      try {
        const policy = { limit: 3, windowSeconds: 60 };
        const levels: number[] = [];
        for (let attempt = 0; attempt < 10; attempt++) levels.push(await store.throttle.charge('addr:192.0.2.1', policy));
        assert.deepEqual(levels.map(Math.round), [1, 2, 3, 4, 4, 4, 4, 4, 4, 4], 'the level climbs to limit + 1 and stays there');
        // One window later (the row as the clock leaves it), the bucket has drained: the next attempt is the first again.
        await setBucket(url, schema, 'login_buckets', 'addr:192.0.2.1', 4, Math.floor(Date.now() / 1000) - 80);
        assert.equal(Math.round(await store.throttle.charge('addr:192.0.2.1', policy)), 1, 'after a window and a third, the bucket is empty again');
      } finally {
        await dispose();
      }
    });

    test('Retry-After is when the next attempt passes: shortly before it is still refused', async () => {
      const { store, url, schema, dispose } = await kind.open();
      try {
        const policy = { limit: 3, windowSeconds: 60 };
        let level = 0;
        for (let attempt = 0; attempt < 4; attempt++) level = await store.throttle.charge('addr:192.0.2.4', policy);
        assert.ok(level > policy.limit, `the fourth attempt is refused (level ${level})`);
        const retryAfter = bucketRetryAfter(level, policy.limit, policy.windowSeconds);
        assert.equal(retryAfter, 40, 'full at limit + 1, two attempts must drain: 2 × 60 s / 3');
        // Seconds tick between setting the row and charging it: 3 s before Retry-After is safely before.
        await setBucket(url, schema, 'login_buckets', 'addr:192.0.2.4', level, Math.floor(Date.now() / 1000) - (retryAfter - 3));
        assert.ok((await store.throttle.charge('addr:192.0.2.4', policy)) > policy.limit, 'shortly before Retry-After the attempt is still refused');
        await setBucket(url, schema, 'login_buckets', 'addr:192.0.2.4', level, Math.floor(Date.now() / 1000) - retryAfter);
        assert.ok((await store.throttle.charge('addr:192.0.2.4', policy)) <= policy.limit, 'at Retry-After the attempt passes');
      } finally {
        await dispose();
      }
    });

    test('a clock that stepped back drains nothing and adds nothing beyond the attempt', async () => {
      const { store, url, schema, dispose } = await kind.open();
      try {
        const policy = { limit: 100, windowSeconds: 100 };
        await store.throttle.charge('addr:192.0.2.2', policy);
        await setBucket(url, schema, 'login_buckets', 'addr:192.0.2.2', 1, Math.floor(Date.now() / 1000) + 1000);
        assert.equal(Math.round(await store.throttle.charge('addr:192.0.2.2', policy)), 2, 'a last update 1000 s in the future counts as no time passed');
      } finally {
        await dispose();
      }
    });

    test("Connect's site-login bucket stops at limit + 1 too", async () => {
      const { store, dispose } = await kind.openConnect();
      try {
        const levels: number[] = [];
        for (let attempt = 0; attempt < 6; attempt++) levels.push(await store.chargeLoginBucket('connect:addr:192.0.2.3', { limit: 2, windowSeconds: 60 }));
        assert.deepEqual(levels.map(Math.round), [1, 2, 3, 3, 3, 3], "Connect's bucket climbs to limit + 1 and stays there");
      } finally {
        await dispose();
      }
    });
  });
}
