import type { Kysely } from 'kysely';

// The core that the next protocols plug into:
// - authorization_requests: a checked authorization request, kept while the person logs in and
//   decides; login and consent carry only its handle (whose SHA-256 is the key). Pushed requests
//   and the device flow will create and find the same rows.
// - grants.context and authorization_codes.context: the issuance facts (authentication time,
//   audience, nonce, …) as JSON beside the indexed columns, so that a new fact needs no migration.
// - events: written on sign-up and never read; the audit trail (004) replaced it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('authorization_requests')
    .addColumn('handle_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('browser_hash', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('auth_time', 'bigint')
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('authorization_requests_expiry').on('authorization_requests').column('expires_at').execute();
  await db.schema.alterTable('grants').addColumn('context', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('context', 'text').execute();
  await db.schema.dropTable('events').ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('authorization_requests').execute();
  await db.schema.alterTable('grants').dropColumn('context').execute();
  await db.schema.alterTable('authorization_codes').dropColumn('context').execute();
}
