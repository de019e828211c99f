import type { Kysely } from 'kysely';

// What an attack test found (issue 13):
// - consents.redirect_uris: a remembered consent holds for the redirect URIs it was given for
//   (JSON). Consents remembered before have none, and are asked for once more.
// - clients.silent_returning: whether a person who already allowed a public app (spa, native) is
//   answered without the one-click confirmation. Off for every app; only an operator turns it on.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consents').addColumn('redirect_uris', 'text').execute();
  await db.schema.alterTable('clients').addColumn('silent_returning', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consents').dropColumn('redirect_uris').execute();
  await db.schema.alterTable('clients').dropColumn('silent_returning').execute();
}
