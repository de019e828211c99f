import { randomToken, s256 } from '../../lib/crypto.ts';
import type { Provider } from './types.ts';

/** The values one authorization request is made of; the caller keeps them for the callback. */
export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
  nonce: string | null;
}

/** A fresh state, PKCE verifier (RFC 7636, S256) and, for OIDC, nonce — and the URL carrying them. */
export function createAuthorizationRequest(provider: Provider, options: { redirectUri: string; scope?: string; params?: Record<string, string> }): AuthorizationRequest {
  const state = randomToken(32);
  const codeVerifier = randomToken(32);
  const nonce = provider.oidc ? randomToken(32) : null;
  const url = new URL(provider.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: provider.clientId,
    redirect_uri: options.redirectUri,
    state,
    ...(provider.pkce ? { code_challenge: s256(codeVerifier), code_challenge_method: 'S256' } : {}),
    ...(nonce ? { nonce } : {}),
    ...options.params,
  };
  const scope = options.scope ?? provider.scope;
  if (scope) params.scope = scope;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url: provider.finishAuthorizationUrl ? provider.finishAuthorizationUrl(url) : url.href, state, codeVerifier, nonce };
}
