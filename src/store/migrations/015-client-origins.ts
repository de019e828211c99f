import type { Kysely } from 'kysely';

// Apps that were not registered by a person in the console (issue 16): those an app registered
// itself (RFC 7591 dynamic registration) and those known by the URL of their own metadata document
// (client ID metadata documents). clients.origin says which; registration_token_hash is the SHA-256
// of a self-registered app's registration access token (RFC 7592); last_used_at is when it last
// obtained a token, written at most once a day, so that housekeeping can remove the ones nobody uses;
// document_expires_at is when a metadata-document app's record must be fetched again.
// initial_access_tokens: what an operator mints so that registration.mode "token" lets an app register.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('origin', 'text', (c) => c.notNull().defaultTo('console')).execute();
  await db.schema.alterTable('clients').addColumn('registration_token_hash', 'text').execute();
  await db.schema.alterTable('clients').addColumn('last_used_at', 'bigint').execute();
  await db.schema.alterTable('clients').addColumn('document_expires_at', 'bigint').execute();
  await db.schema.createIndex('clients_origin').on('clients').column('origin').execute();
  await db.schema
    .createTable('initial_access_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('uses_left', 'integer')
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('initial_access_tokens').execute();
  await db.schema.dropIndex('clients_origin').execute();
  for (const column of ['document_expires_at', 'last_used_at', 'registration_token_hash', 'origin']) {
    await db.schema.alterTable('clients').dropColumn(column).execute();
  }
}
