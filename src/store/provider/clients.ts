import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Client, ClientStore } from '../../provider/storage.ts';
import { ClientCache } from '../client-cache.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { clientRow, now, toClient, withoutUndefined } from './rows.ts';

/** Apps no person registered that are unused (see ClientStore.unusedRegistered), as a condition on the clients table. */
function unused(before: number, neverUsedDocumentsBefore: number) {
  return (eb: ExpressionBuilder<Database, 'clients'>) =>
    eb.and([
      eb('origin', 'in', ['registration', 'document']),
      eb.or([
        eb('last_used_at', '<', before),
        eb.and([eb('last_used_at', 'is', null), eb('created_at', '<', before)]),
        eb.and([eb('origin', '=', 'document'), eb('last_used_at', 'is', null), eb('created_at', '<', neverUsedDocumentsBefore)]),
      ]),
    ]);
}

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

    async saveFetched(client) {
      // What the provider learnt of the app is kept: when it was first seen and last used.
      const { id: _id, created_at: _created, last_used_at: _used, ...changes } = clientRow(client);
      await db
        .insertInto('clients')
        .values(clientRow(client))
        .onConflict((conflict) => conflict.column('id').doUpdateSet(changes).where('clients.origin', '=', 'document'))
        .execute();
      cache.invalidate(client.id);
      return client;
    },

    async delete(id) {
      // Rows that name the app without a foreign key first; the rest go with the app's row (cascade).
      await db.deleteFrom('authorization_codes').where('client_id', '=', id).execute();
      await db.deleteFrom('access_tokens').where('client_id', '=', id).execute();
      const result = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
      cache.invalidate(id);
      return Number(result.numDeletedRows) > 0;
    },

    async markUsed(id, at, staleBefore) {
      // The cached record keeps its older lastUsedAt until it expires: the condition, not the
      // cache, is what keeps this to one write a day.
      const result = await db
        .updateTable('clients')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where('origin', 'in', ['registration', 'document'])
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async unusedRegistered(before, limit, neverUsedDocumentsBefore = before) {
      const rows = await db
        .selectFrom('clients')
        .select(['id', 'origin'])
        .where(unused(before, neverUsedDocumentsBefore))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ id: row.id, origin: row.origin as 'registration' | 'document' }));
    },

    async deleteUnused(id, before, neverUsedDocumentsBefore = before) {
      // The row first, on the condition that found it: an app that obtained a token since stays,
      // with everything issued to it. Then the rows that name it without a foreign key.
      const result = await db.deleteFrom('clients').where('id', '=', id).where(unused(before, neverUsedDocumentsBefore)).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await db.deleteFrom('authorization_codes').where('client_id', '=', id).execute();
      await db.deleteFrom('access_tokens').where('client_id', '=', id).execute();
      cache.invalidate(id);
      return true;
    },

    async list(ownerId) {
      let query = db.selectFrom('clients').selectAll().orderBy('created_at', 'asc').orderBy('id');
      if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
      return (await query.execute()).map(toClient);
    },
  };
  return store;
}
