import type { Kysely } from 'kysely';

// The website side's tables (Connect). Same conventions as 001-provider.ts: the schema builder
// only, bigint seconds, integer flags, text ids.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connect_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connect_identities')
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
  await db.schema.createIndex('connect_identities_user').on('connect_identities').column('user_id').execute();

  await db.schema
    .createTable('connect_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('identity_id', 'text', (c) => c.notNull().references('connect_identities.id').onDelete('cascade'))
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connect_login_states')
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
    .addColumn('session_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('connect_users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['connect_sessions', 'connect_login_states', 'connect_tickets', 'connect_identities', 'connect_users']) {
    await db.schema.dropTable(table).execute();
  }
}
