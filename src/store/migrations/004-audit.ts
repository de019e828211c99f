import { PostgresAdapter, type Kysely } from 'kysely';

// The audit trail: who did what to which app, from where. Rows are only ever appended (in batches,
// see src/provider/audit.ts) and purged by age, so an ever-growing integer id orders them and pages
// through them cheaply. `detail` is JSON text and never holds a secret, a token or a code.
export async function up(db: Kysely<any>): Promise<void> {
  // Kysely has no portable auto-increment: SQLite's INTEGER PRIMARY KEY is the rowid, PostgreSQL needs bigserial.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('audit_events')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('detail', 'text')
    .execute();
  // The console reads one app's events newest first; `grantry audit --user` one person's; the purge goes by age.
  await db.schema.createIndex('audit_events_client').on('audit_events').columns(['client_id', 'id']).execute();
  await db.schema.createIndex('audit_events_user').on('audit_events').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
