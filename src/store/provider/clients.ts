import type { Kysely } from 'kysely';
import type { Client, ClientStore } from '../../provider/storage.ts';
import { ClientCache } from '../client-cache.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { clientRow, now, toClient, withoutUndefined } from './rows.ts';

/** Apps, with the per-process cache that spares a warm token or authorization request its client lookup. */
export function createClientStore(db: Kysely<Database>, cache: ClientCache): ClientStore {
  const findRow = precompile(db, 1, (id: string) => db.selectFrom('clients').selectAll().where('id', '=', id));

  const store: ClientStore = {
    async create(client) {
      await db.insertInto('clients').values(clientRow(client)).execute();
      return client;
    },

    async find(id) {
      const row = (await findRow(id)).rows[0];
      return row && toClient(row);
    },

    async findCached(id, maxAgeSeconds, options = {}) {
      if (maxAgeSeconds > 0 && !options.fresh) {
        const cached = cache.get(id);
        if (cached) return cached;
      }
      const readAt = cache.mark();
      const client = await store.find(id);
      if (client) cache.set(client, maxAgeSeconds, readAt);
      return client;
    },

    cached(id, maxAgeSeconds) {
      return maxAgeSeconds > 0 ? cache.get(id) : undefined;
    },

    async update(id, patch) {
      const current = await store.find(id);
      if (!current) return undefined;
      const next: Client = { ...current, ...withoutUndefined(patch), updatedAt: now() };
      const { id: _id, created_at: _created, ...changes } = clientRow(next);
      await db.updateTable('clients').set(changes).where('id', '=', id).execute();
      cache.invalidate(id);
      return next;
    },

    async delete(id) {
      // Rows that name the app without a foreign key first; the rest go with the app's row (cascade).
      await db.deleteFrom('authorization_codes').where('client_id', '=', id).execute();
      await db.deleteFrom('access_tokens').where('client_id', '=', id).execute();
      const result = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
      cache.invalidate(id);
      return Number(result.numDeletedRows) > 0;
    },

    async list(ownerId) {
      let query = db.selectFrom('clients').selectAll().orderBy('created_at', 'asc').orderBy('id');
      if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
      return (await query.execute()).map(toClient);
    },
  };
  return store;
}
