import type { Kysely } from 'kysely';
import type { ConsentStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';
import { now } from './rows.ts';

export function createConsentStore(db: Kysely<Database>): ConsentStore {
  return {
    async find(userId, clientId) {
      const row = await db.selectFrom('consents').select('scope').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
      return row?.scope;
    },

    async save(userId, clientId, scope) {
      await db
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, scope, updated_at: now() })
        .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scope, updated_at: now() }))
        .execute();
    },

    async delete(userId, clientId) {
      await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
    },
  };
}
