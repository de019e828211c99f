import { sql, type Kysely } from 'kysely';
import type { AccessTokenRecord, AccessTokenStore } from '../../provider/storage.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { joinedUser, joinedUserColumns, now, readFacts } from './rows.ts';

/** The stored audience as the record carries it: absent for the issuer's own API (null, as every row before migration 016). */
const audienceOf = (column: string | null): { audience?: string[] } => {
  const audience = column?.split(' ').filter(Boolean) ?? [];
  return audience.length > 0 ? { audience } : {};
};

/** Opaque access tokens (JWTs are not stored), and the jtis of revoked JWTs that have no grant. */
export function createAccessTokenStore(db: Kysely<Database>): AccessTokenStore {
  const hot = {
    // One statement, whatever the token is for: its audience (RFC 8707) is a column of the same row.
    create: precompile(db, 7, (tokenHash: string, grantId: string | null, clientId: string, userId: string | null, scope: string, expiresAt: number, audience: string | null) =>
      db.insertInto('access_tokens').values({ token_hash: tokenHash, grant_id: grantId, client_id: clientId, user_id: userId, scope, expires_at: expiresAt, audience }),
    ),
    findLiveWithUser: precompile(db, 1, (tokenHash: string) =>
      db
        .selectFrom('access_tokens')
        .leftJoin('grants', 'grants.id', 'access_tokens.grant_id')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .selectAll('access_tokens')
        .select([
          'grants.scope as grant_scope', 'grants.created_at as grant_created_at', 'grants.client_id as grant_client_id',
          'grants.user_id as grant_user_id', 'grants.context as grant_context',
          ...joinedUserColumns,
        ])
        .where('access_tokens.token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('access_tokens.grant_id', 'is', null), eb.and([eb('grants.id', 'is not', null), eb('grants.revoked_at', 'is', null)])])),
    ),
    // One row when the token is refused: its jti revoked, or no app left to speak for.
    isClientJwtRevoked: precompile(db, 2, (jti: string, clientId: string) =>
      db
        .selectFrom('revoked_tokens')
        .select('jti')
        .where('jti', '=', jti)
        .unionAll(
          db
            .selectNoFrom(sql<string>`'app deleted'`.as('jti'))
            .where(({ not, exists, selectFrom }) => not(exists(selectFrom('clients').select('id').where('id', '=', clientId)))),
        ),
    ),
  };

  return {
    async create(token) {
      await hot.create(token.tokenHash, token.grantId, token.clientId, token.userId, token.scope, token.expiresAt, token.audience?.length ? token.audience.join(' ') : null);
    },

    async find(tokenHash) {
      const row = await db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && { tokenHash: row.token_hash, grantId: row.grant_id, clientId: row.client_id, userId: row.user_id, scope: row.scope, expiresAt: row.expires_at, ...audienceOf(row.audience) };
    },

    async findLiveWithUser(tokenHash) {
      const row = (await hot.findLiveWithUser(tokenHash)).rows[0];
      if (!row) return undefined;
      const token: AccessTokenRecord = {
        tokenHash: row.token_hash,
        grantId: row.grant_id,
        clientId: row.client_id,
        userId: row.user_id,
        scope: row.scope,
        expiresAt: row.expires_at,
        ...audienceOf(row.audience),
      };
      if (row.grant_id === null) return { token, grant: null, user: null };
      return {
        token,
        grant: {
          id: row.grant_id,
          clientId: row.grant_client_id!,
          userId: row.grant_user_id,
          scope: row.grant_scope!,
          createdAt: row.grant_created_at!,
          revokedAt: null,
          revokeReason: null,
          context: readFacts(row.grant_context),
        },
        user: joinedUser(row.grant_user_id, row),
      };
    },

    async delete(tokenHash) {
      const result = await db.deleteFrom('access_tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async revokeJwtId(jti, clientId, expiresAt) {
      const result = await db
        .insertInto('revoked_tokens')
        .values({ jti, client_id: clientId, expires_at: expiresAt, revoked_at: now() })
        .onConflict((oc) => oc.column('jti').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async isClientJwtRevoked(jti, clientId) {
      return (await hot.isClientJwtRevoked(jti, clientId)).rows.length > 0;
    },
  };
}
