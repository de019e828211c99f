import type { Kysely } from 'kysely';

// Tokens an app gets for itself (client_credentials) no longer write a grant row:
// - a JWT one is stored nowhere; revoking it records its jti in revoked_tokens, which the one query
//   that checks such a token reads (a row lives until the token would have expired anyway);
// - an opaque one is its access_tokens row alone, so access_tokens.grant_id becomes nullable.
// SQLite cannot drop a NOT NULL in place, so access_tokens is rebuilt (on PostgreSQL too: one path).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_tokens')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('revoked_tokens_expiry').on('revoked_tokens').column('expires_at').execute();

  await db.schema
    .createTable('access_tokens_005')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.references('grants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db
    .insertInto('access_tokens_005')
    .columns(['token_hash', 'grant_id', 'client_id', 'user_id', 'scope', 'expires_at'])
    .expression(db.selectFrom('access_tokens').select(['token_hash', 'grant_id', 'client_id', 'user_id', 'scope', 'expires_at']))
    .execute();
  await db.schema.dropTable('access_tokens').execute();
  await db.schema.alterTable('access_tokens_005').renameTo('access_tokens').execute();
  await db.schema.createIndex('access_tokens_grant').on('access_tokens').column('grant_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revoked_tokens').execute();
}
