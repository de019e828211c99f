import type { Kysely } from 'kysely';

// OpenID Connect (issue 15):
// - logout_deliveries: back-channel logouts still to be sent, so that a delivery that failed is
//   retried with backoff and survives a restart. The logout token is signed when sent, from the
//   subject and session kept here.
// - provider_values: values made once and kept for ever. The first is the pairwise salt: a pairwise
//   subject must stay the same for the life of the app, so it cannot come from the server secret,
//   which an operator may rotate.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('logout_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('logout_deliveries_due').on('logout_deliveries').column('next_attempt_at').execute();
  await db.schema
    .createTable('provider_values')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('provider_values').execute();
  await db.schema.dropTable('logout_deliveries').execute();
}
