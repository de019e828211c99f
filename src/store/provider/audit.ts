import type { Kysely } from 'kysely';
import type { AuditStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

// The audit trail's reads and writes. Events arrive here in batches from the provider's recorder
// (src/provider/audit.ts), so that no request waits on an audit statement.

export function createAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async insert(events) {
      if (events.length === 0) return;
      await db
        .insertInto('audit_events')
        .values(
          events.map((event) => ({
            at: event.at,
            event: event.event,
            user_id: event.userId ?? null,
            client_id: event.clientId ?? null,
            ip: event.ip ?? null,
            detail: event.detail ? JSON.stringify(event.detail) : null,
            count: event.count ?? 1,
          })),
        )
        .execute();
    },

    async list(filter) {
      let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
      if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.event !== undefined) query = query.where('event', '=', filter.event);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      const rows = await query.execute();
      return rows.map((row) => ({
        id: Number(row.id),
        at: Number(row.at),
        event: row.event,
        userId: row.user_id,
        clientId: row.client_id,
        ip: row.ip,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
        count: Number(row.count),
      }));
    },

    async count(filter) {
      const row = await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.sum<number | string | null>('count').as('n'))
        .where('client_id', '=', filter.clientId)
        .where('event', '=', filter.event)
        .where('at', '>=', filter.since)
        .executeTakeFirstOrThrow();
      return Number(row.n ?? 0);
    },
  };
}

