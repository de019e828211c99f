import type { Kysely } from 'kysely';

// OpenID Connect (issue 15): an app's settings beyond the columns it was born with, as JSON — the
// algorithm its ID tokens are signed with first; logout URIs and subject types are to follow
// without a migration each. An app registered before has none: every setting at its default.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('settings').execute();
}
