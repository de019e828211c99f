import type { Kysely } from 'kysely';
import type { CodeStore } from '../../provider/storage.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { factsColumn, now, toCode } from './rows.ts';

export function createCodeStore(db: Kysely<Database>): CodeStore {
  const hot = {
    create: precompile(
      db,
      9,
      (codeHash: string, grantId: string, clientId: string, userId: string, redirectUri: string, scope: string, codeChallenge: string | null, expiresAt: number, context: string | null) =>
        db.insertInto('authorization_codes').values({
          code_hash: codeHash,
          grant_id: grantId,
          client_id: clientId,
          user_id: userId,
          redirect_uri: redirectUri,
          scope,
          code_challenge: codeChallenge,
          expires_at: expiresAt,
          context,
        }),
    ),
    redeem: precompile(db, 3, (codeHash: string, clientId: string, at: number) =>
      db
        .updateTable('authorization_codes')
        .set({ consumed_at: at })
        .where('code_hash', '=', codeHash)
        .where('client_id', '=', clientId)
        .where('consumed_at', 'is', null)
        .returningAll(),
    ),
  };

  return {
    async create(code) {
      await hot.create(code.codeHash, code.grantId, code.clientId, code.userId, code.redirectUri, code.scope, code.codeChallenge, code.expiresAt, factsColumn(code.context ?? {}));
    },

    async redeem(codeHash, clientId) {
      const row = (await hot.redeem(codeHash, clientId, now())).rows[0];
      if (row) return { outcome: 'redeemed', code: toCode(row) };
      const found = await db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      if (!found) return { outcome: 'unknown' };
      return { outcome: found.client_id === clientId ? 'replayed' : 'another_client', code: toCode(found) };
    },
  };
}
