// What the provider asks of its storage: the records it works with, and one narrow interface per
// aggregate. The provider declares them; src/store/provider/ implements them over SQL (SQLite and
// PostgreSQL), and the protocol's unit tests implement them in memory. Nothing here knows SQL.

import type { AppType, GrantType, TokenFormat } from '../config/defaults.ts';
import type { IssuanceFacts } from './protocol/issuance/context.ts';
import type { ThrottleStore } from '../lib/login-throttle.ts';

// Login throttling is asked of Connect's store too: its contract lives in lib/, shared by both sides.
export type { CountedAttempt, LoginFailure, ThrottleStore } from '../lib/login-throttle.ts';

// ── records ──────────────────────────────────────────────────────────────────────────────────

export interface User {
  id: string;
  username: string;
  passwordHash: string;
  displayName: string;
  email: string | null;
  createdAt: number;
  /**
   * What an operator recorded of the person beyond name and email, by OpenID Connect claim name
   * (phone_number, address, given_name, …; protocol/claims.ts). Absent: nothing.
   */
  claims?: UserClaims;
  /**
   * Set on a name that differed from an older one only by case or Unicode form before usernames
   * were unique without regard to them (migration 009): it has no key of its own and shares the
   * older account's failure counter, which its own success therefore leaves alone.
   */
  collidedUsername?: true;
}

/** Claim name → value: a string, a boolean (the *_verified claims), or for `address` its parts (Core §5.1.1). */
export type UserClaims = Record<string, string | boolean | number | Record<string, string>>;

/** A user as the token paths see one: everything but the password hash. */
export type PublicUser = Omit<User, 'passwordHash'>;

export type NewUser = Omit<User, 'id' | 'createdAt' | 'collidedUsername' | 'claims'> & { id?: string; createdAt?: number };

export interface Client {
  id: string;
  ownerId: string | null;
  name: string;
  description: string;
  homepage: string;
  appType: AppType;
  /** SHA-256 of the secret; null for public apps. */
  secretHash: string | null;
  redirectUris: string[];
  scopes: string[];
  grantTypes: GrantType[];
  pkceRequired: boolean;
  /** First-party: may use the password grant. Only an operator sets it. */
  trusted: boolean;
  tokenFormat: TokenFormat;
  createdAt: number;
  updatedAt: number;
  /**
   * A person who already allowed this app is answered without a page even when the app is
   * public (spa, native), whose identity nothing proves. Off unless an operator turns it on.
   */
  silentReturning: boolean;
  /**
   * The algorithm of this app's ID tokens (OpenID Connect Registration's
   * id_token_signed_response_alg). Absent: RS256, the default the specification gives.
   */
  idTokenSignedResponseAlg?: IdTokenAlgorithm;
  /** Where RP-initiated logout may send the browser afterwards (exact match, as redirect URIs). */
  postLogoutRedirectUris?: string[];
  /**
   * How this app's users are named to it (OpenID Connect Core §8): `public`, the user's id, as
   * the token response's uid always was; or `pairwise`, an id of its own per sector, which no
   * two sectors can link. Absent: public.
   */
  subjectType?: SubjectType;
  /**
   * The host whose apps share pairwise subjects (Core §8.1). Set by an operator only, since
   * claiming another app's host would let an app link its users to that app's; absent, the one
   * host of the app's redirect URIs.
   */
  sectorIdentifier?: string;
  /** Where a logout token is POSTed when one of its users logs out or withdraws it (Back-Channel Logout 1.0 §2.2). */
  backchannelLogoutUri?: string;
  /** Who registered it: a person in the console or CLI (absent: 'console'), the app itself (RFC 7591), or its metadata document. */
  origin?: ClientOrigin;
  /** SHA-256 of a self-registered app's registration access token (RFC 7592). */
  registrationTokenHash?: string;
  /** When a self-registered app last obtained a token (kept to the day), for the housekeeping of unused ones. */
  lastUsedAt?: number;
  /** When a metadata-document app's document must be fetched again. */
  documentExpiresAt?: number;
}

