import type { AuthorizationRequest } from './authorize.ts';
import { validateCallback, type CallbackParams } from './callback.ts';
import { ConnectError } from './errors.ts';
import { validateIdToken } from './id-token.ts';
import { exchangeCode } from './token.ts';
import type { NormalizedIdentity, Provider, TokenSet } from './types.ts';

export * from './authorize.ts';
export * from './callback.ts';
export * from './discovery.ts';
export * from './errors.ts';
export * from './http.ts';
export * from './id-token.ts';
export * from './token.ts';
export type * from './types.ts';

export interface CompletedAuthorization {
  tokens: TokenSet;
  identity: NormalizedIdentity;
}

/**
 * The callback's second half, once the caller has matched `state` to the request it made:
 * issuer and error checks, the code exchange, the ID token, the identity.
 */
export async function completeAuthorization(
  provider: Provider,
  params: CallbackParams,
  request: Pick<AuthorizationRequest, 'codeVerifier' | 'nonce'> & { redirectUri: string },
): Promise<CompletedAuthorization> {
  const code = validateCallback(provider, params);
  const tokens = await exchangeCode(provider, { code, redirectUri: request.redirectUri, codeVerifier: request.codeVerifier });
  let claims = null;
  if (provider.oidc) {
    if (!tokens.idToken) throw new ConnectError('missing_id_token', `${provider.id} sent no ID token`);
    if (!request.nonce) throw new ConnectError('missing_nonce', 'this login was started without a nonce');
    claims = await validateIdToken(provider, tokens.idToken, request.nonce);
  }
  // Keyed by the configured id, so that two instances of one preset (GitHub and GitHub Enterprise) stay apart.
  const identity = { ...(await provider.identity(tokens, { claims })), provider: provider.id };
  if (claims && identity.subject !== claims.sub) throw new ConnectError('subject_mismatch', 'the profile is not the ID token\'s subject');
  return { tokens, identity };
}
