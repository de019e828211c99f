import type { Kysely } from 'kysely';
import { assignUsernameKeys } from '../username-keys.ts';

// Usernames become unique without regard to case and Unicode compatibility forms: each user gets
// username_key (src/lib/username.ts), unique, and logins look names up by it. Databases made
// before this may hold names that differ only so (alice and ALICE): the oldest keeps the key, the
// others keep their exact name only (their key is left empty, and they sign in with the name
// exactly as they chose it); `grantry start` names them, and the migration does not fail.
// login_buckets: per-address attempt counts that leak away over time (see src/store/throttle.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('username_key', 'text').execute();
  await assignUsernameKeys(db, 'users');
  await db.schema.createIndex('users_by_username_key').unique().on('users').column('username_key').execute();

  await db.schema
    .createTable('login_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('level', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_buckets').execute();
  await db.schema.dropIndex('users_by_username_key').execute();
  await db.schema.alterTable('users').dropColumn('username_key').execute();
}

