import type { Kysely } from 'kysely';

// Resource indicators (RFC 8707, issue 16): the APIs an operator registers, that tokens may be
// issued for. Each is known by its URI (the tokens' audience), with its own scopes and, if set, its
// own access-token lifetime. consents.resources: a remembered consent holds for the APIs it was
// given for (JSON); one remembered before holds for none, and a request naming one is asked again.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consents').addColumn('resources', 'text').execute();
  await db.schema
    .createTable('resources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('uri', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('access_token_lifetime', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('resources').execute();
  await db.schema.alterTable('consents').dropColumn('resources').execute();
}
