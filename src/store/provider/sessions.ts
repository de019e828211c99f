import type { Kysely } from 'kysely';
import type { SessionStore } from '../../provider/storage.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { rememberedConsent } from './consents.ts';
import { now, toUser } from './rows.ts';

/** The provider's login sessions (a random id in a cookie; its SHA-256 here). */
export function createSessionStore(db: Kysely<Database>): SessionStore {
  const findWithConsent = precompile(db, 3, (sessionHash: string, clientId: string, at: number) =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .leftJoin('consents', (join) => join.onRef('consents.user_id', '=', 'sessions.user_id').on('consents.client_id', '=', clientId))
      .selectAll('users')
      .select(['sessions.created_at as session_created_at', 'sessions.expires_at', 'consents.scope as consent_scope', 'consents.redirect_uris as consent_redirect_uris', 'consents.resources as consent_resources'])
      .where('sessions.session_hash', '=', sessionHash)
      .where('sessions.expires_at', '>', at),
  );

  return {
    async create(session) {
      await db
        .insertInto('sessions')
        .values({ session_hash: session.sessionHash, user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt })
        .execute();
    },

    async find(sessionHash) {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('users')
        .select(['sessions.created_at as session_created_at', 'sessions.expires_at'])
        .where('sessions.session_hash', '=', sessionHash)
        .where('sessions.expires_at', '>', now())
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        session: { sessionHash, userId: row.id, createdAt: row.session_created_at, expiresAt: row.expires_at },
        user: toUser(row),
      };
    },

    async findWithConsent(sessionHash, clientId) {
      const row = (await findWithConsent(sessionHash, clientId, now())).rows[0];
      if (!row) return undefined;
      return {
        session: { sessionHash, userId: row.id, createdAt: row.session_created_at, expiresAt: row.expires_at },
        user: toUser(row),
        consent: row.consent_scope === null ? undefined : rememberedConsent(row.consent_scope, row.consent_redirect_uris, row.consent_resources),
      };
    },

    async delete(sessionHash) {
      await db.deleteFrom('sessions').where('session_hash', '=', sessionHash).execute();
    },
  };
}
