import type { Kysely } from 'kysely';
import type { ConsentStore, RememberedConsent } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';
import { now } from './rows.ts';

export function createConsentStore(db: Kysely<Database>): ConsentStore {
  return {
    async find(userId, clientId) {
      const row = await db.selectFrom('consents').select(['scope', 'redirect_uris', 'resources']).where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
      return row && rememberedConsent(row.scope, row.redirect_uris, row.resources);
    },

    async save(userId, clientId, consent) {
      const values = { scope: consent.scope, redirect_uris: JSON.stringify(consent.redirectUris), resources: consent.resources.length > 0 ? JSON.stringify(consent.resources) : null, updated_at: now() };
      await db
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, ...values })
        .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet(values))
        .execute();
    },

    async delete(userId, clientId) {
      await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
    },
  };
}

/** A consent row as a record; one remembered before redirect URIs (migration 010) or resources (014) were holds for none. */
export function rememberedConsent(scope: string, redirectUris: string | null, resources: string | null): RememberedConsent {
  return { scope, redirectUris: redirectUris ? (JSON.parse(redirectUris) as string[]) : [], resources: resources ? (JSON.parse(resources) as string[]) : [] };
}
