import type { Kysely, Selectable } from 'kysely';
import type { LogoutDelivery, LogoutDeliveryStore } from '../../provider/storage.ts';
import type { Database, LogoutDeliveriesTable } from '../schema.ts';

const toDelivery = (row: Selectable<LogoutDeliveriesTable>): LogoutDelivery => ({
  id: row.id,
  clientId: row.client_id,
  subject: row.subject,
  sessionId: row.session_id,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
  lastError: row.last_error,
});

export function createLogoutDeliveryStore(db: Kysely<Database>): LogoutDeliveryStore {
  return {
    async enqueue(deliveries) {
      if (deliveries.length === 0) return;
      await db
        .insertInto('logout_deliveries')
        .values(deliveries.map((delivery) => ({
          id: delivery.id,
          client_id: delivery.clientId,
          subject: delivery.subject,
          session_id: delivery.sessionId,
          attempts: 0,
          next_attempt_at: delivery.nextAttemptAt,
          created_at: delivery.createdAt,
          last_error: null,
        })))
        .execute();
    },

    async claimDue(now, leaseUntil, limit) {
      const due = await db.selectFrom('logout_deliveries').selectAll().where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit).execute();
      const claimed: LogoutDelivery[] = [];
      for (const row of due) {
        // Taken only if no other instance moved it since it was read (SQLite has no SKIP LOCKED).
        const result = await db
          .updateTable('logout_deliveries')
          .set({ next_attempt_at: leaseUntil })
          .where('id', '=', row.id)
          .where('next_attempt_at', '=', row.next_attempt_at)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) claimed.push(toDelivery({ ...row, next_attempt_at: leaseUntil }));
      }
      return claimed;
    },

    async delete(delivery) {
      await db.deleteFrom('logout_deliveries').where('id', '=', delivery.id).where('next_attempt_at', '=', delivery.nextAttemptAt).execute();
    },

    async retryLater(delivery, update) {
      await db
        .updateTable('logout_deliveries')
        .set({ attempts: update.attempts, next_attempt_at: update.nextAttemptAt, last_error: update.lastError.slice(0, 500) })
        .where('id', '=', delivery.id)
        .where('next_attempt_at', '=', delivery.nextAttemptAt)
        .execute();
    },
  };
}
