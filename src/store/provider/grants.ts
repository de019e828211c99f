import type { Kysely } from 'kysely';
import type { AppType } from '../../config/defaults.ts';
import type { AuthorizedApp, GrantStore } from '../../provider/storage.ts';
import { precompile } from '../compiled.ts';
import type { Database } from '../schema.ts';
import { factsColumn, joinedUser, joinedUserColumns, now, readFacts, toGrant } from './rows.ts';

export function createGrantStore(db: Kysely<Database>): GrantStore {
  // The statements of the token and resource paths, built and compiled once (see ../compiled.ts).
  const hot = {
    findLiveWithUser: precompile(db, 1, (grantId: string) =>
      db
        .selectFrom('grants')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .select([
          'grants.id', 'grants.client_id', 'grants.user_id', 'grants.scope', 'grants.created_at',
          'grants.revoked_at', 'grants.revoke_reason', 'grants.context',
          ...joinedUserColumns,
        ])
        .where('grants.id', '=', grantId)
        .where('grants.revoked_at', 'is', null),
    ),
    createOnce: precompile(db, 6, (id: string, clientId: string, userId: string | null, scope: string, createdAt: number, context: string | null) =>
      db
        .insertInto('grants')
        .values({ id, client_id: clientId, user_id: userId, scope, created_at: createdAt, context })
        .onConflict((oc) => oc.column('id').doNothing()),
    ),
  };

  return {
    async create(grant) {
      await db
        .insertInto('grants')
        .values({ id: grant.id, client_id: grant.clientId, user_id: grant.userId, scope: grant.scope, created_at: grant.createdAt, context: factsColumn(grant.context ?? {}) })
        .execute();
      return { ...grant, context: grant.context ?? {}, revokedAt: null, revokeReason: null };
    },

    async find(id) {
      const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toGrant(row);
    },

    async createOnce(grant) {
      const result = await hot.createOnce(grant.id, grant.clientId, grant.userId, grant.scope, grant.createdAt, factsColumn(grant.context ?? {}));
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    async revokeOfCode(code, reason) {
      const at = now();
      const result = await db
        .insertInto('grants')
        .values({
          id: code.grantId, client_id: code.clientId, user_id: code.userId, scope: code.scope, context: factsColumn(code.context ?? {}),
          created_at: at, revoked_at: at, revoke_reason: reason,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet({ revoked_at: at, revoke_reason: reason }).where('grants.revoked_at', 'is', null))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async findLiveWithUser(grantId) {
      const row = (await hot.findLiveWithUser(grantId)).rows[0];
      if (!row) return undefined;
      const grant = { id: row.id, clientId: row.client_id, userId: row.user_id, scope: row.scope, createdAt: row.created_at, revokedAt: row.revoked_at, revokeReason: row.revoke_reason, context: readFacts(row.context) };
      return { grant, user: joinedUser(row.user_id, row) };
    },

    async revoke(id, reason) {
      const result = await db
        .updateTable('grants')
        .set({ revoked_at: now(), revoke_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async revokeAllOf(userId, clientId, reason) {
      const result = await db
        .updateTable('grants')
        .set({ revoked_at: now(), revoke_reason: reason })
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async listAuthorizedApps(userId) {
      const rows = await db
        .selectFrom('grants')
        .innerJoin('clients', 'clients.id', 'grants.client_id')
        .select(['grants.id as grant_id', 'grants.scope', 'grants.created_at', 'clients.id', 'clients.name', 'clients.homepage', 'clients.app_type'])
        .where('grants.user_id', '=', userId)
        .where('grants.revoked_at', 'is', null)
        .orderBy('grants.created_at', 'asc')
        .execute();
      const apps = new Map<string, AuthorizedApp>();
      for (const row of rows) {
        const app = apps.get(row.id);
        if (!app) {
          apps.set(row.id, {
            client: { id: row.id, name: row.name, homepage: row.homepage, appType: row.app_type as AppType },
            scope: row.scope,
            firstAuthorizedAt: row.created_at,
            lastAuthorizedAt: row.created_at,
            grantIds: [row.grant_id],
          });
        } else {
          app.grantIds.push(row.grant_id);
          app.lastAuthorizedAt = row.created_at;
          app.scope = mergeScopes(app.scope, row.scope);
        }
      }
      return [...apps.values()];
    },

    async countAuthorizedUsers(clientIds) {
      const counts = new Map(clientIds.map((id) => [id, 0]));
      if (clientIds.length === 0) return counts;
      const rows = await db
        .selectFrom('grants')
        .select(['client_id', (eb) => eb.fn.count<string | number>('user_id').distinct().as('users')])
        .where('client_id', 'in', clientIds)
        .where('revoked_at', 'is', null)
        .where('user_id', 'is not', null)
        .groupBy('client_id')
        .execute();
      for (const row of rows) counts.set(row.client_id, Number(row.users));
      return counts;
    },
  };
}

function mergeScopes(a: string, b: string): string {
  return [...new Set([...a.split(' '), ...b.split(' ')].filter(Boolean))].join(' ');
}
