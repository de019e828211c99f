import type { JWTPayload } from 'jose';
import type { ConnectProfile } from '../storage.ts';

export type { ConnectProfile };

/** What every provider's token endpoint answer is turned into. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Seconds since the epoch; null when the provider does not say. */
  expiresAt: number | null;
  refreshToken: string | null;
  idToken: string | null;
  scope: string | null;
  /** The provider's own fields (Weibo's uid, WeChat's openid/unionid, Grantry's uid). */
  raw: Record<string, unknown>;
}

/** One person at one provider, the same shape whatever the provider. */
export interface NormalizedIdentity {
  provider: string;
  subject: string;
  profile: ConnectProfile;
}

/** An HTTP request a preset wants instead of the RFC 6749 token request (WeChat's GET). */
export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: URLSearchParams;
}

export interface IdentityContext {
  /** The validated ID token's claims, for OIDC providers. */
  claims: JWTPayload | null;
}

/**
 * A provider as the client sees it: endpoints, credentials and the few hooks where real providers
 * differ from RFC 6749. Presets (../presets/) build these.
 */
export interface Provider {
  id: string;
  name: string;
  clientId: string;
  clientSecret?: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
  /**
   * OpenID Connect RP-Initiated Logout 1.0's end_session_endpoint: where a site sends the browser
   * so that the person's session at the provider ends too (Connect.endSessionUrl).
   */
  endSessionEndpoint?: string;
  /** The issuer identifier: checked against the callback's `iss` and the ID token's `iss`. */
  issuer?: string;
  jwksUri?: string;
  /** Other spellings of the issuer an ID token may carry (Google's `accounts.google.com`). */
  idTokenIssuers?: string[];
  scope: string;
  /** Request a nonce and require a valid ID token. */
  oidc: boolean;
  pkce: boolean;
  /** The provider sends RFC 9207 `iss` on every callback, so a callback without it is refused. */
  issInCallback: boolean;
  tokenAuth: 'client_secret_post' | 'client_secret_basic' | 'none';
  /** Extra headers every token request needs (GitHub's Accept). */
  tokenHeaders?: Record<string, string>;
  /** Final touches to the authorization URL (WeChat's appid and #wechat_redirect). */
  finishAuthorizationUrl?(url: URL): string;
  /** For providers whose token endpoint is not RFC 6749 (WeChat). */
  tokenRequest?(params: Record<string, string>): HttpRequest;
  identity(tokens: TokenSet, context: IdentityContext): Promise<NormalizedIdentity>;
}

/**
 * A provider whose configuration is fetched on first use (a metadata document), so that a site
 * starts, and builds its provider list, without waiting for the provider. Connect loads it when a
 * login first needs it and loads it again after a failure; the grantry and oidc presets return one.
 */
export interface LazyProvider {
  id: string;
  name: string;
  load(): Promise<Provider>;
}
