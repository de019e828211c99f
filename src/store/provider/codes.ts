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
    redeem: precompile(db, 2, (codeHash: string, at: number) =>
      db.updateTable('authorization_codes').set({ consumed_at: at }).where('code_hash', '=', codeHash).where('consumed_at', 'is', null).returningAll(),
    ),
  };

  return {
    async create(code) {
      await hot.create(code.codeHash, code.grantId, code.clientId, code.userId, code.redirectUri, code.scope, code.codeChallenge, code.expiresAt, factsColumn(code.context ?? {}));
    },

    async redeem(codeHash) {
      const row = (await hot.redeem(codeHash, now())).rows[0];
      if (row) return { outcome: 'redeemed', code: toCode(row) };
      const used = await db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      return used ? { outcome: 'replayed', code: toCode(used) } : { outcome: 'unknown' };
    },
  };
}
