import { sql, type Kysely } from 'kysely';
import type { HousekeepingStore, PurgeCounts, PurgePolicy } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';

// The provider's purge of rows nothing can use any more (Connect purges its own tables). Every
// instance runs it (src/provider/housekeeping.ts), at the same time or not, and needs no lock to do so: each statement is a plain DELETE of rows
// that a time condition already makes dead, and a dead row never comes back to life. Two
// instances deleting the same rows at once merely do the same work twice — the second finds them
// gone (PostgreSQL re-checks a row that another transaction deleted and skips it; SQLite runs one
// writer at a time). Deletes go in bounded batches, `… where key in (select key … limit n)`, so that
// no statement holds its locks for long or touches a table wholesale.

export function createHousekeepingStore(typed: Kysely<Database>): HousekeepingStore {
  // Table and column names vary per purge; the conditions are written against a loosely typed handle.
  const db = typed as unknown as Kysely<any>;

  async function purge(table: string, key: string, condition: (query: any) => any, policy: PurgePolicy): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < policy.maxBatches; batch++) {
      const doomed = condition(db.selectFrom(`${table} as t`).select(`t.${key}`)).limit(policy.batchSize);
      const result = await db.deleteFrom(table).where(key, 'in', doomed).executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      total += deleted;
      if (deleted < policy.batchSize) break;
    }
    return total;
  }

  return {
    async purgeExpired(policy) {
      const { now } = policy;
      const counts = {} as PurgeCounts;
      counts.authorization_requests = await purge('authorization_requests', 'handle_hash', (q) => q.where('t.expires_at', '<', now), policy);
      counts.authorization_codes = await purge('authorization_codes', 'code_hash', (q) => q.where('t.expires_at', '<', now - policy.expiredGraceSeconds), policy);
      counts.sessions = await purge('sessions', 'session_hash', (q) => q.where('t.expires_at', '<', now), policy);
      counts.access_tokens = await purge('access_tokens', 'token_hash', (q) => q.where('t.expires_at', '<', now), policy);
      // A revoked JWT's jti is kept until the token's own expiry; after that the signature check refuses it anyway.
      counts.revoked_tokens = await purge('revoked_tokens', 'jti', (q) => q.where('t.expires_at', '<', now), policy);
      // expires_at (idle) is never later than absolute_expires_at, so this takes both kinds of dead token.
      counts.refresh_tokens = await purge('refresh_tokens', 'token_hash', (q) => q.where('t.expires_at', '<', now - policy.expiredGraceSeconds), policy);
      counts.grants = await purge('grants', 'id', (q) => q.where((eb: any) => deadGrant(eb, policy)), policy);
      counts.login_failures = await purge(
        'login_failures',
        'key',
        (q) =>
          q
            .where('t.first_failure_at', '<', now - policy.loginWindowSeconds)
            .where((eb: any) => eb.or([eb('t.locked_until', 'is', null), eb('t.locked_until', '<', now)])),
        policy,
      );
      counts.login_buckets = await purge('login_buckets', 'key', (q) => q.where('t.updated_at', '<', now - policy.bucketDrainSeconds), policy);
      counts.audit_events = await purge('audit_events', 'id', (q) => q.where('t.at', '<', now - policy.auditRetentionSeconds), policy);
      return counts;
    },
  };
}

/**
 * A grant is dead once no token of it is stored and none it issued can still be alive:
 * - an app's own grant (client_credentials; one per token request) or a revoked grant, once its
 *   last access token has expired;
 * - a person's grant, once past its absolute end — unless it is the newest live grant of an app
 *   that person still consents to, which /account/apps lists so that the consent can be taken back.
 * JWT access tokens are not stored; their grant is looked up on every use, so a grant is kept until
 * every JWT it can have signed has expired.
 */
function deadGrant(eb: any, policy: PurgePolicy) {
  const { now } = policy;
  const noTokens = eb.and([
    eb.not(eb.exists(eb.selectFrom('refresh_tokens as r').select(sql.lit(1).as('one')).whereRef('r.grant_id', '=', 't.id'))),
    eb.not(eb.exists(eb.selectFrom('access_tokens as a').select(sql.lit(1).as('one')).whereRef('a.grant_id', '=', 't.id'))),
  ]);
  const appOrRevoked = eb.and([
    eb.or([eb('t.user_id', 'is', null), eb('t.revoked_at', 'is not', null)]),
    eb('t.created_at', '<', now - policy.accessTokenLifetime),
  ]);
  const newerLiveGrant = eb.exists(
    eb
      .selectFrom('grants as g')
      .select(sql.lit(1).as('one'))
      .whereRef('g.user_id', '=', 't.user_id')
      .whereRef('g.client_id', '=', 't.client_id')
      .where('g.revoked_at', 'is', null)
      .where((inner: any) => inner.or([inner('g.created_at', '>', inner.ref('t.created_at')), inner.and([inner('g.created_at', '=', inner.ref('t.created_at')), inner('g.id', '>', inner.ref('t.id'))])])),
  );
  const consented = eb.exists(eb.selectFrom('consents as c').select(sql.lit(1).as('one')).whereRef('c.user_id', '=', 't.user_id').whereRef('c.client_id', '=', 't.client_id'));
  const personalPastEnd = eb.and([
    eb('t.user_id', 'is not', null),
    eb('t.created_at', '<', now - policy.refreshTokenAbsolute - policy.accessTokenLifetime),
    eb.or([eb.not(consented), newerLiveGrant]),
  ]);
  return eb.and([noTokens, eb.or([appOrRevoked, personalPastEnd])]);
}
