import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openConnectStore } from '../../src/store/connect/index.ts';
import { openDatabase } from '../../src/store/open.ts';
import { openStore } from '../../src/store/index.ts';
import { storeKinds } from '../helpers/stores.ts';

// The provider and Connect each create their own tables. A provider's database has none of
// Connect's; a website's has none of the provider's; a database where the provider's old
// migrations made Connect's tables (before Connect had its own) opens with Connect's store and
// keeps its rows.

async function tables(url: string, schema: string | undefined): Promise<string[]> {
  const opened = await openDatabase<unknown>(url, { migrations: {}, table: 'grantry_probe_migrations', lockTable: 'grantry_probe_migrations_lock' }, schema ? { schema } : {});
  try {
    const db = opened.db as Kysely<any>;
    const rows = opened.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows;
    return rows.map((row) => row.name).filter((name) => !name.startsWith('grantry_probe') && !name.startsWith('sqlite_')).sort();
  } finally {
    await opened.close();
  }
}

for (const kind of storeKinds) {
  describe(`the provider's and Connect's tables on ${kind.name}`, () => {
    test("a provider's database holds no Connect table, and a website's none of the provider's", async () => {
      const provider = await kind.open();
      const site = await kind.openConnect();
      try {
        const providerTables = await tables(provider.url, provider.schema);
        assert.deepEqual(providerTables.filter((name) => name.startsWith('connect_')), [], "the provider's migrations create no Connect table");
        assert.ok(providerTables.includes('authorization_requests'), `the provider has its stored authorization requests: ${providerTables.join(', ')}`);
        assert.ok(!providerTables.includes('events'), 'the unread events table is gone (migration 008)');
        const siteTables = await tables(site.url, site.schema);
        assert.deepEqual(
          siteTables.filter((name) => !name.startsWith('grantry_connect_migrations')),
          ['connect_identities', 'connect_login_buckets', 'connect_login_failures', 'connect_login_states', 'connect_sessions', 'connect_tickets', 'connect_users'],
          "a website's database has Connect's tables and nothing of the provider's",
        );
      } finally {
        await site.dispose();
        await provider.dispose();
      }
    });

    test("a database whose Connect tables the provider's old migrations made opens with Connect's store, its rows kept", async () => {
      const provider = await kind.open();
      try {
        // What the provider's migrations 002 and 003 made before Connect had migrations of its own.
        const opened = await openDatabase<unknown>(provider.url, { migrations: {}, table: 'grantry_probe_migrations', lockTable: 'grantry_probe_migrations_lock' }, provider.schema ? { schema: provider.schema } : {});
        const db = opened.db as Kysely<any>;
        await db.schema.createTable('connect_users').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text').addColumn('display_name', 'text', (c) => c.notNull()).addColumn('email', 'text').addColumn('created_at', 'bigint', (c) => c.notNull()).execute();
        await db.schema.createTable('connect_identities').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull()).addColumn('user_id', 'text', (c) => c.references('connect_users.id').onDelete('set null'))
          .addColumn('profile', 'text', (c) => c.notNull()).addColumn('tokens', 'text').addColumn('token_expires_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull()).addColumn('updated_at', 'bigint', (c) => c.notNull()).addColumn('last_login_at', 'bigint')
          .addUniqueConstraint('connect_identities_provider_subject', ['provider', 'subject']).execute();
        await db.schema.createIndex('connect_identities_user').on('connect_identities').column('user_id').execute();
        await db.schema.createTable('connect_tickets').addColumn('ticket_hash', 'text', (c) => c.primaryKey())
          .addColumn('identity_id', 'text', (c) => c.notNull().references('connect_identities.id').onDelete('cascade')).addColumn('browser_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()).addColumn('expires_at', 'bigint', (c) => c.notNull()).addColumn('return_to', 'text').execute();
        await db.schema.createTable('connect_login_states').addColumn('state_hash', 'text', (c) => c.primaryKey()).addColumn('browser_hash', 'text', (c) => c.notNull())
          .addColumn('provider', 'text', (c) => c.notNull()).addColumn('code_verifier', 'text', (c) => c.notNull()).addColumn('nonce', 'text')
          .addColumn('redirect_uri', 'text', (c) => c.notNull()).addColumn('return_to', 'text').addColumn('link_user_id', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull()).addColumn('expires_at', 'bigint', (c) => c.notNull()).execute();
        await db.schema.createTable('connect_sessions').addColumn('session_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('connect_users.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull()).addColumn('expires_at', 'bigint', (c) => c.notNull()).execute();
        await db.insertInto('connect_users').values({ id: 'u1', username: 'kept', password_hash: null, display_name: 'Kept', email: null, created_at: 1 }).execute();
        await opened.close();

        const site = await openConnectStore(provider.url);
        try {
          assert.equal((await site.findConnectUserById('u1'))?.username, 'kept', "the site's user from before is still there");
          const attempt = await site.countLoginAttempt('connect:user:kept', { windowSeconds: 60, lockAfter: 5, lockSeconds: 60 });
          assert.equal(attempt.failures, 1, 'the login counters Connect now keeps apart were added beside the old tables');
        } finally {
          await site.close();
        }
        // And the provider, opened again, is untouched by Connect's migration.
        const again = await openStore(provider.url);
        assert.deepEqual(await again.readiness(), { ready: true }, "the provider's own migrations are still current");
        await again.close();
      } finally {
        await provider.dispose();
      }
    });
  });
}
