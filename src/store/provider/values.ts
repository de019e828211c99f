import type { Kysely } from 'kysely';
import type { ProviderValueStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

export function createProviderValueStore(db: Kysely<Database>): ProviderValueStore {
  return {
    async getOrCreate(name, initial) {
      // Racing instances each try to keep theirs; the one that landed is what all of them read.
      await db
        .insertInto('provider_values')
        .values({ name, value: initial, created_at: Math.floor(Date.now() / 1000) })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db.selectFrom('provider_values').select('value').where('name', '=', name).executeTakeFirstOrThrow();
      return row.value;
    },
  };
}
