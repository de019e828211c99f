import { sql, type Kysely } from 'kysely';
import type { InitialAccessToken, InitialAccessTokenStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

// Initial access tokens (RFC 7591 §3): what an operator hands out so that, with registration.mode
// "token", an app may register itself. A use is taken by one conditional UPDATE — the row changes
// only while it has not expired and has a use left — so that n concurrent registrations on a token
// with one use left see exactly one success, on SQLite and PostgreSQL alike.

export function createInitialAccessTokenStore(db: Kysely<Database>): InitialAccessTokenStore {
  return {
    async create(token) {
      await db
        .insertInto('initial_access_tokens')
        .values({ token_hash: token.tokenHash, id: token.id, uses_left: token.usesLeft, expires_at: token.expiresAt, created_at: token.createdAt })
        .execute();
    },

    async use(tokenHash, now) {
      const result = await db
        .updateTable('initial_access_tokens')
        // An unlimited token (null) stays null.
        .set({ uses_left: sql<number | null>`case when uses_left is null then null else uses_left - 1 end` })
        .where('token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('uses_left', 'is', null), eb('uses_left', '>', 0)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async giveBack(tokenHash) {
      await db
        .updateTable('initial_access_tokens')
        .set({ uses_left: sql<number>`uses_left + 1` })
        .where('token_hash', '=', tokenHash)
        .where('uses_left', 'is not', null)
        .execute();
    },

    async list() {
      const rows = await db.selectFrom('initial_access_tokens').selectAll().orderBy('created_at', 'asc').orderBy('id').execute();
      return rows.map(
        (row): InitialAccessToken => ({
          id: row.id,
          tokenHash: row.token_hash,
          usesLeft: row.uses_left === null ? null : Number(row.uses_left),
          expiresAt: row.expires_at === null ? null : Number(row.expires_at),
          createdAt: Number(row.created_at),
        }),
      );
    },

    async revoke(id) {
      const result = await db.deleteFrom('initial_access_tokens').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
