import { ConnectError } from './errors.ts';
import { getJson, type Body } from './http.ts';

export interface AuthorizationServerMetadata extends Body {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

/** RFC 8414 §3: the well-known segment goes between the host and the issuer's path. */
export function rfc8414Url(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** OpenID Connect Discovery §4: appended to the issuer. */
export function openidConfigurationUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

const cache = new Map<string, Promise<AuthorizationServerMetadata>>();

/**
 * Fetches and checks a provider's metadata. The issuer inside must be the one asked for, or a
 * metadata document could point us at someone else's endpoints (RFC 8414 §3.3).
 */
export function discover(issuer: string, kind: 'oauth' | 'oidc' = 'oauth'): Promise<AuthorizationServerMetadata> {
  const url = kind === 'oidc' ? openidConfigurationUrl(issuer) : rfc8414Url(issuer);
  let pending = cache.get(url);
  if (!pending) {
    pending = fetchMetadata(url, issuer);
    cache.set(url, pending);
    pending.catch(() => cache.delete(url));
  }
  return pending;
}

async function fetchMetadata(url: string, issuer: string): Promise<AuthorizationServerMetadata> {
  const body = await getJson(url);
  if (body.issuer !== issuer) throw new ConnectError('issuer_mismatch', `the metadata at ${url} names "${String(body.issuer)}" as issuer`);
  for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof body[field] !== 'string') throw new ConnectError('invalid_metadata', `the metadata at ${url} has no ${field}`);
  }
  return body as AuthorizationServerMetadata;
}

/** The client authentication a provider's metadata allows, basic first (the RFC 6749 default). */
export function pickTokenAuth(metadata: AuthorizationServerMetadata, hasSecret: boolean): 'client_secret_basic' | 'client_secret_post' | 'none' {
  if (!hasSecret) return 'none';
  const methods = metadata.token_endpoint_auth_methods_supported;
  if (Array.isArray(methods) && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

/**
 * What every preset configured from metadata shares: its endpoints (the end_session_endpoint of
 * RP-initiated logout among them, when it has one), its issuer, whether it sends
 * `iss` in the callback (RFC 9207), and how this client authenticates at its token endpoint.
 */
export function fromMetadata(metadata: AuthorizationServerMetadata, credentials: { clientId: string; clientSecret?: string }) {
  return {
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    authorizationEndpoint: metadata.authorization_endpoint,
    tokenEndpoint: metadata.token_endpoint,
    revocationEndpoint: metadata.revocation_endpoint,
    ...(typeof metadata.end_session_endpoint === 'string' ? { endSessionEndpoint: metadata.end_session_endpoint } : {}),
    issuer: metadata.issuer,
    issInCallback: metadata.authorization_response_iss_parameter_supported === true,
    tokenAuth: pickTokenAuth(metadata, credentials.clientSecret !== undefined),
  };
}