/**
 * How an app came to be known: 'console' (a person registered it), 'registration' (it registered
 * itself, RFC 7591) or 'document' (its client_id is the https URL of its own metadata document).
 */
export type ClientOrigin = 'console' | 'registration' | 'document';

export type SubjectType = 'public' | 'pairwise';

/**
 * An API that tokens may be issued for (RFC 8707): its URI is the tokens' audience. Its scopes may
 * be asked for with it; its lifetime, when set, bounds the access tokens issued for it.
 */
export interface Resource {
  id: string;
  uri: string;
  name: string;
  scopes: string[];
  /** Seconds; null: the provider's access-token lifetime. */
  accessTokenLifetime: number | null;
  /** The format of its access tokens: 'opaque' when the API wants tokens only it can ask the issuer about (RFC 7662). */
  tokenFormat: TokenFormat;
  createdAt: number;
  updatedAt: number;
}

/** What ID tokens may be signed with: RS256, which every OpenID client takes, or EdDSA, about fifteen times cheaper to sign. */
export type IdTokenAlgorithm = 'RS256' | 'EdDSA';

export type ClientPatch = Partial<Omit<Client, 'id' | 'createdAt'>>;

/** The parameters of an authorization request, each a string or, where repeated, a list. */
export type AuthorizationParameters = Record<string, string | string[]>;

/**
 * An authorization request that has passed its checks, kept while the person logs in and decides.
 * It is found by the SHA-256 of a random handle, which is all that login and consent carry; the
 * authorization endpoint creates it, and pushed requests (PAR's request_uri) and the device flow
 * (its user_code) are other ways to create and find the same row.
 */
export interface AuthorizationRequestRecord {
  handleHash: string;
  clientId: string;
  /**
   * The accepted parameters, sealed (AES-256-GCM under a key derived from GRANTRY_SECRET, the
   * handle's hash as additional data): a state or nonce in flight is no reader's business.
   */
  sealedParameters: string;
  /** The SHA-256 of the browser cookie it is bound to: no other browser may continue it. */
  browserHash: string | null;
  createdAt: number;
  expiresAt: number;
  /** Set once the person decided: who, and when they had signed in. */
  userId: string | null;
  authTime: number | null;
  completedAt: number | null;
}

/** One authorization: everything issued from one code, one password or one implicit response. */
export interface Grant {
  id: string;
  clientId: string;
  userId: string | null;
  scope: string;
  createdAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  /** The facts the grant was made with (authentication time, audience, …), carried to each token. */
  context: IssuanceFacts;
}

/** A grant to write; without facts, it has none. */
export type NewGrant = Omit<Grant, 'revokedAt' | 'revokeReason' | 'context'> & { context?: IssuanceFacts };

/** A code to write; without facts, it has none. */
export type NewAuthorizationCode = Omit<AuthorizationCode, 'consumedAt' | 'context'> & { context?: IssuanceFacts };

export interface AuthorizationCode {
  codeHash: string;
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  expiresAt: number;
  consumedAt: number | null;
  /** What the grant made from this code will carry. */
  context: IssuanceFacts;
}

export interface RefreshToken {
  tokenHash: string;
  grantId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  rotatedAt: number | null;
}

export interface AccessTokenRecord {
  tokenHash: string;
  /** Null for a token an app got for itself (client_credentials). */
  grantId: string | null;
  clientId: string;
  userId: string | null;
  scope: string;
  expiresAt: number;
  /** The registered APIs it is for (RFC 8707); absent: the issuer's own API. */
  audience?: string[];
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: string;
  /** Sealed; only protocol/tokens/keys.ts opens it. */
  privateJwk: string;
  createdAt: number;
  activeFrom: number;
  retiredAt: number | null;
}

