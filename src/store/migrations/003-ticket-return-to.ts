import type { Kysely } from 'kysely';

// Added connect_tickets.return_to to the provider's database, until Connect got a store and
// migrations of its own (see 002-connect.ts): kept by name, it does nothing now. Connect's first
// migration creates the column with its table.
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
