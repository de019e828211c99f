import type { Kysely } from 'kysely';
import { usernameKey } from '../lib/username.ts';

/**
 * Fills `username_key` (src/lib/username.ts) for every row of a users table that existed before it,
 * oldest first. Names that differ from an older one only by case or Unicode form (alice, ALICE)
 * were allowed then: the oldest keeps the key, the others keep no key — they go on signing in with
 * their name exactly as written — and are named on stderr, so that the operator can rename them.
 * A migration that met them must not fail over them. Shared by the provider's migration 009 and
 * Connect's 002.
 */
export async function assignUsernameKeys(db: Kysely<any>, table: 'users' | 'connect_users'): Promise<void> {
  const users = (await db.selectFrom(table).select(['id', 'username']).orderBy('created_at').orderBy('id').execute()) as { id: string; username: string }[];
  const taken = new Set<string>();
  const colliding: string[] = [];
  for (const user of users) {
    const key = usernameKey(user.username);
    if (taken.has(key)) {
      colliding.push(user.username);
      continue;
    }
    taken.add(key);
    await db.updateTable(table).set({ username_key: key }).where('id', '=', user.id).execute();
  }
  if (colliding.length > 0) {
    process.stderr.write(
      `grantry: ${colliding.length} username(s) in ${table} differ from an older one only by case or Unicode form: ${colliding.join(', ')}. ` +
        'Their accounts keep working, signing in with the name exactly as written; rename them to make every name unique.\n',
    );
  }
}
