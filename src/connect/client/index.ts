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
export * from './lazy.ts';
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
  return { tokens, identity: storable(identity) };
}

/**
 * What a provider says goes into the site's store: a subject that is no plausible account id is
 * refused, and a profile value with a NUL byte (which PostgreSQL refuses in text) or of absurd
 * length is dropped, as if the provider had not sent it.
 */
function storable(identity: NormalizedIdentity): NormalizedIdentity {
  const { subject, profile } = identity;
  if (typeof subject !== 'string' || subject === '' || subject.length > 255 || subject.includes('\0')) {
    throw new ConnectError('invalid_subject', `${identity.provider} sent an account id that cannot be used`);
  }
  const clean = (value: string | null) => (value !== null && (value.includes('\0') || value.length > 2048) ? null : value);
  const email = clean(profile.email);
  return { ...identity, profile: { name: clean(profile.name), email, emailVerified: email !== null && profile.emailVerified, avatar: clean(profile.avatar) } };
}