export interface Session {
  sessionHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A back-channel logout still to be delivered (OpenID Connect Back-Channel Logout 1.0): the logout
 * token is signed when it is sent, from these facts, so a retry hours later is not an expired token.
 */
export interface LogoutDelivery {
  id: string;
  clientId: string;
  /** The `sub` of the logout token: the app's own name for the person. */
  subject: string;
  /** The `sid` of the session that ended; null when the app loses every session of the person (its grant withdrawn). */
  sessionId: string | null;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastError: string | null;
}

export interface AuthorizedApp {
  client: Pick<Client, 'id' | 'name' | 'homepage' | 'appType'>;
  scope: string;
  firstAuthorizedAt: number;
  lastAuthorizedAt: number;
  grantIds: string[];
}

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
  /** Issued to another client: left as it was, neither spent nor burnt. */
  | { outcome: 'another_client'; code: AuthorizationCode }
  | { outcome: 'unknown' };

export interface AuditEventInput {
  /** Seconds since the epoch, when the event happened (not when the batch was written). */
  at: number;
  event: string;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown> | null;
  /** Alike events this one stands for; 1 when not given. */
  count?: number;
}

export interface AuditEventRow {
  id: number;
  at: number;
  event: string;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
  count: number;
}

export interface AuditFilter {
  clientId?: string;
  userId?: string;
  event?: string;
  limit: number;
  /** Only events older than this id: the next page of a newest-first listing. */
  beforeId?: number;
}

export interface PurgePolicy {
  /** Seconds since the epoch. */
  now: number;
  batchSize: number;
  maxBatches: number;
  /** Codes and refresh tokens stay this long past their expiry, for replay detection. */
  expiredGraceSeconds: number;
  /** The longest an access token lives: a grant outlives its last token by this much. */
  accessTokenLifetime: number;
  /** How long a grant's refresh tokens may live at most (lifetimes.refreshTokenAbsolute). */
  refreshTokenAbsolute: number;
  /** Login-attempt counters older than this window (and not locked) count for nothing. */
  loginWindowSeconds: number;
  /** An address bucket untouched this long has drained empty (its level stops at limit + 1, so twice the longest window is enough). */
  bucketDrainSeconds: number;
  /** Audit events older than this many seconds go. */
  auditRetentionSeconds: number;
}

export type PurgeCounts = Record<
  | 'authorization_requests' | 'authorization_codes' | 'sessions' | 'access_tokens' | 'revoked_tokens' | 'refresh_tokens' | 'grants' | 'login_failures' | 'login_buckets' | 'audit_events',
  number
>;

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Thrown when an insert would break a unique constraint (a taken username, a known id). */
export class ConflictError extends Error {}

// ── one interface per aggregate ────────────────────────────────────────────────────────────

export interface UserStore {
  /** Throws ConflictError when the username is taken. */
  create(input: NewUser): Promise<User>;
  findById(id: string): Promise<User | undefined>;
  /** The user whose name is this one once case and compatibility forms are folded (src/lib/username.ts). */
  findByUsername(username: string): Promise<User | undefined>;
  /** Usernames that differed from an older one only by case or form before names were compared so (migration 009). */
  collidingUsernames(): Promise<string[]>;
  updatePassword(id: string, passwordHash: string): Promise<void>;
  /** Replaces the person's further claims (an empty record clears them). */
  updateClaims(id: string, claims: UserClaims): Promise<void>;
}

export interface ClientStore {
  create(client: Client): Promise<Client>;
  find(id: string): Promise<Client | undefined>;
  /**
   * The client from the in-memory cache when an entry younger than `maxAgeSeconds` is there (0:
   * never), else from the store, then cached. `fresh` skips the cache but still refills it: for a
   * second look after a secret that did not match (see src/store/client-cache.ts).
   */
  findCached(id: string, maxAgeSeconds: number, options?: { fresh?: boolean }): Promise<Client | undefined>;
  /** The app's record if this process holds one younger than `maxAgeSeconds`; never a store access. */
  cached(id: string, maxAgeSeconds: number): Client | undefined;
  update(id: string, patch: ClientPatch): Promise<Client | undefined>;
  /**
   * Keeps an app read from its metadata document (origin 'document'): inserted, or its earlier
   * record replaced (created_at kept), in one statement, whichever instance fetched it first.
   * Never touches an app of another origin. Returns what is stored.
   */
  saveFetched(client: Client): Promise<Client>;
  list(ownerId?: string): Promise<Client[]>;
  /**
   * Records that an app no person registered (origin 'registration' or 'document') obtained a token at `at`, in one conditional UPDATE that
   * writes only when the recorded use is older than `staleBefore` (or there is none), so that a
   * busy app's row is written about once a day. Says whether it wrote.
   */
  markUsed(id: string, at: number, staleBefore: number): Promise<boolean>;
  /**
   * Up to `limit` apps no person registered (self-registered, or known by their metadata document)
   * that have not obtained a token since `before` (or, never having done so, were first seen before it);
   * and metadata-document apps never used that were first seen before `neverUsedDocumentsBefore`.
   */
  unusedRegistered(before: number, limit: number, neverUsedDocumentsBefore?: number): Promise<{ id: string; origin: 'registration' | 'document' }[]>;
  /** Deletes the app as `delete` does, only if it is still unused by unusedRegistered's measure (an app used since stays). Says whether it did. */
  deleteUnused(id: string, before: number, neverUsedDocumentsBefore?: number): Promise<boolean>;
  /**
   * Deletes the app and everything issued to it: its grants (and so their refresh and access
   * tokens), its own opaque tokens, its unredeemed codes, consents and waiting requests. Its own
   * JWTs are refused from then on (isClientJwtRevoked). Says whether there was such an app.
   */
  delete(id: string): Promise<boolean>;
}

/** What a person allowed an app and asked to be remembered: the scopes, for these redirect URIs. */
export interface RememberedConsent {
  scope: string;
  redirectUris: string[];
  /** The registered APIs (RFC 8707) it was given for. */
  resources: string[];
}

export interface ConsentStore {
  find(userId: string, clientId: string): Promise<RememberedConsent | undefined>;
  /** Replaces what is remembered (the caller merges it with what was). */
  save(userId: string, clientId: string, consent: RememberedConsent): Promise<void>;
  delete(userId: string, clientId: string): Promise<void>;
}

export interface AuthorizationRequestStore {
  create(request: Omit<AuthorizationRequestRecord, 'userId' | 'authTime' | 'completedAt'>): Promise<void>;
  find(handleHash: string): Promise<AuthorizationRequestRecord | undefined>;
  /** Marks the request decided, once: of concurrent completions exactly one gets true. */
  complete(handleHash: string, decision: { userId: string; authTime: number; at: number }): Promise<boolean>;
}

export interface GrantStore {
  create(grant: NewGrant): Promise<Grant>;
  find(id: string): Promise<Grant | undefined>;
  /**
   * Writes the grant a redeemed code stands for. A replay of the same code may have got there
   * first and written it revoked (see revokeOfCode): then this writes nothing and says so.
   */
  createOnce(grant: NewGrant): Promise<boolean>;
  /**
   * Revokes the grant of a replayed code in one statement, writing it revoked if the first
   * redemption has not yet written it. Returns whether anything changed.
   */
  revokeOfCode(code: Pick<AuthorizationCode, 'grantId' | 'clientId' | 'userId' | 'scope'> & { context?: IssuanceFacts }, reason: string): Promise<boolean>;
  /** The resource path's one read: whether the grant still stands, its facts (UserInfo reads the claims requested), and its user. */
  findLiveWithUser(grantId: string): Promise<{ grant: Grant; user: PublicUser | null } | undefined>;
  /** Revokes a grant and so every token issued under it. False if it was already revoked or unknown. */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revokes every live grant a user gave an app; returns how many. */
  revokeAllOf(userId: string, clientId: string, reason: string): Promise<number>;
  /** The apps a user has live grants for, one entry per app. */
  listAuthorizedApps(userId: string): Promise<AuthorizedApp[]>;
  /** How many distinct users hold a live grant for each of the given apps. */
  countAuthorizedUsers(clientIds: string[]): Promise<Map<string, number>>;
}

export interface CodeStore {
  create(code: NewAuthorizationCode): Promise<void>;
  /**
   * Marks a code used by the client it was issued to, atomically: of any number of concurrent
   * redemptions exactly one sees `redeemed`; the others, and every later one, see `replayed`. Only
   * that client can spend or burn it: another client's attempt changes nothing (`another_client`).
   */
  redeem(codeHash: string, clientId: string): Promise<CodeRedemption>;
}

export interface RefreshTokenStore {
  create(token: Omit<RefreshToken, 'rotatedAt'>): Promise<void>;
  find(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Marks a refresh token rotated, atomically, and says whether this use was the first. */
  rotate(tokenHash: string, graceSeconds: number): Promise<RefreshRotation>;
  /** A refresh token with its grant and the grant's user, in one statement. */
  findWithGrant(tokenHash: string): Promise<{ token: RefreshToken; grant: Grant; user: PublicUser | null } | undefined>;
}

export interface AccessTokenStore {
  /** An opaque access token's row (JWT access tokens are not stored). */
  create(token: AccessTokenRecord): Promise<void>;
  find(tokenHash: string): Promise<AccessTokenRecord | undefined>;
  /** An opaque token whose grant still stands, with the grant's user: one statement per resource request. */
  findLiveWithUser(tokenHash: string): Promise<{ token: AccessTokenRecord; grant: Grant | null; user: PublicUser | null } | undefined>;
  /** Ends an opaque token that has no grant (an app's own). Says whether there was one. */
  delete(tokenHash: string): Promise<boolean>;
  /** Records a grantless JWT as revoked until its own expiry. Says whether it was not already. */
  revokeJwtId(jti: string, clientId: string, expiresAt: number): Promise<boolean>;
  /**
   * The one statement that checks a grantless JWT (an app's own token): whether its jti was
   * revoked, or its app deleted since it was issued.
   */
  isClientJwtRevoked(jti: string, clientId: string): Promise<boolean>;
}

export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  /** Keys that would still sign at `at` retire then; one retired earlier stays as it is. */
  retire(kids: string[], at: number): Promise<void>;
  /** Replaces a key's sealed private half (re-sealed under another secret). */
  reseal(kid: string, privateJwk: string): Promise<void>;
  delete(kid: string): Promise<void>;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  /** The live session and its user, in one statement. */
  find(sessionHash: string): Promise<{ session: Session; user: User } | undefined>;
  /**
   * The authorization endpoint's one read: the live session, its user and the consent that user
   * gave this app (undefined when none), in one statement.
   */
  findWithConsent(sessionHash: string, clientId: string): Promise<{ session: Session; user: User; consent: RememberedConsent | undefined } | undefined>;
  delete(sessionHash: string): Promise<void>;
}

export interface LogoutDeliveryStore {
  /** One multi-row INSERT. */
  enqueue(deliveries: Omit<LogoutDelivery, 'attempts' | 'lastError'>[]): Promise<void>;
  /**
   * Up to `limit` deliveries due at `now`, each taken until `leaseUntil`: an instance that takes one
   * moves its next attempt there first, conditionally, so two instances never send the same one.
   */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<LogoutDelivery[]>;
  /**
   * Delivered, or given up: by the instance that holds it, its lease (`nextAttemptAt` as claimed)
   * unchanged. An instance whose lease ran out while it sent changes nothing; the one that took it
   * over decides.
   */
  delete(delivery: Pick<LogoutDelivery, 'id' | 'nextAttemptAt'>): Promise<void>;
  /** Failed this time: try again at `nextAttemptAt` (the lease held, as for delete). */
  retryLater(delivery: Pick<LogoutDelivery, 'id' | 'nextAttemptAt'>, update: { attempts: number; nextAttemptAt: number; lastError: string }): Promise<void>;
}

export interface ResourceStore {
  /** Throws ConflictError when the URI is registered already. */
  create(resource: Resource): Promise<void>;
  update(id: string, patch: Partial<Omit<Resource, 'id' | 'createdAt'>>): Promise<Resource | undefined>;
  find(id: string): Promise<Resource | undefined>;
  list(): Promise<Resource[]>;
  /**
   * Every registered resource, kept in this process for `maxAgeSeconds` (the client cache's
   * seconds): a change through another process reaches this one within that time.
   */
  listCached(maxAgeSeconds: number): Promise<Resource[]>;
}

/**
 * What lets an app register itself when registration.mode is 'token' (RFC 7591 §3: the initial
 * access token). Only the SHA-256 of the token is kept; an operator knows it by its id.
 */
export interface InitialAccessToken {
  id: string;
  tokenHash: string;
  /** Registrations it may still make; null: no limit. */
  usesLeft: number | null;
  /** Seconds since the epoch; null: never. */
  expiresAt: number | null;
  createdAt: number;
}

export interface InitialAccessTokenStore {
  create(token: InitialAccessToken): Promise<void>;
  /**
   * Takes one use of the token with this hash, in one conditional UPDATE: true when it exists, has
   * not expired at `now` and had a use left. Of concurrent callers on a token with n uses left, n get true.
   */
  use(tokenHash: string, now: number): Promise<boolean>;
  /** Gives back a use taken for a registration that then failed (a no-op on an unlimited token). */
  giveBack(tokenHash: string): Promise<void>;
  /** Oldest first. */
  list(): Promise<InitialAccessToken[]>;
  /** Deletes it; says whether there was one with this id. */
  revoke(id: string): Promise<boolean>;
}

/** Values the provider makes once and keeps for ever (the pairwise subject salt). */
export interface ProviderValueStore {
  /** The value kept under `name`; `initial` is kept first when there is none (of racing callers, one's is kept and all get it). */
  getOrCreate(name: string, initial: string): Promise<string>;
}

export interface AuditStore {
  /** One multi-row INSERT for the whole batch. */
  insert(events: AuditEventInput[]): Promise<void>;
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditEventRow[]>;
  /** The events a filter matches, coalesced ones counted one by one. */
  count(filter: { clientId: string; event: string; since: number }): Promise<number>;
}

export interface HousekeepingStore {
  /** Deletes what has expired, table by table; returns how many rows went from each. */
  purgeExpired(policy: PurgePolicy): Promise<PurgeCounts>;
}

/** Everything the provider keeps, one aggregate per field. */
export interface ProviderStorage {
  users: UserStore;
  clients: ClientStore;
  consents: ConsentStore;
  requests: AuthorizationRequestStore;
  grants: GrantStore;
  codes: CodeStore;
  refreshTokens: RefreshTokenStore;
  accessTokens: AccessTokenStore;
  keys: SigningKeyStore;
  sessions: SessionStore;
  logoutDeliveries: LogoutDeliveryStore;
  values: ProviderValueStore;
  resources: ResourceStore;
  initialAccessTokens: InitialAccessTokenStore;
  throttle: ThrottleStore;
  audit: AuditStore;
  housekeeping: HousekeepingStore;
}

/** The provider's store as a whole: its aggregates, transactions over them, readiness, closing. */
export interface ProviderStore extends ProviderStorage {
  /** Runs `work` in one database transaction: all of its writes land, or none does. */
  transaction<T>(work: (store: ProviderStorage) => Promise<T>): Promise<T>;
  /** Whether the store answers and its schema is the one this code expects. */
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}
