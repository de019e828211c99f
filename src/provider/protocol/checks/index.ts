import type { ProviderContext } from '../../context.ts';
import type { AuthorizationParameters } from '../../storage.ts';
import { isOAuthError, OAuthError } from '../errors.ts';
import { grantForResponseType } from '../grants/index.ts';
import { checkAcrValues } from './acr-values.ts';
import { checkClaims } from './claims.ts';
import { checkClaimsLocales } from './claims-locales.ts';
import { checkClient } from './client.ts';
import { checkDisplay } from './display.ts';
import { checkIdTokenHint } from './id-token-hint.ts';
import { checkIdTokenResponse } from './id-token-response.ts';
import { checkLoginHint } from './login-hint.ts';
import { checkMaxAge } from './max-age.ts';
import { checkNonce } from './nonce.ts';
import { checkOfflineAccess } from './offline-access.ts';
import { checkPkce } from './pkce.ts';
import { checkPrompt } from './prompt.ts';
import { checkRedirectUri } from './redirect-uri.ts';
import { checkNoRepeatedParameters } from './repeated-parameters.ts';
import { checkRequestObject } from './request-object.ts';
import { checkResource } from './resource.ts';
import { checkResponseType } from './response-type.ts';
import { checkScope } from './scope.ts';
import { checkState } from './state.ts';
import { checkUiLocales } from './ui-locales.ts';
import { listed, single, UnredirectableError, type AuthorizationCheck, type AuthorizationEndpoint, type AuthorizationRequest, type CheckState } from './request.ts';

export * from './request.ts';

/**
 * The chain, in order. The first two decide where errors may go: until the client and its
 * redirect URI are known good, an error is an UnredirectableError. A new authorization parameter
 * is one check here, in a file of its own.
 */
export const authorizationChecks: readonly AuthorizationCheck[] = [
  checkClient,
  checkRedirectUri,
  checkNoRepeatedParameters,
  checkRequestObject,
  checkResponseType,
  checkOfflineAccess,
  checkResource,
  checkScope,
  checkPkce,
  checkState,
  checkNonce,
  checkIdTokenResponse,
  checkClaims,
  checkPrompt,
  checkMaxAge,
  checkLoginHint,
  checkIdTokenHint,
  checkUiLocales,
  checkClaimsLocales,
  checkDisplay,
  checkAcrValues,
];

/**
 * How a failed check is answered is the endpoint's: the authorization endpoint shows its own page
 * until the client and redirect URI are trusted and redirects after; the back-channel endpoints
 * (PAR, device authorization) answer JSON either way.
 */
export type CheckOutcome =
  | { outcome: 'valid'; request: AuthorizationRequest }
  /** Authorization endpoint: not to be sent to the redirect URI — the client or the redirect URI is not to be trusted (or not known yet). */
  | { outcome: 'unredirectable'; error: UnredirectableError }
  /** Authorization endpoint: may go to the redirect URI, in the response mode of the requested response type. */
  | { outcome: 'redirectable'; error: OAuthError; redirectUri: string; state: string | undefined; responseMode: 'query' | 'fragment' }
  /** A back-channel endpoint: a JSON error (RFC 6749 §5.2 shape). */
  | { outcome: 'json'; error: OAuthError };

/** Runs the checks that serve `endpoint` over the request's parameters (lists where a parameter was repeated). */
export async function checkAuthorizationRequest(ctx: ProviderContext, endpoint: AuthorizationEndpoint, params: AuthorizationParameters): Promise<CheckOutcome> {
  const state: CheckState = { endpoint, params, facts: {} };
  const applicable = authorizationChecks.filter((check) => check.endpoints.includes(endpoint));
  try {
    for (const check of applicable) await check.run(ctx, state);
  } catch (error) {
    if (!(error instanceof UnredirectableError) && !isOAuthError(error)) throw error;
    if (endpoint !== 'authorize') {
      return { outcome: 'json', error: error instanceof UnredirectableError ? new OAuthError(error.code, error.description) : error };
    }
    if (error instanceof UnredirectableError) return { outcome: 'unredirectable', error };
    if (state.redirectUri === undefined) throw error;
    const responseMode = grantForResponseType(ctx.config, single(state, 'response_type') ?? '', { includeDisabled: true })?.authorization?.responseMode ?? 'query';
    return { outcome: 'redirectable', error, redirectUri: state.redirectUri, state: single(state, 'state'), responseMode };
  }
  return { outcome: 'valid', request: toRequest(state, applicable) };
}

function toRequest(state: CheckState, checks: readonly AuthorizationCheck[]): AuthorizationRequest {
  // Only what a check vouched for is kept; unknown parameters are ignored (and not stored).
  const parameters: Record<string, string> = {};
  for (const check of checks) {
    for (const name of check.parameters) {
      const value = check.repeatable?.includes(name) ? listed(state, name).join(' ') || undefined : single(state, name);
      if (value !== undefined) parameters[name] = value;
    }
  }
  if (state.redirectUri !== undefined && parameters.redirect_uri === undefined) parameters.redirect_uri = state.redirectUri;
  return { client: state.client!, redirectUri: state.redirectUri, responseType: state.responseType, scope: state.scope!, parameters, facts: state.facts };
}
