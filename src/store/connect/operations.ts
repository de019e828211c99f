import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import {
  ConnectConflictError,
  type ConnectIdentity,
  type ConnectLoginState,
  type ConnectOperations,
  type ConnectProfile,
  type ConnectTicket,
  type ConnectUser,
  type IdentityBinding,
  type IdentityUnbinding,
  type NewConnectUser,
} from '../../connect/storage.ts';
import { usernameKey } from '../../lib/username.ts';
import { isUniqueViolation } from '../errors.ts';
import { createThrottleStore } from '../throttle.ts';
import type { ConnectDatabase, ConnectIdentitiesTable, ConnectLoginStatesTable, ConnectUsersTable } from './schema.ts';

/** Site-login counters and address buckets older than this are purged (Connect's windows are 15 minutes and an hour). */
const loginCounterLifetime = 24 * 3600;

const now = () => Math.floor(Date.now() / 1000);

/** What the website side (Connect) keeps. One implementation, over Kysely, for SQLite and PostgreSQL. */
export function createConnectOperations(db: Kysely<ConnectDatabase>): ConnectOperations {
  const throttle = createThrottleStore(db, 'connect_login_failures', 'connect_login_buckets');
  return {
    countLoginAttempt: throttle.countAttempt,
    clearLoginFailures: throttle.clear,
    findLoginFailures: throttle.find,
    chargeLoginBucket: throttle.charge,
    refundLoginBucket: throttle.refund,

    // ── the site's users ────────────────────────────────────────────────────────────────────
    async createConnectUser(input: NewConnectUser): Promise<ConnectUser> {
      const user: ConnectUser = { ...input, id: input.id ?? randomUUID(), createdAt: input.createdAt ?? now() };
      try {
        await db
          .insertInto('connect_users')
          .values({
            id: user.id, username: user.username, username_key: usernameKey(user.username), password_hash: user.passwordHash, display_name: user.displayName,
            email: user.email, created_at: user.createdAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConnectConflictError(`the username "${user.username}" is taken`);
        throw error;
      }
      return user;
    },

    async findConnectUserById(id: string): Promise<ConnectUser | undefined> {
      const row = await db.selectFrom('connect_users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findConnectUserByUsername(username: string): Promise<ConnectUser | undefined> {
      // By its key (case and compatibility forms folded); a name that collided before the key was unique has none.
      const row = await db
        .selectFrom('connect_users')
        .selectAll()
        .where((eb) => eb.or([eb('username_key', '=', usernameKey(username)), eb.and([eb('username_key', 'is', null), eb('username', '=', username)])]))
        // Where an old collision left two, the one spelt exactly as typed.
        .orderBy(sql`case when username = ${username} then 0 else 1 end`)
        .executeTakeFirst();
      return row && toUser(row);
    },

    async findConnectUsersByEmail(email: string): Promise<ConnectUser[]> {
      const rows = await db.selectFrom('connect_users').selectAll().where('email', '=', email).execute();
      return rows.map(toUser);
    },

    // ── identities at providers ─────────────────────────────────────────────────────────────
    /**
     * Stores an identity the moment a provider vouches for it, or refreshes its profile if it is
     * known. One statement, so that two simultaneous first logins make one row.
     */
    async recordIdentity(input: { provider: string; subject: string; profile: ConnectProfile }): Promise<ConnectIdentity> {
      const at = now();
      const profile = JSON.stringify(input.profile);
      const row = await db
        .insertInto('connect_identities')
        .values({
          id: randomUUID(), provider: input.provider, subject: input.subject, user_id: null, profile, tokens: null,
          token_expires_at: null, created_at: at, updated_at: at, last_login_at: at,
        })
        .onConflict((oc) => oc.columns(['provider', 'subject']).doUpdateSet({ profile, updated_at: at, last_login_at: at }))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toIdentity(row);
    },

    async findIdentity(id: string): Promise<ConnectIdentity | undefined> {
      const row = await db.selectFrom('connect_identities').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toIdentity(row);
    },

    async findIdentityBySubject(provider: string, subject: string): Promise<ConnectIdentity | undefined> {
      const row = await db
        .selectFrom('connect_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row && toIdentity(row);
    },

    async listIdentitiesOfUser(userId: string): Promise<ConnectIdentity[]> {
      const rows = await db
        .selectFrom('connect_identities')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toIdentity);
    },

    async saveIdentityTokens(identityId: string, sealedTokens: string | null, expiresAt: number | null): Promise<void> {
      await db
        .updateTable('connect_identities')
        .set({ tokens: sealedTokens, token_expires_at: expiresAt, updated_at: now() })
        .where('id', '=', identityId)
        .execute();
    },

    /**
     * Binds an unbound identity to a user. The `user_id is null` condition makes it atomic: of
     * concurrent bindings of one identity exactly one changes the row.
     */
    async bindIdentity(identityId: string, userId: string): Promise<IdentityBinding> {
      const result = await db
        .updateTable('connect_identities')
        .set({ user_id: userId, updated_at: now() })
        .where('id', '=', identityId)
        .where('user_id', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return { outcome: 'bound' };
      const row = await db.selectFrom('connect_identities').select('user_id').where('id', '=', identityId).executeTakeFirst();
      if (!row) return { outcome: 'unknown' };
      return row.user_id === userId ? { outcome: 'unchanged' } : { outcome: 'taken' };
    },

    /**
     * Takes the user's row for the rest of the transaction (a row lock on PostgreSQL, the write
     * lock on SQLite), so that decisions about one user's logins are made one after another:
     * two concurrent unbinds must not each see the other's identity as the one that remains.
     */
    async lockConnectUser(userId: string): Promise<void> {
      await db.updateTable('connect_users').set((eb) => ({ username: eb.ref('username') })).where('id', '=', userId).execute();
    },

    /**
     * Unbinds an identity unless it is the user's last way to log in (no password and no other
     * identity). The check and the change are one statement.
     */
    async unbindIdentity(identityId: string, userId: string): Promise<IdentityUnbinding> {
      const result = await db
        .updateTable('connect_identities')
        .set({ user_id: null, updated_at: now() })
        .where('id', '=', identityId)
        .where('user_id', '=', userId)
        .where((eb) =>
          eb.or([
            eb.exists(
              eb.selectFrom('connect_users').select('id').where('id', '=', userId).where('password_hash', 'is not', null),
            ),
            eb.exists(
              eb
                .selectFrom('connect_identities as other')
                .select('other.id')
                .where('other.user_id', '=', userId)
                .where('other.id', '!=', identityId),
            ),
          ]),
        )
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return { outcome: 'unbound' };
      const row = await db.selectFrom('connect_identities').select('user_id').where('id', '=', identityId).executeTakeFirst();
      return row?.user_id === userId ? { outcome: 'last-login-method' } : { outcome: 'unknown' };
    },

    // ── pending binding tickets ─────────────────────────────────────────────────────────────
    async createTicket(ticket: ConnectTicket): Promise<void> {
      await db
        .insertInto('connect_tickets')
        .values({
          ticket_hash: ticket.ticketHash, identity_id: ticket.identityId, browser_hash: ticket.browserHash,
          return_to: ticket.returnTo, created_at: ticket.createdAt, expires_at: ticket.expiresAt,
        })
        .execute();
    },

    /** Reads a ticket without using it up (to show the binding page). */
    async findTicket(ticketHash: string): Promise<ConnectTicket | undefined> {
      const row = await db.selectFrom('connect_tickets').selectAll().where('ticket_hash', '=', ticketHash).executeTakeFirst();
      return row && toTicket(row);
    },

    /**
     * Uses a ticket up. Inside a transaction that later fails, the ticket comes back with the
     * rollback, so the person can try again with another username.
     */
    async takeTicket(ticketHash: string): Promise<ConnectTicket | undefined> {
      const row = await db.deleteFrom('connect_tickets').where('ticket_hash', '=', ticketHash).returningAll().executeTakeFirst();
      return row && toTicket(row);
    },

    // ── login states (authorization requests in flight) ─────────────────────────────────────
    async saveLoginState(state: ConnectLoginState): Promise<void> {
      await db
        .insertInto('connect_login_states')
        .values({
          state_hash: state.stateHash, browser_hash: state.browserHash, provider: state.provider,
          code_verifier: state.codeVerifier, nonce: state.nonce, redirect_uri: state.redirectUri,
          return_to: state.returnTo, link_user_id: state.linkUserId, created_at: state.createdAt, expires_at: state.expiresAt,
        })
        .execute();
    },

    /** Takes a login state out of the store: a callback replayed finds nothing. */
    async takeLoginState(stateHash: string): Promise<ConnectLoginState | undefined> {
      const row = await db.deleteFrom('connect_login_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
      return row && toLoginState(row);
    },

    // ── the site's sessions ─────────────────────────────────────────────────────────────────
    async createConnectSession(session: { sessionHash: string; userId: string; createdAt: number; expiresAt: number }): Promise<void> {
      await db
        .insertInto('connect_sessions')
        .values({ session_hash: session.sessionHash, user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt })
        .execute();
    },

    /** The live session's user, in one statement. */
    async findConnectSessionUser(sessionHash: string): Promise<ConnectUser | undefined> {
      const row = await db
        .selectFrom('connect_sessions')
        .innerJoin('connect_users', 'connect_users.id', 'connect_sessions.user_id')
        .selectAll('connect_users')
        .where('connect_sessions.session_hash', '=', sessionHash)
        .where('connect_sessions.expires_at', '>', now())
        .executeTakeFirst();
      return row && toUser(row);
    },

    async deleteConnectSession(sessionHash: string): Promise<void> {
      await db.deleteFrom('connect_sessions').where('session_hash', '=', sessionHash).execute();
    },

    /** Removes what has expired; returns how many rows went. */
    async purgeExpiredConnect(at = now()): Promise<number> {
      let removed = 0;
      for (const table of ['connect_tickets', 'connect_login_states', 'connect_sessions'] as const) {
        const result = await db.deleteFrom(table).where('expires_at', '<=', at).executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      // A login counter past its window (and not locked) counts for nothing.
      const counters = await db
        .deleteFrom('connect_login_failures')
        .where('first_failure_at', '<', at - loginCounterLifetime)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', at)]))
        .executeTakeFirst();
      // An address bucket untouched for that long has drained empty (its level stops at limit + 1).
      const buckets = await db.deleteFrom('connect_login_buckets').where('updated_at', '<', at - loginCounterLifetime).executeTakeFirst();
      return removed + Number(counters.numDeletedRows) + Number(buckets.numDeletedRows);
    },
  };
}

function toUser(row: Selectable<ConnectUsersTable>): ConnectUser {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    displayName: row.display_name,
    email: row.email,
    createdAt: Number(row.created_at),
    ...(row.username_key === null ? { collidedUsername: true as const } : {}),
  };
}

function toIdentity(row: Selectable<ConnectIdentitiesTable>): ConnectIdentity {
  return {
    id: row.id,
    provider: row.provider,
    subject: row.subject,
    userId: row.user_id,
    profile: JSON.parse(row.profile) as ConnectProfile,
    sealedTokens: row.tokens,
    tokenExpiresAt: row.token_expires_at === null ? null : Number(row.token_expires_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : Number(row.last_login_at),
  };
}

function toTicket(row: Selectable<ConnectDatabase['connect_tickets']>): ConnectTicket {
  return {
    ticketHash: row.ticket_hash,
    identityId: row.identity_id,
    browserHash: row.browser_hash,
    returnTo: row.return_to,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

function toLoginState(row: Selectable<ConnectLoginStatesTable>): ConnectLoginState {
  return {
    stateHash: row.state_hash,
    browserHash: row.browser_hash,
    provider: row.provider,
    codeVerifier: row.code_verifier,
    nonce: row.nonce,
    redirectUri: row.redirect_uri,
    returnTo: row.return_to,
    linkUserId: row.link_user_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

