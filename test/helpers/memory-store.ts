import { randomUUID } from 'node:crypto';
import { usernameKey } from '../../src/lib/username.ts';
import {
  ConflictError,
  type AccessTokenRecord,
  type AccessTokenStore,
  type AuditEventRow,
  type AuditStore,
  type AuthorizationCode,
  type AuthorizationRequestRecord,
  type AuthorizationRequestStore,
  type AuthorizedApp,
  type Client,
  type ClientStore,
  type CodeStore,
  type ConsentStore,
  type Grant,
  type GrantStore,
  type HousekeepingStore,
  type InitialAccessToken,
  type InitialAccessTokenStore,
  type LoginFailure,
  type LogoutDelivery,
  type LogoutDeliveryStore,
  type ProviderValueStore,
  type Resource,
  type ResourceStore,
  type ProviderStore,
  type PublicUser,
  type RefreshToken,
  type RefreshTokenStore,
  type RememberedConsent,
  type Session,
  type SessionStore,
  type SigningKeyRecord,
  type SigningKeyStore,
  type ThrottleStore,
  type User,
  type UserStore,
} from '../../src/provider/storage.ts';

// The provider's storage in memory, for the unit tests of the protocol code (test/protocol/): no
// SQL, no files, nothing to open or drop. Each method does what its SQL twin in
// src/store/provider/ (and src/store/throttle.ts) does — the same conflicts, the same atomic
// "first one wins" answers, the same joins — so that a protocol test passing here means what it
// would mean on SQLite or PostgreSQL. The HTTP tests on both databases remain the proof of the
// real stores; this is the fast layer beneath them.
//
// Every record goes in and comes out as a copy: a test that changes an object it was handed, or
// one it passed in, cannot change what is stored behind the store's back, as it could not in SQL.

const now = () => Math.floor(Date.now() / 1000);
const copy = <T>(value: T): T => structuredClone(value);

/** What src/store/provider/rows.ts's withoutUndefined does: an absent field keeps its default. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The same merge as the grants store's, for an app held through several grants. */
function mergeScopes(a: string, b: string): string {
  return [...new Set([...a.split(' '), ...b.split(' ')].filter(Boolean))].join(' ');
}

interface RevokedJwt {
  jti: string;
  clientId: string;
  expiresAt: number;
  revokedAt: number;
}

/** The tables, one Map per SQL table, keyed by its primary key. */
interface Tables {
  users: Map<string, User>;
  clients: Map<string, Client>;
  /** Keyed by `${userId} ${clientId}`, the consents table's two-column key. */
  consents: Map<string, { userId: string; clientId: string; consent: RememberedConsent; updatedAt: number }>;
  requests: Map<string, AuthorizationRequestRecord>;
  grants: Map<string, Grant>;
  codes: Map<string, AuthorizationCode>;
  refreshTokens: Map<string, RefreshToken>;
  accessTokens: Map<string, AccessTokenRecord>;
  revokedJwts: Map<string, RevokedJwt>;
  keys: Map<string, SigningKeyRecord>;
  sessions: Map<string, Session>;
  logoutDeliveries: Map<string, LogoutDelivery>;
  values: Map<string, string>;
  throttle: Map<string, LoginFailure>;
  audit: Map<number, AuditEventRow>;
}

export type MemoryTable = keyof Tables;

// The tables of each store made here, for rowCount: a test may count rows (that no request was
// stored, that no grant was written) without the store's interface growing a method for it.
const tablesOf = new WeakMap<ProviderStore, Tables>();

/** How many rows a table of a memory store holds. */
export function rowCount(store: ProviderStore, table: MemoryTable): number {
  const tables = tablesOf.get(store);
  if (!tables) throw new Error('rowCount counts the rows of a store made by memoryStore()');
  return tables[table].size;
}

