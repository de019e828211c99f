import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AppType, GrantType, TokenFormat } from '../config/defaults.ts';
import { ClientCache } from './client-cache.ts';
import { precompile } from './compiled.ts';
import type { ClientsTable, Database, GrantsTable, RefreshTokensTable, UsersTable } from './schema.ts';
import type {
  AccessTokenRecord,
  AuthorizationCode,
  AuthorizedApp,
  Client,
  EventRecord,
  Grant,
  LoginFailure,
  RefreshToken,
  Session,
  SigningKeyRecord,
  User,
} from './types.ts';

/** Thrown when an insert would break a unique constraint (a taken username, a known id). */
export class ConflictError extends Error {}

/** One counted login attempt: how many within the window, and until when the key is locked. */
export interface CountedAttempt {
  failures: number;
  lockedUntil: number | null;
}

/** A user as the token paths see one: everything but the password hash. */
export type PublicUser = Omit<User, 'passwordHash'>;

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export type NewUser = Omit<User, 'id' | 'createdAt'> & { id?: string; createdAt?: number };
export type ClientPatch = Partial<Omit<Client, 'id' | 'createdAt'>>;

export type RefreshRotation =
  | { outcome: 'rotated'; token: RefreshToken }
  /** Presented again within the grace period: the client's own retry, not theft. */
  | { outcome: 'grace'; token: RefreshToken }
  /** Presented again after rotation: a replay. */
  | { outcome: 'reused'; token: RefreshToken }
  | { outcome: 'unknown' };

export type CodeRedemption =
  | { outcome: 'redeemed'; code: AuthorizationCode }
  | { outcome: 'replayed'; code: AuthorizationCode }
  | { outcome: 'unknown' };

const now = () => Math.floor(Date.now() / 1000);

/** The user's columns that a grant or token read joins in (see joinedUser). */
const joinedUserColumns = ['users.username', 'users.display_name', 'users.email', 'users.created_at as user_created_at'] as const;

