// The website side's tables ("Connect"): the site's own users, the identities they hold at
// providers, pending binding tickets, login states and site sessions. Same conventions as
// ../schema.ts: seconds since the epoch, 0/1 flags, random values kept only as their SHA-256.

export interface ConnectUsersTable {
  id: string;
  username: string;
  /** The username as it is compared (src/lib/username.ts), unique; null only for a name that collided before Connect's migration 002. */
  username_key: string | null;
  /** Null for people who only ever log in through a provider. */
  password_hash: string | null;
  display_name: string;
  email: string | null;
  created_at: number;
}

/** One account at one provider. Stored the first time it is seen, bound to a user later (or never). */
export interface ConnectIdentitiesTable {
  id: string;
  provider: string;
  subject: string;
  user_id: string | null;
  /** JSON of the normalized profile: {name, email, emailVerified, avatar}. */
  profile: string;
  /** The provider's token set, sealed (AES-256-GCM, the identity id as additional data). */
  tokens: string | null;
  token_expires_at: number | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

/** A first-seen or unbound identity waiting for its person to register or bind. Single-use. */
export interface ConnectTicketsTable {
  ticket_hash: string;
  identity_id: string;
  browser_hash: string;
  /** Where the login was going: a path on the site, already validated. */
  return_to: string | null;
  created_at: number;
  expires_at: number;
}

/** An authorization request in flight: what the callback must match. Single-use. */
export interface ConnectLoginStatesTable {
  state_hash: string;
  browser_hash: string;
  provider: string;
  code_verifier: string;
  nonce: string | null;
  redirect_uri: string;
  return_to: string | null;
  /** Set when a signed-in person adds a provider to their account. */
  link_user_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface ConnectSessionsTable {
  session_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

/** Counters of failed site logins (Connect's own; the provider keeps its in login_failures). */
export interface ConnectLoginFailuresTable {
  key: string;
  failures: number;
  first_failure_at: number;
  locked_until: number | null;
}

/** Per-address attempt counts of the site's logins and sign-ups, draining over time (see ../throttle.ts). */
export interface ConnectLoginBucketsTable {
  key: string;
  level: number;
  updated_at: number;
}

export interface ConnectDatabase {
  connect_users: ConnectUsersTable;
  connect_identities: ConnectIdentitiesTable;
  connect_tickets: ConnectTicketsTable;
  connect_login_states: ConnectLoginStatesTable;
  connect_sessions: ConnectSessionsTable;
  connect_login_failures: ConnectLoginFailuresTable;
  connect_login_buckets: ConnectLoginBucketsTable;
}
