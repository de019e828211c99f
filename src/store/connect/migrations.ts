import type { Kysely, Migration } from 'kysely';
import { assignUsernameKeys } from '../username-keys.ts';
import type { MigrationSet } from '../open.ts';

// Connect's own migrations, recorded in grantry_connect_migrations: a website that uses Connect
// gets Connect's tables and nothing of the provider's. Same conventions as the provider's: the
// schema builder only, bigint seconds, integer flags, text ids. Connect's tables once lived in the
// provider's migrations (its 002 and 003), so a database that ran those already has them: the
// first migration creates only what is missing.

const tablesAndLogins: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('connect_users')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text')
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('connect_identities')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      // Deleting a user frees its identities rather than deleting what the provider told us.
      .addColumn('user_id', 'text', (c) => c.references('connect_users.id').onDelete('set null'))
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('tokens', 'text')
      .addColumn('token_expires_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_login_at', 'bigint')
      .addUniqueConstraint('connect_identities_provider_subject', ['provider', 'subject'])
      .execute();
    await db.schema.createIndex('connect_identities_user').ifNotExists().on('connect_identities').column('user_id').execute();

    await db.schema
      .createTable('connect_tickets')
      .ifNotExists()
      .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
      .addColumn('identity_id', 'text', (c) => c.notNull().references('connect_identities.id').onDelete('cascade'))
      .addColumn('browser_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      // Where the login was going, so that registering or binding ends there.
      .addColumn('return_to', 'text')
      .execute();

    await db.schema
      .createTable('connect_login_states')
      .ifNotExists()
      .addColumn('state_hash', 'text', (c) => c.primaryKey())
      .addColumn('browser_hash', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text')
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('return_to', 'text')
      .addColumn('link_user_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('connect_sessions')
      .ifNotExists()
      .addColumn('session_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('connect_users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    // Site-login counters, apart from the provider's login_failures (a shared database holds both).
    await db.schema
      .createTable('connect_login_failures')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('first_failure_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['connect_login_failures', 'connect_sessions', 'connect_login_states', 'connect_tickets', 'connect_identities', 'connect_users']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

// The site's usernames become unique without regard to case and Unicode compatibility forms, as the
// provider's do (its migration 009, which says how names that collide already are kept); and the
// site's logins and sign-ups get per-address buckets.
const usernameKeysAndBuckets: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('connect_users').addColumn('username_key', 'text').execute();
    await assignUsernameKeys(db, 'connect_users');
    await db.schema.createIndex('connect_users_by_username_key').unique().on('connect_users').column('username_key').execute();
    await db.schema
      .createTable('connect_login_buckets')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('level', 'double precision', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('connect_login_buckets').execute();
    await db.schema.dropIndex('connect_users_by_username_key').execute();
    await db.schema.alterTable('connect_users').dropColumn('username_key').execute();
  },
};

export const connectMigrations: MigrationSet = {
  migrations: { '001-connect': tablesAndLogins, '002-username-keys-and-buckets': usernameKeysAndBuckets },
  table: 'grantry_connect_migrations',
  lockTable: 'grantry_connect_migrations_lock',
};