/** Everything the provider keeps. One implementation, over Kysely, for SQLite and PostgreSQL. */
export function createProviderStore(db: Kysely<Database>, clientCache: ClientCache = new ClientCache()) {
  // The statements of the token and resource paths, built and compiled once (see compiled.ts).
  const hot = {
    findClient: precompile(db, 1, (id: string) => db.selectFrom('clients').selectAll().where('id', '=', id)),
    findLiveGrantWithUser: precompile(db, 1, (grantId: string) =>
      db
        .selectFrom('grants')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .select([
          'grants.id', 'grants.client_id', 'grants.user_id', 'grants.scope', 'grants.created_at',
          'grants.revoked_at', 'grants.revoke_reason',
          ...joinedUserColumns,
        ])
        .where('grants.id', '=', grantId)
        .where('grants.revoked_at', 'is', null),
    ),
    createGrantOnce: precompile(db, 5, (id: string, clientId: string, userId: string | null, scope: string, createdAt: number) =>
      db
        .insertInto('grants')
        .values({ id, client_id: clientId, user_id: userId, scope, created_at: createdAt })
        .onConflict((oc) => oc.column('id').doNothing()),
    ),
    createAuthorizationCode: precompile(
      db,
      8,
      (codeHash: string, grantId: string, clientId: string, userId: string, redirectUri: string, scope: string, codeChallenge: string | null, expiresAt: number) =>
        db.insertInto('authorization_codes').values({
          code_hash: codeHash,
          grant_id: grantId,
          client_id: clientId,
          user_id: userId,
          redirect_uri: redirectUri,
          scope,
          code_challenge: codeChallenge,
          expires_at: expiresAt,
        }),
    ),
    redeemAuthorizationCode: precompile(db, 2, (codeHash: string, at: number) =>
      db.updateTable('authorization_codes').set({ consumed_at: at }).where('code_hash', '=', codeHash).where('consumed_at', 'is', null).returningAll(),
    ),
    createRefreshToken: precompile(
      db,
      8,
      (tokenHash: string, grantId: string, clientId: string, userId: string | null, scope: string, createdAt: number, expiresAt: number, absoluteExpiresAt: number) =>
        db.insertInto('refresh_tokens').values({
          token_hash: tokenHash,
          grant_id: grantId,
          client_id: clientId,
          user_id: userId,
          scope,
          created_at: createdAt,
          expires_at: expiresAt,
          absolute_expires_at: absoluteExpiresAt,
        }),
    ),
    rotateRefreshToken: precompile(db, 2, (tokenHash: string, at: number) =>
      db.updateTable('refresh_tokens').set({ rotated_at: at }).where('token_hash', '=', tokenHash).where('rotated_at', 'is', null).returningAll(),
    ),
    findRefreshTokenWithGrant: precompile(db, 1, (tokenHash: string) =>
      db
        .selectFrom('refresh_tokens')
        .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .selectAll('refresh_tokens')
        .select([
          'grants.scope as grant_scope', 'grants.created_at as grant_created_at', 'grants.revoked_at', 'grants.revoke_reason',
          'grants.client_id as grant_client_id', 'grants.user_id as grant_user_id',
          ...joinedUserColumns,
        ])
        .where('refresh_tokens.token_hash', '=', tokenHash),
    ),
    createAccessToken: precompile(db, 6, (tokenHash: string, grantId: string | null, clientId: string, userId: string | null, scope: string, expiresAt: number) =>
      db.insertInto('access_tokens').values({ token_hash: tokenHash, grant_id: grantId, client_id: clientId, user_id: userId, scope, expires_at: expiresAt }),
    ),
    findLiveAccessTokenWithUser: precompile(db, 1, (tokenHash: string) =>
      db
        .selectFrom('access_tokens')
        .leftJoin('grants', 'grants.id', 'access_tokens.grant_id')
        .leftJoin('users', 'users.id', 'grants.user_id')
        .selectAll('access_tokens')
        .select([
          'grants.scope as grant_scope', 'grants.created_at as grant_created_at', 'grants.client_id as grant_client_id',
          'grants.user_id as grant_user_id',
          ...joinedUserColumns,
        ])
        .where('access_tokens.token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('access_tokens.grant_id', 'is', null), eb.and([eb('grants.id', 'is not', null), eb('grants.revoked_at', 'is', null)])])),
    ),
    isTokenIdRevoked: precompile(db, 1, (jti: string) => db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti)),
    findSessionWithConsent: precompile(db, 3, (sessionHash: string, clientId: string, at: number) =>
      db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .leftJoin('consents', (join) => join.onRef('consents.user_id', '=', 'sessions.user_id').on('consents.client_id', '=', clientId))
        .selectAll('users')
        .select(['sessions.created_at as session_created_at', 'sessions.expires_at', 'consents.scope as consent_scope'])
        .where('sessions.session_hash', '=', sessionHash)
        .where('sessions.expires_at', '>', at),
    ),
  };

  return {
    // ── users ────────────────────────────────────────────────────────────────────────────────
    async createUser(input: NewUser): Promise<User> {
      const user: User = { id: input.id ?? randomUUID(), createdAt: input.createdAt ?? now(), ...withoutUndefined(input) } as User;
      try {
        await db.insertInto('users').values(userRow(user)).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`the username "${user.username}" is taken`);
        throw error;
      }
      return user;
    },

    async findUserById(id: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findUserByUsername(username: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
      return row && toUser(row);
    },

    async updateUserPassword(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },

    // ── clients (apps) ──────────────────────────────────────────────────────────────────────
    async createClient(client: Client): Promise<Client> {
      await db.insertInto('clients').values(clientRow(client)).execute();
      return client;
    },

    async findClient(id: string): Promise<Client | undefined> {
      const row = (await hot.findClient(id)).rows[0];
      return row && toClient(row);
    },

    /**
     * The client from the in-memory cache when an entry younger than `maxAgeSeconds` is there (0:
     * never), else from the database, then cached. `fresh` skips the cache but still refills it:
     * for a second look after a secret that did not match. See client-cache.ts for what may be stale.
     */
    async findCachedClient(id: string, maxAgeSeconds: number, options: { fresh?: boolean } = {}): Promise<Client | undefined> {
      if (maxAgeSeconds > 0 && !options.fresh) {
        const cached = clientCache.get(id);
        if (cached) return cached;
      }
      const readAt = clientCache.mark();
      const client = await this.findClient(id);
      if (client) clientCache.set(client, maxAgeSeconds, readAt);
      return client;
    },

    async updateClient(id: string, patch: ClientPatch): Promise<Client | undefined> {
      const current = await this.findClient(id);
      if (!current) return undefined;
      const next: Client = { ...current, ...withoutUndefined(patch), updatedAt: now() };
      const { id: _id, created_at: _created, ...changes } = clientRow(next);
      await db.updateTable('clients').set(changes).where('id', '=', id).execute();
      clientCache.invalidate(id);
      return next;
    },

    async listClients(ownerId?: string): Promise<Client[]> {
      let query = db.selectFrom('clients').selectAll().orderBy('created_at', 'asc').orderBy('id');
      if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
      return (await query.execute()).map(toClient);
    },

    /** How many distinct users hold a live grant for each of the given apps. */
    async countAuthorizedUsers(clientIds: string[]): Promise<Map<string, number>> {
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

    // ── consents ────────────────────────────────────────────────────────────────────────────
    async findConsent(userId: string, clientId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('consents')
        .select('scope')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row?.scope;
    },

    async saveConsent(userId: string, clientId: string, scope: string): Promise<void> {
      await db
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, scope, updated_at: now() })
        .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scope, updated_at: now() }))
        .execute();
    },

    async deleteConsent(userId: string, clientId: string): Promise<void> {
      await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
    },

    // ── grants ──────────────────────────────────────────────────────────────────────────────
    async createGrant(grant: Omit<Grant, 'revokedAt' | 'revokeReason'>): Promise<Grant> {
      await db
        .insertInto('grants')
        .values({ id: grant.id, client_id: grant.clientId, user_id: grant.userId, scope: grant.scope, created_at: grant.createdAt })
        .execute();
      return { ...grant, revokedAt: null, revokeReason: null };
    },

    async findGrant(id: string): Promise<Grant | undefined> {
      const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toGrant(row);
    },

    /**
     * The hot path of every resource request: whether the grant behind a token still stands and,
     * in the same statement, the user it speaks for.
     */
    async findLiveGrantWithUser(grantId: string): Promise<{ grant: Grant; user: PublicUser | null } | undefined> {
      const row = (await hot.findLiveGrantWithUser(grantId)).rows[0];
      if (!row) return undefined;
      return { grant: toGrant(row as Selectable<GrantsTable>), user: joinedUser(row.user_id, row) };
    },

    /** Revokes a grant and so every token issued under it. Returns false if it was already revoked or unknown. */
    async revokeGrant(id: string, reason: string): Promise<boolean> {
      const result = await db
        .updateTable('grants')
        .set({ revoked_at: now(), revoke_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Revokes every live grant a user gave an app; returns how many. */
    async revokeGrantsOf(userId: string, clientId: string, reason: string): Promise<number> {
      const result = await db
        .updateTable('grants')
        .set({ revoked_at: now(), revoke_reason: reason })
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The apps a user has live grants for, one entry per app. */
    async listAuthorizedApps(userId: string): Promise<AuthorizedApp[]> {
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

    /**
     * Writes the grant a redeemed code stands for. A replay of the same code may have got here first
     * and written it revoked (see revokeGrantOfCode); then this does nothing and says so.
     */
    async createGrantOnce(grant: Omit<Grant, 'revokedAt' | 'revokeReason'>): Promise<boolean> {
      const result = await hot.createGrantOnce(grant.id, grant.clientId, grant.userId, grant.scope, grant.createdAt);
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    /**
     * Revokes the grant of a replayed code in one statement, writing it revoked if the first
     * redemption has not yet written it: of two racing requests the replay may win, and the
     * tokens the first one then issues must still be dead. Returns whether anything changed.
     */
    async revokeGrantOfCode(code: Pick<AuthorizationCode, 'grantId' | 'clientId' | 'userId' | 'scope'>, reason: string): Promise<boolean> {
      const at = now();
      const result = await db
        .insertInto('grants')
        .values({ id: code.grantId, client_id: code.clientId, user_id: code.userId, scope: code.scope, created_at: at, revoked_at: at, revoke_reason: reason })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ revoked_at: at, revoke_reason: reason }).where('grants.revoked_at', 'is', null),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    // ── authorization codes ─────────────────────────────────────────────────────────────────
    async createAuthorizationCode(code: Omit<AuthorizationCode, 'consumedAt'>): Promise<void> {
      await hot.createAuthorizationCode(code.codeHash, code.grantId, code.clientId, code.userId, code.redirectUri, code.scope, code.codeChallenge, code.expiresAt);
    },

    /**
     * Marks a code used, atomically: of any number of concurrent redemptions exactly one sees
     * `redeemed`; the others, and every later one, see `replayed`.
     */
    async redeemAuthorizationCode(codeHash: string): Promise<CodeRedemption> {
      const row = (await hot.redeemAuthorizationCode(codeHash, now())).rows[0];
      if (row) return { outcome: 'redeemed', code: toCode(row) };
      const used = await db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      return used ? { outcome: 'replayed', code: toCode(used) } : { outcome: 'unknown' };
    },

    // ── refresh tokens ──────────────────────────────────────────────────────────────────────
    async createRefreshToken(token: Omit<RefreshToken, 'rotatedAt'>): Promise<void> {
      await hot.createRefreshToken(token.tokenHash, token.grantId, token.clientId, token.userId, token.scope, token.createdAt, token.expiresAt, token.absoluteExpiresAt);
    },

    async findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined> {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toRefresh(row);
    },

    /** Marks a refresh token rotated, atomically, and says whether this use was the first. */
    async rotateRefreshToken(tokenHash: string, graceSeconds: number): Promise<RefreshRotation> {
      const at = now();
      const row = (await hot.rotateRefreshToken(tokenHash, at)).rows[0];
      if (row) return { outcome: 'rotated', token: toRefresh(row) };
      const used = await this.findRefreshToken(tokenHash);
      if (!used) return { outcome: 'unknown' };
      const withinGrace = graceSeconds > 0 && used.rotatedAt !== null && at - used.rotatedAt <= graceSeconds;
      return { outcome: withinGrace ? 'grace' : 'reused', token: used };
    },

    /** A refresh token with its grant and the grant's user, in one statement (the refresh grant and introspection). */
    async findRefreshTokenWithGrant(tokenHash: string): Promise<{ token: RefreshToken; grant: Grant; user: PublicUser | null } | undefined> {
      const row = (await hot.findRefreshTokenWithGrant(tokenHash)).rows[0];
      if (!row) return undefined;
      return {
        token: toRefresh(row),
        grant: {
          id: row.grant_id,
          clientId: row.grant_client_id,
          userId: row.grant_user_id,
          scope: row.grant_scope,
          createdAt: row.grant_created_at,
          revokedAt: row.revoked_at,
          revokeReason: row.revoke_reason,
        },
        user: joinedUser(row.grant_user_id, row),
      };
    },

    // ── opaque access tokens ────────────────────────────────────────────────────────────────
    async createAccessToken(token: AccessTokenRecord): Promise<void> {
      await hot.createAccessToken(token.tokenHash, token.grantId, token.clientId, token.userId, token.scope, token.expiresAt);
    },

    async findAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined> {
      const row = await db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return (
        row && {
          tokenHash: row.token_hash,
          grantId: row.grant_id,
          clientId: row.client_id,
          userId: row.user_id,
          scope: row.scope,
          expiresAt: row.expires_at,
        }
      );
    },

    /**
     * An opaque access token whose grant still stands, with the grant's user: one statement per
     * resource request. A token an app got for itself has no grant (null): its row is all there is.
     */
    async findLiveAccessTokenWithUser(tokenHash: string): Promise<{ token: AccessTokenRecord; grant: Grant | null; user: PublicUser | null } | undefined> {
      const row = (await hot.findLiveAccessTokenWithUser(tokenHash)).rows[0];
      if (!row) return undefined;
      const token: AccessTokenRecord = {
        tokenHash: row.token_hash,
        grantId: row.grant_id,
        clientId: row.client_id,
        userId: row.user_id,
        scope: row.scope,
        expiresAt: row.expires_at,
      };
      if (row.grant_id === null) return { token, grant: null, user: null };
      return {
        token,
        grant: {
          id: row.grant_id,
          clientId: row.grant_client_id!,
          userId: row.grant_user_id,
          scope: row.grant_scope!,
          createdAt: row.grant_created_at!,
          revokedAt: null,
          revokeReason: null,
        },
        user: joinedUser(row.grant_user_id, row),
      };
    },

    /** Ends an opaque token that has no grant (an app's own): its row goes. Says whether there was one. */
    async deleteAccessToken(tokenHash: string): Promise<boolean> {
      const result = await db.deleteFrom('access_tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    // ── revoked JWTs without a grant (client_credentials) ───────────────────────────────────
    /** Records a grantless JWT as revoked until its own expiry. Says whether it was not already. */
    async revokeTokenId(jti: string, clientId: string, expiresAt: number): Promise<boolean> {
      const result = await db
        .insertInto('revoked_tokens')
        .values({ jti, client_id: clientId, expires_at: expiresAt, revoked_at: now() })
        .onConflict((oc) => oc.column('jti').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    /** The one statement that checks a grantless JWT: whether its jti was revoked. */
    async isTokenIdRevoked(jti: string): Promise<boolean> {
      return (await hot.isTokenIdRevoked(jti)).rows.length > 0;
    },

    // ── signing keys ────────────────────────────────────────────────────────────────────────
    async listSigningKeys(): Promise<SigningKeyRecord[]> {
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

    async insertSigningKey(key: SigningKeyRecord): Promise<void> {
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

    async retireSigningKeys(kids: string[], at: number): Promise<void> {
      if (kids.length === 0) return;
      // A key already due to retire later retires now instead; one retired earlier stays as it is.
      await db
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('kid', 'in', kids)
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', at)]))
        .execute();
    },

    async deleteSigningKey(kid: string): Promise<void> {
      await db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
    },

    // ── sessions ────────────────────────────────────────────────────────────────────────────
    async createSession(session: Session): Promise<void> {
      await db
        .insertInto('sessions')
        .values({ session_hash: session.sessionHash, user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt })
        .execute();
    },

    /** The live session and its user, in one statement. */
    async findSession(sessionHash: string): Promise<{ session: Session; user: User } | undefined> {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('users')
        .select(['sessions.created_at as session_created_at', 'sessions.expires_at'])
        .where('sessions.session_hash', '=', sessionHash)
        .where('sessions.expires_at', '>', now())
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        session: { sessionHash, userId: row.id, createdAt: row.session_created_at, expiresAt: row.expires_at },
        user: toUser(row),
      };
    },

    /**
     * The authorization endpoint's one read: the live session, its user and the consent that user
     * gave this app (undefined when none), in one statement.
     */
    async findSessionWithConsent(sessionHash: string, clientId: string): Promise<{ session: Session; user: User; consent: string | undefined } | undefined> {
      const row = (await hot.findSessionWithConsent(sessionHash, clientId, now())).rows[0];
      if (!row) return undefined;
      return {
        session: { sessionHash, userId: row.id, createdAt: row.session_created_at, expiresAt: row.expires_at },
        user: toUser(row),
        consent: row.consent_scope ?? undefined,
      };
    },

    async deleteSession(sessionHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('session_hash', '=', sessionHash).execute();
    },

    // ── failed logins ───────────────────────────────────────────────────────────────────────
    async findLoginFailures(keys: string[]): Promise<LoginFailure[]> {
      if (keys.length === 0) return [];
      const rows = await db.selectFrom('login_failures').selectAll().where('key', 'in', keys).execute();
      return rows.map((row) => ({ key: row.key, failures: row.failures, firstFailureAt: row.first_failure_at, lockedUntil: row.locked_until }));
    },

    /**
     * Counts one login attempt against `key`, in one statement, before its password is checked:
     * of concurrent attempts each gets a count of its own, so parallel guesses cannot share one
     * stale count. A window that has passed (with no lock) or a lock that has run out starts again
     * at 1; the attempt that brings the count to `lockAfter` sets the lock, which later attempts
     * neither lift nor extend. The provider's login page, its password grant and Connect's site
     * logins all count here, each under keys of its own.
     */
    async countLoginAttempt(key: string, policy: { windowSeconds: number; lockAfter: number; lockSeconds: number }): Promise<CountedAttempt> {
      const at = now();
      const lockAt = at + policy.lockSeconds;
      const restart = sql<boolean>`(login_failures.locked_until is not null and login_failures.locked_until <= ${at})
        or (login_failures.locked_until is null and login_failures.first_failure_at + ${policy.windowSeconds} <= ${at})`;
      const firstLock = policy.lockAfter <= 1 ? lockAt : null;
      const row = await db
        .insertInto('login_failures')
        .values({ key, failures: 1, first_failure_at: at, locked_until: firstLock })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql<number>`case when ${restart} then 1 else login_failures.failures + 1 end`,
            first_failure_at: sql<number>`case when ${restart} then ${at} else login_failures.first_failure_at end`,
            locked_until: sql<number | null>`case
              when ${restart} then ${firstLock === null ? sql`null` : sql`${firstLock}`}
              when login_failures.locked_until is not null then login_failures.locked_until
              when login_failures.failures + 1 >= ${policy.lockAfter} then ${lockAt}
              else null end`,
          }),
        )
        .returning(['failures', 'locked_until'])
        .executeTakeFirstOrThrow();
      return { failures: Number(row.failures), lockedUntil: row.locked_until === null ? null : Number(row.locked_until) };
    },

    async clearLoginFailures(keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      await db.deleteFrom('login_failures').where('key', 'in', keys).execute();
    },

    // ── events (the audit trail) ────────────────────────────────────────────────────────────
    async recordEvent(event: EventRecord): Promise<void> {
      await db
        .insertInto('events')
        .values({
          id: randomUUID(),
          type: event.type,
          client_id: event.clientId ?? null,
          user_id: event.userId ?? null,
          grant_id: event.grantId ?? null,
          detail: JSON.stringify(event.detail ?? {}),
          created_at: now(),
        })
        .execute();
    },

    async listEvents(filter: { type?: string; grantId?: string } = {}): Promise<(EventRecord & { createdAt: number })[]> {
      let query = db.selectFrom('events').selectAll().orderBy('created_at', 'asc');
      if (filter.type) query = query.where('type', '=', filter.type);
      if (filter.grantId) query = query.where('grant_id', '=', filter.grantId);
      const rows = await query.execute();
      return rows.map((row) => ({
        type: row.type,
        clientId: row.client_id,
        userId: row.user_id,
        grantId: row.grant_id,
        detail: JSON.parse(row.detail) as Record<string, unknown>,
        createdAt: row.created_at,
      }));
    },
  };
}

export type ProviderStore = ReturnType<typeof createProviderStore>;

// ── row mapping ───────────────────────────────────────────────────────────────────────────

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mergeScopes(a: string, b: string): string {
  return [...new Set([...a.split(' '), ...b.split(' ')].filter(Boolean))].join(' ');
}

function userRow(user: User): UsersTable {
  return {
    id: user.id,
    username: user.username,
    password_hash: user.passwordHash,
    display_name: user.displayName,
    email: user.email,
    created_at: user.createdAt,
  };
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    displayName: row.display_name,
    email: row.email,
    createdAt: row.created_at,
  };
}

function clientRow(client: Client): ClientsTable {
  return {
    id: client.id,
    owner_id: client.ownerId,
    name: client.name,
    description: client.description,
    homepage: client.homepage,
    app_type: client.appType,
    secret_hash: client.secretHash,
    redirect_uris: JSON.stringify(client.redirectUris),
    scopes: client.scopes.join(' '),
    grant_types: client.grantTypes.join(' '),
    pkce_required: client.pkceRequired ? 1 : 0,
    trusted: client.trusted ? 1 : 0,
    token_format: client.tokenFormat,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

function toClient(row: Selectable<ClientsTable>): Client {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    description: row.description,
    homepage: row.homepage,
    appType: row.app_type as AppType,
    secretHash: row.secret_hash,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    scopes: splitList(row.scopes),
    grantTypes: splitList(row.grant_types) as GrantType[],
    pkceRequired: Boolean(row.pkce_required),
    trusted: Boolean(row.trusted),
    tokenFormat: row.token_format as TokenFormat,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toGrant(row: Selectable<GrantsTable>): Grant {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
  };
}

function toCode(row: Selectable<Database['authorization_codes']>): AuthorizationCode {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    codeChallenge: row.code_challenge,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

function toRefresh(row: Selectable<RefreshTokensTable>): RefreshToken {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    rotatedAt: row.rotated_at,
  };
}

function splitList(value: string): string[] {
  return value.split(' ').filter(Boolean);
}

/**
 * The user columns of a left join onto users (null when the grant has no user or the user is
 * gone). The password hash is left out: nothing on a token's path needs it.
 */
function joinedUser(
  userId: string | null,
  row: { username: string | null; display_name: string | null; email: string | null; user_created_at: number | null },
): PublicUser | null {
  if (!userId || row.username === null) return null;
  return {
    id: userId,
    username: row.username,
    displayName: row.display_name!,
    email: row.email ?? null,
    createdAt: row.user_created_at!,
  };
}
