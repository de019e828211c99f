import type { Kysely } from 'kysely';

// A pending binding ticket remembers where the person was going, so that "create a new account"
// and "bind to an account I have" end where the login began.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('connect_tickets').addColumn('return_to', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('connect_tickets').dropColumn('return_to').execute();
}
