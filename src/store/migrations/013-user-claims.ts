import type { Kysely } from 'kysely';

// OpenID Connect (issue 15): the claims an operator gives a person beyond their name and email
// (phone_number, address, given_name, …; `grantry user claims`), as JSON. Null: none.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('claims', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('claims').execute();
}
