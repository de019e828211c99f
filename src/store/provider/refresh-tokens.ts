import type { Kysely } from 'kysely';
import type { RefreshTokenStore } from '../../provider/storage.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { joinedUser, joinedUserColumns, now, readFacts, toRefresh } from './rows.ts';

export function createRefreshTokenStore(db: Kysely<Database>): RefreshTokenStore {
  const hot = {
    create: precompile(
      db,
      8,
      (tokenHash: string, grantId: string, clientId: string, userId: string | null, scope: string, createdAt: number, expiresAt: number, absoluteExpiresAt: number) =>
        db.insertInto('refresh_tokens').values({
          token_hash: tokenHash,
          grant_id: grantId,
          client_id: clientId,
          user_id: userId,
          scope,
          created_at: createdAt,
          expires_at: expiresAt,
          absolute_expires_at: absoluteExpiresAt,
        }),
    ),
    rotate: precompile(db, 2, (tokenHash: string, at: number) =>
      db.updateTable('refresh_tokens').set({ rotated_at: at }).where('token_hash', '=', tokenHash).where('rotated_at', 'is', null).returningAll(),
    ),
    findWithGrant: precompile(db, 1, (tokenHash: string) =>
      db
        .selectFrom('refresh_tokens')
        .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .selectAll('refresh_tokens')
        .select([
          'grants.scope as grant_scope', 'grants.created_at as grant_created_at', 'grants.revoked_at', 'grants.revoke_reason',
          'grants.client_id as grant_client_id', 'grants.user_id as grant_user_id', 'grants.context as grant_context',
          ...joinedUserColumns,
        ])
        .where('refresh_tokens.token_hash', '=', tokenHash),
    ),
  };

  const store: RefreshTokenStore = {
    async create(token) {
      await hot.create(token.tokenHash, token.grantId, token.clientId, token.userId, token.scope, token.createdAt, token.expiresAt, token.absoluteExpiresAt);
    },

    async find(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toRefresh(row);
    },

    async rotate(tokenHash, graceSeconds) {
      const at = now();
      const row = (await hot.rotate(tokenHash, at)).rows[0];
      if (row) return { outcome: 'rotated', token: toRefresh(row) };
      const used = await store.find(tokenHash);
      if (!used) return { outcome: 'unknown' };
      const withinGrace = graceSeconds > 0 && used.rotatedAt !== null && at - used.rotatedAt <= graceSeconds;
      return { outcome: withinGrace ? 'grace' : 'reused', token: used };
    },

    async findWithGrant(tokenHash) {
      const row = (await hot.findWithGrant(tokenHash)).rows[0];
      if (!row) return undefined;
      return {
        token: toRefresh(row),
        grant: {
          id: row.grant_id,
          clientId: row.grant_client_id,
          userId: row.grant_user_id,
          scope: row.grant_scope,
          createdAt: row.grant_created_at,
          revokedAt: row.revoked_at,
          revokeReason: row.revoke_reason,
          context: readFacts(row.grant_context),
        },
        user: joinedUser(row.grant_user_id, row),
      };
    },
  };
  return store;
}
