// The issuance context: what one authorization establishes, carried from the authorization request
// through the code and the grant to every token issued under it. The store keeps the client, user
// and scope in indexed columns and the rest, these facts, as JSON beside them: a new fact is a
// field here, not a migration, a mapper and a new statement.

/** The facts beyond client, user and scope. Every field is optional: an authorization has what it has. */
export interface IssuanceFacts {
  /** When the person signed in, in seconds since the epoch (OpenID Connect's auth_time). */
  authTime?: number;
  /** Where the tokens may be used (RFC 8707 resources); the issuer's own API when absent. */
  audience?: string[];
  /** The authorization request's nonce, for the ID token (OpenID Connect). */
  nonce?: string;
  /**
   * The provider session the person was signed in with when they authorized (OpenID Connect's
   * sid, ../backchannel-logout.ts): the ID token names it, and ending that session notifies the app.
   */
  sid?: string;
  /** The claims the `claims` request parameter asked for (OpenID Connect Core §5.5), by where they go; names Grantry knows only. */
  claims?: { userinfo?: string[]; id_token?: string[] };
  /** How the person authenticated (OpenID Connect's acr and amr). */
  acr?: string;
  amr?: string[];
  /** The key a sender-constrained token is bound to (RFC 9449 DPoP: the JWK's thumbprint). */
  cnf?: { jkt: string };
  /** The party acting for the subject (RFC 8693 token exchange). */
  act?: { sub: string };
}

/** The whole context of one issuance: who for, to which app, for what, and the facts. */
export interface IssuanceContext extends IssuanceFacts {
  clientId: string;
  /** Null when an app acts for itself (client_credentials). */
  userId: string | null;
  /** Space-separated, as tokens and responses carry it. */
  scope: string;
}
