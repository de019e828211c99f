import type { Kysely } from 'kysely';

// The website side's tables (Connect). Filled in with the Connect work.
export async function up(_db: Kysely<any>): Promise<void> {}
export async function down(_db: Kysely<any>): Promise<void> {}
