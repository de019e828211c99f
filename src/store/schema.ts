// The tables of the store, as Kysely sees them. Times are whole seconds since the epoch; flags are
// 0/1 integers and lists are space-separated strings, so that both SQLite and PostgreSQL hold them
// the same way. Every secret that grants access is kept as its SHA-256 (`*_hash`), never in plain.

import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  username: string;
  /** The username as it is compared (src/lib/username.ts), unique; null only for a name that collided before migration 009. */
  username_key: string | null;
  password_hash: string;
  display_name: string;
  email: string | null;
  created_at: number;
  /** JSON of the person's further claims (migration 013); null: none. */
  claims: string | null;
}

export interface ClientsTable {
  id: string;
  owner_id: string | null;
  name: string;
  description: string;
  homepage: string;
  app_type: string;
  secret_hash: string | null;
  /** JSON array: redirect URIs may hold spaces no more than any other character. */
  redirect_uris: string;
  scopes: string;
  grant_types: string;
  pkce_required: number;
  trusted: number;
  token_format: string;
  created_at: number;
  updated_at: number;
  /** 0/1: a returning person is answered without the confirmation page, public app or not (migration 010). */
  silent_returning: number;
  /** JSON: the app's settings that have no column (migration 011), such as its ID tokens' algorithm. */
  settings: string;
  /** 'console', 'registration' (RFC 7591) or 'document' (a client ID metadata document); migration 015. */
  origin: string;
  registration_token_hash: string | null;
  last_used_at: number | null;
  document_expires_at: number | null;
}

/** What lets an app register itself when registration.mode is "token" (migration 015). */
export interface InitialAccessTokensTable {
  token_hash: string;
  id: string;
  /** null: no limit. */
  uses_left: number | null;
  expires_at: number | null;
  created_at: number;
}

/** Authorization requests waiting for a person (migration 008); see AuthorizationRequestRecord. */
export interface AuthorizationRequestsTable {
  handle_hash: string;
  client_id: string;
  /** The request's accepted parameters as JSON, sealed by the provider (never readable from the database alone). */
  parameters: string;
  browser_hash: string | null;
  created_at: number;
  expires_at: number;
  user_id: string | null;
  auth_time: number | null;
  completed_at: number | null;
}

export interface ConsentsTable {
  /** JSON: the APIs (RFC 8707) the consent was given for (migration 014); null: none. */
  resources: string | null;
  user_id: string;
  client_id: string;
  scope: string;
  updated_at: number;
  /** JSON list of the redirect URIs the consent was given for (migration 010); null for one remembered before. */
  redirect_uris: string | null;
}

/** One authorization: everything issued from one code, one password or one client-credentials request. */
export interface GrantsTable {
  id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  /** JSON of the issuance facts (migration 008); null when there are none. */
  context: string | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string | null;
  expires_at: number;
  consumed_at: number | null;
  /** JSON of the issuance facts the grant will carry (migration 008); null when there are none. */
  context: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: number;
  /** Idle expiry, never later than absolute_expires_at. */
  expires_at: number;
  absolute_expires_at: number;
  rotated_at: number | null;
}

/** Opaque access tokens only; JWT access tokens are not stored. */
export interface AccessTokensTable {
  token_hash: string;
  /** Null for a token an app got for itself (client_credentials): the row is all there is of it. */
  grant_id: string | null;
  client_id: string;
  user_id: string | null;
  scope: string;
  expires_at: number;
  /** The registered APIs it is for (RFC 8707), space-separated (migration 016); null: the issuer's own API. */
  audience: string | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private JWK, sealed with AES-256-GCM under a key derived from GRANTRY_SECRET. */
  private_jwk: string;
  created_at: number;
  /** Published from created_at, used for signing from active_from. */
  active_from: number;
  retired_at: number | null;
}

export interface SessionsTable {
  session_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  first_failure_at: number;
  locked_until: number | null;
}

/** The audit trail (migration 004); written in batches by src/provider/audit.ts. */
export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  event: string;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  /** JSON; never a secret, token or code. */
  detail: string | null;
  /** How many alike events this row stands for (token issuance is coalesced per batch). */
  count: Generated<number>;
}

/** JWT access tokens without a grant (client_credentials) revoked before they expire, by jti. */
export interface RevokedTokensTable {
  jti: string;
  client_id: string;
  /** The token's own exp: after it the row may be purged. */
  expires_at: number;
  revoked_at: number;
}

/** Per-address attempt counts that leak away over time (migration 009; see ../throttle.ts). */
export interface LoginBucketsTable {
  key: string;
  level: number;
  updated_at: number;
}

/** Back-channel logouts still to be sent (migration 012). */
export interface LogoutDeliveriesTable {
  id: string;
  client_id: string;
  subject: string;
  session_id: string | null;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_error: string | null;
}

/** Values made once and kept for ever (migration 012). */
export interface ProviderValuesTable {
  name: string;
  value: string;
  created_at: number;
}

/** The APIs tokens may be issued for (RFC 8707; migration 014). */
export interface ResourcesTable {
  id: string;
  uri: string;
  name: string;
  /** Space-separated. */
  scopes: string;
  access_token_lifetime: number | null;
  /** 'jwt' or 'opaque' (migration 016): the format of the access tokens for this API. */
  token_format: string;
  created_at: number;
  updated_at: number;
}

export interface ProviderTables {
  users: UsersTable;
  clients: ClientsTable;
  consents: ConsentsTable;
  authorization_requests: AuthorizationRequestsTable;
  grants: GrantsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  access_tokens: AccessTokensTable;
  revoked_tokens: RevokedTokensTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  login_buckets: LoginBucketsTable;
  audit_events: AuditEventsTable;
  logout_deliveries: LogoutDeliveriesTable;
  provider_values: ProviderValuesTable;
  resources: ResourcesTable;
  initial_access_tokens: InitialAccessTokensTable;
}

/** The provider's database. Connect's tables are its own (./connect/schema.ts), opened apart. */
export type Database = ProviderTables;
