// What Connect asks of its storage: the site's users, the identities they hold at providers,
// binding tickets, login states, site sessions and the throttling of site logins. Connect declares
// it; src/store/connect/ implements it over SQL, in tables of Connect's own.

export interface ConnectUser {
  id: string;
  username: string;
  passwordHash: string | null;
  displayName: string;
  email: string | null;
  createdAt: number;
  /**
   * Set on a name that differed from an older one only by case or Unicode form before usernames
   * were unique without regard to them (migration 009): it has no key of its own and shares the
   * older account's failure counter, which its own success therefore leaves alone.
   */
  collidedUsername?: true;
}

export interface ConnectProfile {
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  avatar: string | null;
}

export interface ConnectIdentity {
  id: string;
  provider: string;
  subject: string;
  userId: string | null;
  profile: ConnectProfile;
  /** Sealed; only ../connect/binding/tokens.ts opens it. */
  sealedTokens: string | null;
  tokenExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface ConnectTicket {
  ticketHash: string;
  identityId: string;
  browserHash: string;
  /** The validated path the login was started to return to; the binding pages send the person there. */
  returnTo: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface ConnectLoginState {
  stateHash: string;
  browserHash: string;
  provider: string;
  codeVerifier: string;
  nonce: string | null;
  redirectUri: string;
  returnTo: string | null;
  linkUserId: string | null;
  createdAt: number;
  expiresAt: number;
}

export type NewConnectUser = Omit<ConnectUser, 'id' | 'createdAt' | 'collidedUsername'> & { id?: string; createdAt?: number };

export type IdentityBinding =
  | { outcome: 'bound' }
  /** Already bound to the same user: nothing to do. */
  | { outcome: 'unchanged' }
  /** Bound to someone else: never moved. */
  | { outcome: 'taken' }
  | { outcome: 'unknown' };

export type IdentityUnbinding = { outcome: 'unbound' } | { outcome: 'last-login-method' } | { outcome: 'unknown' };

/** Thrown when an insert would break a unique constraint (a taken username). */
export class ConnectConflictError extends Error {}

export interface ConnectOperations {
  // ── the site's users
  /** Throws ConnectConflictError when the username is taken. */
  createConnectUser(input: NewConnectUser): Promise<ConnectUser>;
  findConnectUserById(id: string): Promise<ConnectUser | undefined>;
  findConnectUserByUsername(username: string): Promise<ConnectUser | undefined>;
  findConnectUsersByEmail(email: string): Promise<ConnectUser[]>;
  // ── identities at providers
  /**
   * Stores an identity the moment a provider vouches for it, or refreshes its profile if it is
   * known. One statement, so that two simultaneous first logins make one row.
   */
  recordIdentity(input: { provider: string; subject: string; profile: ConnectProfile }): Promise<ConnectIdentity>;
  findIdentity(id: string): Promise<ConnectIdentity | undefined>;
  findIdentityBySubject(provider: string, subject: string): Promise<ConnectIdentity | undefined>;
  listIdentitiesOfUser(userId: string): Promise<ConnectIdentity[]>;
  saveIdentityTokens(identityId: string, sealedTokens: string | null, expiresAt: number | null): Promise<void>;
  /** Binds an unbound identity to a user, atomically: of concurrent bindings exactly one changes the row. */
  bindIdentity(identityId: string, userId: string): Promise<IdentityBinding>;
  /** Takes the user's row for the rest of the transaction, so that decisions about one user's logins run one after another. */
  lockConnectUser(userId: string): Promise<void>;
  /** Unbinds an identity unless it is the user's last way to log in; the check and the change are one statement. */
  unbindIdentity(identityId: string, userId: string): Promise<IdentityUnbinding>;
  // ── pending binding tickets
  createTicket(ticket: ConnectTicket): Promise<void>;
  /** Reads a ticket without using it up (to show the binding page). */
  findTicket(ticketHash: string): Promise<ConnectTicket | undefined>;
  /** Uses a ticket up; inside a transaction that later fails, it comes back with the rollback. */
  takeTicket(ticketHash: string): Promise<ConnectTicket | undefined>;
  // ── login states (authorization requests in flight)
  saveLoginState(state: ConnectLoginState): Promise<void>;
  /** Takes a login state out of the store: a callback replayed finds nothing. */
  takeLoginState(stateHash: string): Promise<ConnectLoginState | undefined>;
  // ── the site's sessions
  createConnectSession(session: { sessionHash: string; userId: string; createdAt: number; expiresAt: number }): Promise<void>;
  /** The live session's user, in one statement. */
  findConnectSessionUser(sessionHash: string): Promise<ConnectUser | undefined>;
  deleteConnectSession(sessionHash: string): Promise<void>;
  // ── throttling of the site's password logins
  /** Counts one attempt against `key` before its password is checked, in one statement. */
  countLoginAttempt(key: string, policy: { windowSeconds: number; lockAfter: number; lockSeconds: number }): Promise<{ failures: number; lockedUntil: number | null }>;
  clearLoginFailures(keys: string[]): Promise<void>;
  findLoginFailures(keys: string[]): Promise<{ key: string; failures: number; firstFailureAt: number; lockedUntil: number | null }[]>;
  /** One attempt into a leaky bucket (an address's, a sign-up's); returns the level after it. See the provider's ThrottleStore.charge. */
  chargeLoginBucket(key: string, policy: { limit: number; windowSeconds: number }): Promise<number>;
  /** Takes one attempt back out of a bucket. */
  refundLoginBucket(key: string): Promise<void>;
  /** Removes what has expired (tickets, login states, sessions, old login counters); returns how many rows went. */
  purgeExpiredConnect(at?: number): Promise<number>;
}

/** Connect's store: its operations, transactions over them, and closing. */
export interface ConnectStore extends ConnectOperations {
  /** Runs `work` in one database transaction: all of its writes land, or none does. */
  transaction<T>(work: (store: ConnectOperations) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
