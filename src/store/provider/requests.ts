import type { Kysely } from 'kysely';
import type { AuthorizationRequestStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

/** Authorization requests waiting for a person to log in and decide (see AuthorizationRequestRecord). */
export function createAuthorizationRequestStore(db: Kysely<Database>): AuthorizationRequestStore {
  return {
    async create(request) {
      await db
        .insertInto('authorization_requests')
        .values({
          handle_hash: request.handleHash,
          client_id: request.clientId,
          parameters: request.sealedParameters,
          browser_hash: request.browserHash,
          created_at: request.createdAt,
          expires_at: request.expiresAt,
        })
        .execute();
    },

    async find(handleHash) {
      const row = await db.selectFrom('authorization_requests').selectAll().where('handle_hash', '=', handleHash).executeTakeFirst();
      return (
        row && {
          handleHash: row.handle_hash,
          clientId: row.client_id,
          sealedParameters: row.parameters,
          browserHash: row.browser_hash,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          userId: row.user_id,
          authTime: row.auth_time,
          completedAt: row.completed_at,
        }
      );
    },

    async complete(handleHash, decision) {
      const result = await db
        .updateTable('authorization_requests')
        .set({ user_id: decision.userId, auth_time: decision.authTime, completed_at: decision.at })
        .where('handle_hash', '=', handleHash)
        .where('completed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
