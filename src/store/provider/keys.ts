import type { Kysely } from 'kysely';
import type { SigningKeyStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

export function createSigningKeyStore(db: Kysely<Database>): SigningKeyStore {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'asc').orderBy('kid').execute();
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg,
        publicJwk: row.public_jwk,
        privateJwk: row.private_jwk,
        createdAt: row.created_at,
        activeFrom: row.active_from,
        retiredAt: row.retired_at,
      }));
    },

    async insert(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          alg: key.alg,
          public_jwk: key.publicJwk,
          private_jwk: key.privateJwk,
          created_at: key.createdAt,
          active_from: key.activeFrom,
          retired_at: key.retiredAt,
        })
        .execute();
    },

    async retire(kids, at) {
      if (kids.length === 0) return;
      // A key already due to retire later retires now instead; one retired earlier stays as it is.
      await db
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('kid', 'in', kids)
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', at)]))
        .execute();
    },

    async reseal(kid, privateJwk) {
      await db.updateTable('signing_keys').set({ private_jwk: privateJwk }).where('kid', '=', kid).execute();
    },

    async delete(kid) {
      await db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
    },
  };
}
