import type { Kysely } from 'kysely';

// The website side's tables (Connect) were created here, in the provider's database, until Connect
// got a store of its own (src/store/connect/, with its own migrations). This migration keeps its
// name, so that databases that ran it stay consistent, and no longer does anything: a provider's
// database has no Connect tables, and Connect's first migration creates them where they are missing
// (and finds them in place where this migration once made them).

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