/** A fresh, empty provider store in memory. */
export function memoryStore(): ProviderStore {
  const t: Tables = {
    users: new Map(),
    clients: new Map(),
    consents: new Map(),
    requests: new Map(),
    grants: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    accessTokens: new Map(),
    revokedJwts: new Map(),
    keys: new Map(),
    sessions: new Map(),
    logoutDeliveries: new Map(),
    values: new Map(),
    throttle: new Map(),
    audit: new Map(),
  };
  let lastAuditId = 0;

  /** A primary key taken is a unique violation in SQL; the one error the storage interface names for it is ConflictError. */
  function insertNew<K, V>(table: Map<K, V>, key: K, row: V, what: string): void {
    if (table.has(key)) throw new ConflictError(`${what} ${String(key)} exists already`);
    table.set(key, copy(row));
  }

  /**
   * The foreign keys the SQL schema declares (SQLite enforces them too: src/store/open.ts turns
   * them on). A protocol bug that writes a token for a grant that was never written must fail
   * here as it would there, not pass in memory alone.
   */
  function references(table: Map<string, unknown>, key: string | null, what: string): void {
    if (key !== null && !table.has(key)) throw new Error(`foreign key: no ${what} ${key}`);
  }

  /** The left join onto users of the token paths: everything but the password hash, or null. */
  function publicUser(userId: string | null): PublicUser | null {
    const user = userId === null ? undefined : t.users.get(userId);
    if (!user) return null;
    const { passwordHash: _hash, ...rest } = user;
    return copy(rest);
  }

  /** A grant as the resource path reads it. */
  function grantAsRead(grant: Grant): Grant {
    return copy(grant);
  }

  function liveSession(sessionHash: string): { session: Session; user: User } | undefined {
    const session = t.sessions.get(sessionHash);
    // An inner join: a session whose user is gone is no session.
    const user = session && t.users.get(session.userId);
    if (!session || !user || session.expiresAt <= now()) return undefined;
    return { session: copy(session), user: copy(user) };
  }

  const users: UserStore = {
    async create(input) {
      const user = { id: input.id ?? randomUUID(), createdAt: input.createdAt ?? now(), ...withoutUndefined(input) } as User;
      // A unique index on the username's key, a primary key on id: either refusal is a ConflictError.
      if (t.users.has(user.id) || [...t.users.values()].some((other) => usernameKey(other.username) === usernameKey(user.username))) {
        throw new ConflictError(`the username "${user.username}" is taken`);
      }
      t.users.set(user.id, copy(user));
      return copy(user);
    },
    async findById(id) {
      const user = t.users.get(id);
      return user && copy(user);
    },
    async findByUsername(username) {
      const user = [...t.users.values()].find((candidate) => usernameKey(candidate.username) === usernameKey(username));
      return user && copy(user);
    },
    // Names here were unique by key from the start: none collided.
    collidingUsernames: async () => [],
    async updatePassword(id, passwordHash) {
      const user = t.users.get(id);
      if (user) user.passwordHash = passwordHash;
    },
    async updateClaims(id, claims) {
      const user = t.users.get(id);
      if (!user) return;
      if (Object.keys(claims).length > 0) user.claims = copy(claims);
      else delete user.claims;
    },
  };

  const clients: ClientStore = {
    async create(client) {
      references(t.users, client.ownerId, 'user');
      insertNew(t.clients, client.id, client, 'the app');
      return copy(client);
    },
    async find(id) {
      const client = t.clients.get(id);
      return client && copy(client);
    },
    // No cache to keep honest in memory: every read is fresh, which a cache of 0 seconds also is.
    findCached: (id) => clients.find(id),
    cached: () => undefined,
    async update(id, patch) {
      const current = t.clients.get(id);
      if (!current) return undefined;
      // As the SQL update: id and createdAt stay whatever the patch says.
      const next: Client = { ...current, ...withoutUndefined(patch), id: current.id, createdAt: current.createdAt, updatedAt: now() };
      t.clients.set(id, copy(next));
      return copy(next);
    },
    async saveFetched(client) {
      const current = t.clients.get(client.id);
      // As the SQL upsert: an app of another origin is left as it is.
      if (!current) t.clients.set(client.id, copy(client));
      else if (current.origin === 'document') t.clients.set(client.id, copy({ ...client, createdAt: current.createdAt, ...(current.lastUsedAt !== undefined ? { lastUsedAt: current.lastUsedAt } : {}) }));
      return copy(client);
    },
    async delete(id) {
      if (!t.clients.has(id)) return false;
      // As the schema's cascades and the SQL store's deletes do.
      const grants = new Set([...t.grants.values()].filter((grant) => grant.clientId === id).map((grant) => grant.id));
      const drop = <V>(table: Map<string, V>, gone: (row: V) => boolean) => {
        for (const [key, row] of table) if (gone(row)) table.delete(key);
      };
      drop(t.codes, (code) => code.clientId === id);
      drop(t.accessTokens, (token) => token.clientId === id || (token.grantId !== null && grants.has(token.grantId)));
      drop(t.refreshTokens, (token) => grants.has(token.grantId));
      drop(t.grants, (grant) => grants.has(grant.id));
      drop(t.consents, (consent) => consent.clientId === id);
      drop(t.requests, (request) => request.clientId === id);
      t.clients.delete(id);
      return true;
    },
    async list(ownerId) {
      return [...t.clients.values()]
        .filter((client) => ownerId === undefined || client.ownerId === ownerId)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(copy);
    },
    async markUsed(id, at, staleBefore) {
      const client = t.clients.get(id);
      if (!client || (client.origin !== 'registration' && client.origin !== 'document') || (client.lastUsedAt !== undefined && client.lastUsedAt >= staleBefore)) return false;
      client.lastUsedAt = at;
      return true;
    },
    async deleteUnused(id, before, neverUsedDocumentsBefore = before) {
      const stillUnused = (await clients.unusedRegistered(before, Number.MAX_SAFE_INTEGER, neverUsedDocumentsBefore)).some((app) => app.id === id);
      return stillUnused ? clients.delete(id) : false;
    },
    async unusedRegistered(before, limit, neverUsedDocumentsBefore = before) {
      return [...t.clients.values()]
        .filter((client) => (client.origin === 'registration' || client.origin === 'document') && ((client.lastUsedAt ?? client.createdAt) < before || (client.origin === 'document' && client.lastUsedAt === undefined && client.createdAt < neverUsedDocumentsBefore)))
        .map((client) => ({ id: client.id, origin: client.origin as 'registration' | 'document' }))
        .sort()
        .slice(0, limit);
    },
  };

  const consentKey = (userId: string, clientId: string) => `${userId} ${clientId}`;
  const consents: ConsentStore = {
    async find(userId, clientId) {
      return copy(t.consents.get(consentKey(userId, clientId))?.consent);
    },
    async save(userId, clientId, consent) {
      references(t.users, userId, 'user');
      references(t.clients, clientId, 'app');
      // An upsert: a second consent replaces the first.
      t.consents.set(consentKey(userId, clientId), { userId, clientId, consent: copy(consent), updatedAt: now() });
    },
    async delete(userId, clientId) {
      t.consents.delete(consentKey(userId, clientId));
    },
  };

  const requests: AuthorizationRequestStore = {
    async create(request) {
      references(t.clients, request.clientId, 'app');
      insertNew(t.requests, request.handleHash, { ...request, userId: null, authTime: null, completedAt: null }, 'the authorization request');
    },
    async find(handleHash) {
      const request = t.requests.get(handleHash);
      return request && copy(request);
    },
    async complete(handleHash, decision) {
      const request = t.requests.get(handleHash);
      // `… where completed_at is null`: of two completions, the second changes nothing and says so.
      if (!request || request.completedAt !== null) return false;
      references(t.users, decision.userId, 'user');
      Object.assign(request, { userId: decision.userId, authTime: decision.authTime, completedAt: decision.at });
      return true;
    },
  };

  function newGrant(grant: Parameters<GrantStore['create']>[0], revoked: { at: number; reason: string } | null = null): Grant {
    references(t.clients, grant.clientId, 'app');
    references(t.users, grant.userId, 'user');
    return { ...grant, context: grant.context ?? {}, revokedAt: revoked?.at ?? null, revokeReason: revoked?.reason ?? null };
  }

  const grants: GrantStore = {
    async create(grant) {
      const row = newGrant(grant);
      insertNew(t.grants, row.id, row, 'the grant');
      return copy(row);
    },
    async find(id) {
      const grant = t.grants.get(id);
      return grant && copy(grant);
    },
    async createOnce(grant) {
      // `on conflict (id) do nothing`: a replay that wrote the grant revoked first keeps it so.
      if (t.grants.has(grant.id)) return false;
      t.grants.set(grant.id, copy(newGrant(grant)));
      return true;
    },
    async revokeOfCode(code, reason) {
      const at = now();
      const existing = t.grants.get(code.grantId);
      if (!existing) {
        // The first redemption has not written the grant yet: write it revoked, so that its createOnce writes nothing.
        const row = newGrant({ id: code.grantId, clientId: code.clientId, userId: code.userId, scope: code.scope, context: code.context, createdAt: at }, { at, reason });
        t.grants.set(row.id, row);
        return true;
      }
      // `do update … where revoked_at is null`: an earlier revocation and its reason stand.
      if (existing.revokedAt !== null) return false;
      Object.assign(existing, { revokedAt: at, revokeReason: reason });
      return true;
    },
    async findLiveWithUser(grantId) {
      const grant = t.grants.get(grantId);
      if (!grant || grant.revokedAt !== null) return undefined;
      return { grant: grantAsRead(grant), user: publicUser(grant.userId) };
    },
    async revoke(id, reason) {
      const grant = t.grants.get(id);
      if (!grant || grant.revokedAt !== null) return false;
      Object.assign(grant, { revokedAt: now(), revokeReason: reason });
      return true;
    },
    async revokeAllOf(userId, clientId, reason) {
      const at = now();
      let revoked = 0;
      for (const grant of t.grants.values()) {
        if (grant.userId !== userId || grant.clientId !== clientId || grant.revokedAt !== null) continue;
        Object.assign(grant, { revokedAt: at, revokeReason: reason });
        revoked++;
      }
      return revoked;
    },
    async listAuthorizedApps(userId) {
      // Oldest first (a stable sort keeps the order of writing among grants of the same second).
      const live = [...t.grants.values()].filter((grant) => grant.userId === userId && grant.revokedAt === null).sort((a, b) => a.createdAt - b.createdAt);
      const apps = new Map<string, AuthorizedApp>();
      for (const grant of live) {
        // An inner join onto clients: a grant of an app that is gone lists nothing.
        const client = t.clients.get(grant.clientId);
        if (!client) continue;
        const app = apps.get(client.id);
        if (!app) {
          apps.set(client.id, {
            client: { id: client.id, name: client.name, homepage: client.homepage, appType: client.appType },
            scope: grant.scope,
            firstAuthorizedAt: grant.createdAt,
            lastAuthorizedAt: grant.createdAt,
            grantIds: [grant.id],
          });
        } else {
          app.grantIds.push(grant.id);
          app.lastAuthorizedAt = grant.createdAt;
          app.scope = mergeScopes(app.scope, grant.scope);
        }
      }
      return [...apps.values()];
    },
    async countAuthorizedUsers(clientIds) {
      const counts = new Map(clientIds.map((id) => [id, 0]));
      for (const id of clientIds) {
        const holders = new Set<string>();
        for (const grant of t.grants.values()) {
          if (grant.clientId === id && grant.revokedAt === null && grant.userId !== null) holders.add(grant.userId);
        }
        counts.set(id, holders.size);
      }
      return counts;
    },
  };

  const codes: CodeStore = {
    async create(code) {
      // No foreign keys here in SQL either: the code's grant is written only when it is redeemed.
      insertNew(t.codes, code.codeHash, { ...code, context: code.context ?? {}, consumedAt: null }, 'the code');
    },
    async redeem(codeHash, clientId) {
      const code = t.codes.get(codeHash);
      if (!code) return { outcome: 'unknown' };
      // `… where client_id = ? …`: another client's attempt leaves the code as it was.
      if (code.clientId !== clientId) return { outcome: 'another_client', code: copy(code) };
      // `… set consumed_at where consumed_at is null returning *`: only the first sees it unused.
      if (code.consumedAt !== null) return { outcome: 'replayed', code: copy(code) };
      code.consumedAt = now();
      return { outcome: 'redeemed', code: copy(code) };
    },
  };

  const refreshTokens: RefreshTokenStore = {
    async create(token) {
      references(t.grants, token.grantId, 'grant');
      insertNew(t.refreshTokens, token.tokenHash, { ...token, rotatedAt: null }, 'the refresh token');
    },
    async find(tokenHash) {
      const token = t.refreshTokens.get(tokenHash);
      return token && copy(token);
    },
    async rotate(tokenHash, graceSeconds) {
      const at = now();
      const token = t.refreshTokens.get(tokenHash);
      if (!token) return { outcome: 'unknown' };
      if (token.rotatedAt === null) {
        token.rotatedAt = at;
        return { outcome: 'rotated', token: copy(token) };
      }
      // Used before: the client's own retry within the grace period, or a replay after it.
      const withinGrace = graceSeconds > 0 && at - token.rotatedAt <= graceSeconds;
      return { outcome: withinGrace ? 'grace' : 'reused', token: copy(token) };
    },
    async findWithGrant(tokenHash) {
      const token = t.refreshTokens.get(tokenHash);
      // An inner join onto grants, a left join onto users.
      const grant = token && t.grants.get(token.grantId);
      if (!token || !grant) return undefined;
      return { token: copy(token), grant: copy(grant), user: publicUser(grant.userId) };
    },
  };

  const accessTokens: AccessTokenStore = {
    async create(token) {
      references(t.grants, token.grantId, 'grant');
      insertNew(t.accessTokens, token.tokenHash, token, 'the access token');
    },
    async find(tokenHash) {
      const token = t.accessTokens.get(tokenHash);
      return token && copy(token);
    },
    async findLiveWithUser(tokenHash) {
      const token = t.accessTokens.get(tokenHash);
      if (!token) return undefined;
      // An app's own token has no grant to stand or fall with.
      if (token.grantId === null) return { token: copy(token), grant: null, user: null };
      const grant = t.grants.get(token.grantId);
      if (!grant || grant.revokedAt !== null) return undefined;
      return { token: copy(token), grant: grantAsRead(grant), user: publicUser(grant.userId) };
    },
    async delete(tokenHash) {
      return t.accessTokens.delete(tokenHash);
    },
    async revokeJwtId(jti, clientId, expiresAt) {
      // `on conflict (jti) do nothing`: the first revocation's row stands.
      if (t.revokedJwts.has(jti)) return false;
      t.revokedJwts.set(jti, { jti, clientId, expiresAt, revokedAt: now() });
      return true;
    },
    async isClientJwtRevoked(jti, clientId) {
      return t.revokedJwts.has(jti) || !t.clients.has(clientId);
    },
  };

  const keys: SigningKeyStore = {
    async list() {
      return [...t.keys.values()].sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)).map(copy);
    },
    async insert(key) {
      insertNew(t.keys, key.kid, key, 'the signing key');
    },
    async retire(kids, at) {
      for (const kid of kids) {
        const key = t.keys.get(kid);
        // A key due to retire later retires now instead; one retired earlier stays as it is.
        if (key && (key.retiredAt === null || key.retiredAt > at)) key.retiredAt = at;
      }
    },
    async reseal(kid, privateJwk) {
      const key = t.keys.get(kid);
      if (key) t.keys.set(kid, { ...key, privateJwk });
    },
    async delete(kid) {
      t.keys.delete(kid);
    },
  };

  const sessions: SessionStore = {
    async create(session) {
      references(t.users, session.userId, 'user');
      insertNew(t.sessions, session.sessionHash, session, 'the session');
    },
    async find(sessionHash) {
      return liveSession(sessionHash);
    },
    async findWithConsent(sessionHash, clientId) {
      const live = liveSession(sessionHash);
      if (!live) return undefined;
      return { ...live, consent: copy(t.consents.get(consentKey(live.user.id, clientId))?.consent) };
    },
    async delete(sessionHash) {
      t.sessions.delete(sessionHash);
    },
  };

  const buckets = new Map<string, { level: number; updatedAt: number }>();
  const throttle: ThrottleStore = {
    async find(keyList) {
      return keyList.flatMap((key) => {
        const row = t.throttle.get(key);
        return row ? [copy(row)] : [];
      });
    },
    // The upsert of src/store/throttle.ts, case by case. Every new value there is computed from
    // the row as it was, so the lock below looks at the old count plus this attempt.
    async countAttempt(key, policy) {
      const at = now();
      const lockAt = at + policy.lockSeconds;
      const firstLock = policy.lockAfter <= 1 ? lockAt : null;
      const row = t.throttle.get(key);
      const restart =
        row === undefined ||
        // A lock that has run out, or (with no lock) a window that has passed, starts the count again.
        (row.lockedUntil !== null && row.lockedUntil <= at) ||
        (row.lockedUntil === null && row.firstFailureAt + policy.windowSeconds <= at);
      const next: LoginFailure = restart
        ? { key, failures: 1, firstFailureAt: at, lockedUntil: firstLock }
        : {
            key,
            failures: row.failures + 1,
            firstFailureAt: row.firstFailureAt,
            // A lock is neither lifted nor extended by later attempts; the one that reaches lockAfter sets it.
            lockedUntil: row.lockedUntil !== null ? row.lockedUntil : row.failures + 1 >= policy.lockAfter ? lockAt : null,
          };
      t.throttle.set(key, next);
      return { failures: next.failures, lockedUntil: next.lockedUntil };
    },
    async clear(keyList) {
      for (const key of keyList) t.throttle.delete(key);
    },
    async forget(keyList) {
      for (const key of keyList) {
        t.throttle.delete(key);
        buckets.delete(key);
      }
    },
    // The leaky bucket of src/store/throttle.ts: drained since its last change, then one more.
    async charge(key, policy) {
      const at = now();
      const bucket = buckets.get(key);
      // As the SQL stores: elapsed time is never negative, and the level stops at limit + 1.
      const level = Math.min(policy.limit + 1, (bucket ? Math.max(0, bucket.level - Math.max(0, at - bucket.updatedAt) * (policy.limit / policy.windowSeconds)) : 0) + 1);
      buckets.set(key, { level, updatedAt: at });
      return level;
    },
    async refund(key) {
      const bucket = buckets.get(key);
      if (bucket) bucket.level = Math.max(0, bucket.level - 1);
    },
  };

  const audit: AuditStore = {
    async insert(events) {
      for (const event of events) {
        const id = ++lastAuditId;
        t.audit.set(id, {
          id,
          at: event.at,
          event: event.event,
          userId: event.userId ?? null,
          clientId: event.clientId ?? null,
          ip: event.ip ?? null,
          detail: event.detail ? copy(event.detail) : null,
          count: event.count ?? 1,
        });
      }
    },
    async list(filter) {
      return [...t.audit.values()]
        .filter(
          (row) =>
            (filter.clientId === undefined || row.clientId === filter.clientId) &&
            (filter.userId === undefined || row.userId === filter.userId) &&
            (filter.event === undefined || row.event === filter.event) &&
            (filter.beforeId === undefined || row.id < filter.beforeId),
        )
        .sort((a, b) => b.id - a.id)
        .slice(0, filter.limit)
        .map(copy);
    },
    async count(filter) {
      let total = 0;
      for (const row of t.audit.values()) {
        if (row.clientId === filter.clientId && row.event === filter.event && row.at >= filter.since) total += row.count;
      }
      return total;
    },
  };

  // The purge is not under test here (the store tests cover it on both databases, through its SQL):
  // in memory nothing is purged, and the counts say so.
  const housekeeping: HousekeepingStore = {
    async purgeExpired() {
      return {
        authorization_requests: 0,
        authorization_codes: 0,
        sessions: 0,
        access_tokens: 0,
        revoked_tokens: 0,
        refresh_tokens: 0,
        grants: 0,
        login_failures: 0,
        login_buckets: 0,
        audit_events: 0,
      };
    },
  };

  const logoutDeliveries: LogoutDeliveryStore = {
    async enqueue(deliveries) {
      for (const delivery of deliveries) insertNew(t.logoutDeliveries, delivery.id, { ...delivery, attempts: 0, lastError: null }, 'the logout delivery');
    },
    async claimDue(now, leaseUntil, limit) {
      const due = [...t.logoutDeliveries.values()].filter((row) => row.nextAttemptAt <= now).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt).slice(0, limit);
      for (const row of due) row.nextAttemptAt = leaseUntil;
      return due.map(copy);
    },
    async delete(delivery) {
      if (t.logoutDeliveries.get(delivery.id)?.nextAttemptAt === delivery.nextAttemptAt) t.logoutDeliveries.delete(delivery.id);
    },
    async retryLater(delivery, update) {
      const row = t.logoutDeliveries.get(delivery.id);
      if (row?.nextAttemptAt === delivery.nextAttemptAt) Object.assign(row, update);
    },
  };

  const values: ProviderValueStore = {
    async getOrCreate(name, initial) {
      if (!t.values.has(name)) t.values.set(name, initial);
      return t.values.get(name)!;
    },
  };

  const resourceRows = new Map<string, Resource>();
  const resources: ResourceStore = {
    async create(resource) {
      if ([...resourceRows.values()].some((row) => row.uri === resource.uri)) throw new ConflictError(`the resource ${resource.uri} is registered already`);
      insertNew(resourceRows, resource.id, resource, 'the resource');
    },
    async update(id, patch) {
      const row = resourceRows.get(id);
      if (!row) return undefined;
      Object.assign(row, Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)));
      return copy(row);
    },
    async find(id) {
      const row = resourceRows.get(id);
      return row && copy(row);
    },
    list: async () => [...resourceRows.values()].map(copy),
    listCached: async () => [...resourceRows.values()].map(copy),
  };

  const initialAccessTokenRows = new Map<string, InitialAccessToken>();
  const initialAccessTokens: InitialAccessTokenStore = {
    async create(token) {
      insertNew(initialAccessTokenRows, token.tokenHash, token, 'the initial access token');
    },
    async use(tokenHash, now) {
      const row = initialAccessTokenRows.get(tokenHash);
      if (!row || (row.expiresAt !== null && row.expiresAt <= now) || (row.usesLeft !== null && row.usesLeft <= 0)) return false;
      if (row.usesLeft !== null) row.usesLeft -= 1;
      return true;
    },
    async giveBack(tokenHash) {
      const row = initialAccessTokenRows.get(tokenHash);
      if (row && row.usesLeft !== null) row.usesLeft += 1;
    },
    list: async () => [...initialAccessTokenRows.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(copy),
    async revoke(id) {
      const row = [...initialAccessTokenRows.values()].find((candidate) => candidate.id === id);
      return row ? initialAccessTokenRows.delete(row.tokenHash) : false;
    },
  };

  const store: ProviderStore = {
    users,
    clients,
    consents,
    requests,
    grants,
    codes,
    refreshTokens,
    accessTokens,
    keys,
    sessions,
    logoutDeliveries,
    values,
    resources,
    initialAccessTokens,
    throttle,
    audit,
    housekeeping,
    // The work runs against this same store: its writes are not undone if it throws. Nothing the
    // protocol tests run relies on a rollback; the SQL stores' transactions are tested on SQL.
    transaction: (work) => work(store),
    readiness: async () => ({ ready: true }),
    close: async () => {},
  };
  tablesOf.set(store, t);
  return store;
}
