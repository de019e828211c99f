import type { Kysely } from 'kysely';

// Tokens issued alike (same app, user, address and grant type) within one audit batch are one row
// with a count: an app asking for client_credentials tokens a thousand times a second would
// otherwise write a thousand rows, and update three indexes for each, every second.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('count', 'integer', (c) => c.notNull().defaultTo(1)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('count').execute();
}
