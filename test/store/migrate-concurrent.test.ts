import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.ts';

const postgresUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// Several Grantry schemas on one PostgreSQL server (tenants, or the test suite itself): a store
// that migrates while other schemas are dropped must not fail. Kysely's migrator reads the catalog
// of every schema, and a schema dropped during that read made the migration fail (src/store/open.ts).
test('a PostgreSQL store migrates while other schemas come and go', { timeout: 120_000 }, async () => {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const prefix = `grantry_churn_${randomBytes(4).toString('hex')}`;
  let churning = true;
  let dropped = 0;
  const churn = (async () => {
    for (let i = 0; churning; i++) {
      const name = `${prefix}_${i}`;
      await admin.query(`create schema "${name}"`);
      await admin.query(`create table "${name}".t (id serial primary key, v text)`);
      await admin.query(`drop schema "${name}" cascade`);
      dropped++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const opened: string[] = [];
  try {
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          const schema = `${prefix}_store_${randomBytes(4).toString('hex')}`;
          const store = await openStore(postgresUrl, { schema });
          opened.push(schema);
          await store.close();
        }),
      );
    }
  } finally {
    churning = false;
    await churn;
    for (const schema of opened) await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
  assert.equal(opened.length, 20, 'all 20 stores opened and migrated their schemas');
  assert.ok(dropped > 0, 'other schemas were dropped meanwhile');
});
