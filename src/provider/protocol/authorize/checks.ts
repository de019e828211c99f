import type { Client } from '../../../store/index.ts';
import type { ProviderContext } from '../../context.ts';
import { matchRedirectUri } from '../clients.ts';
import { OAuthError, invalidRequest, unauthorizedClient } from '../errors.ts';
import { resolveRequestedScope } from '../scopes.ts';

// The authorization request (RFC 6749 §4.1.1, §4.2.1) as a chain of small named checks, run in
// order. The first two decide where errors may go: until the client and its redirect URI are
// known good, an error is shown on our own page and never redirected (§4.1.2.1), so that nobody
// can use Grantry to bounce a user to an address of their choosing.

export type ResponseType = 'code' | 'token';

export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  responseType: ResponseType;
  scope: string[];
  state?: string;
  codeChallenge?: string;
  prompt?: string;
}

/** The request as it is being checked; each check fills in what it established. */
export interface CheckState {
  params: Record<string, string | string[]>;
  client?: Client;
  redirectUri?: string;
  responseType?: ResponseType;
  scope?: string[];
}

/**
 * Why a request cannot be answered at the app's redirect URI, by reason. The description stays
 * English (it is also what the command line and logs show); a page for people translates the
 * reason, which `reasonOf` recovers from the description.
 */
export const unredirectable = {
  client_id_repeated: 'The client_id parameter was given more than once.',
  client_id_missing: 'The request names no app: the client_id parameter is missing.',
  client_unknown: 'No app is registered with this client_id.',
  redirect_uri_repeated: 'The redirect_uri parameter was given more than once.',
  redirect_uri_missing: 'The request has no redirect_uri, and the app registered more than one.',
  redirect_uri_mismatch: 'The redirect_uri does not match any callback URL registered for this app.',
} as const;

export type UnredirectableReason = keyof typeof unredirectable;

export function reasonOf(description: string): UnredirectableReason | undefined {
  return (Object.keys(unredirectable) as UnredirectableReason[]).find((reason) => unredirectable[reason] === description);
}

/** An error that must not be redirected: shown to the user on Grantry's own page. */
export class UnredirectableError extends Error {
  constructor(readonly description: string) {
    super(description);
  }
}

export type Check = (ctx: ProviderContext, state: CheckState) => void | Promise<void>;

function single(state: CheckState, name: string): string | undefined {
  const value = state.params[name];
  if (Array.isArray(value)) return undefined;
  return value === '' ? undefined : value;
}

function repeated(state: CheckState, name: string): boolean {
  return Array.isArray(state.params[name]);
}

export const checkClient: Check = async (ctx, state) => {
  if (repeated(state, 'client_id')) throw new UnredirectableError(unredirectable.client_id_repeated);
  const clientId = single(state, 'client_id');
  if (!clientId) throw new UnredirectableError(unredirectable.client_id_missing);
  // An id no registration could have made is not worth a query (and a NUL would upset PostgreSQL).
  const client = plausibleId(clientId) ? await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds) : undefined;
  if (!client) throw new UnredirectableError(unredirectable.client_unknown);
  state.client = client;
};

function plausibleId(id: string): boolean {
  return id.length <= 200 && !id.includes('\0');
}

export const checkRedirectUri: Check = (_ctx, state) => {
  const client = state.client!;
  if (repeated(state, 'redirect_uri')) throw new UnredirectableError(unredirectable.redirect_uri_repeated);
  const requested = single(state, 'redirect_uri');
  if (requested === undefined) {
    // RFC 6749 §3.1.2.3: without one, the app's only registered URI is meant.
    if (client.redirectUris.length === 1) {
      state.redirectUri = client.redirectUris[0];
      return;
    }
    throw new UnredirectableError(unredirectable.redirect_uri_missing);
  }
  if (!matchRedirectUri(client, requested)) {
    throw new UnredirectableError(unredirectable.redirect_uri_mismatch);
  }
  state.redirectUri = requested;
};

/** From here on errors are redirected to the app: its redirect URI is known good. */
export const checkNoRepeatedParameters: Check = (_ctx, state) => {
  const name = Object.keys(state.params).find((key) => repeated(state, key));
  if (name) throw invalidRequest(`the parameter "${name}" was given more than once`);
};

export const checkResponseType: Check = (_ctx, state) => {
  const responseType = single(state, 'response_type');
  if (!responseType) throw invalidRequest('the response_type parameter is missing');
  if (responseType !== 'code' && responseType !== 'token') {
    throw new OAuthError('unsupported_response_type', `the response type "${responseType}" is not supported; use code`);
  }
  const client = state.client!;
  if (responseType === 'code' && !client.grantTypes.includes('authorization_code')) {
    throw unauthorizedClient('this app may not use the authorization-code grant');
  }
  if (responseType === 'token' && !client.grantTypes.includes('implicit')) {
    throw unauthorizedClient('this app may not use the implicit grant; use response_type=code with PKCE');
  }
  state.responseType = responseType;
};

export const checkScope: Check = (ctx, state) => {
  state.scope = resolveRequestedScope(ctx.config, state.client!, single(state, 'scope'));
};

const challengeFormat = /^[A-Za-z0-9_-]{43}$/;

export const checkPkce: Check = (_ctx, state) => {
  const challenge = single(state, 'code_challenge');
  const method = single(state, 'code_challenge_method');
  if (state.responseType === 'token') {
    if (challenge) throw invalidRequest('PKCE belongs to the authorization-code grant, not to the implicit grant');
    return;
  }
  if (!challenge) {
    if (method) throw invalidRequest('code_challenge_method was sent without a code_challenge');
    if (state.client!.pkceRequired) throw invalidRequest('this app must send a PKCE code_challenge (S256)');
    return;
  }
  // `plain` protects nothing against an attacker who can read the authorization request.
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256; plain is not accepted');
  if (!challengeFormat.test(challenge)) throw invalidRequest('code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
};

export const checkState: Check = (_ctx, state) => {
  // A token in a fragment has no PKCE to bind it to the browser that asked: state is all there is.
  if (state.responseType === 'token' && !single(state, 'state')) {
    throw invalidRequest('the implicit grant requires a state parameter');
  }
};

export const checkPrompt: Check = (_ctx, state) => {
  const prompt = single(state, 'prompt');
  if (prompt !== undefined && !prompt.split(' ').every((value) => value === 'consent' || value === 'login')) {
    throw invalidRequest('prompt may be "consent" or "login"');
  }
};

/** The chain, in order. */
export const authorizationChecks: Check[] = [
  checkClient,
  checkRedirectUri,
  checkNoRepeatedParameters,
  checkResponseType,
  checkScope,
  checkPkce,
  checkState,
  checkPrompt,
];

export function toAuthorizationRequest(state: CheckState): AuthorizationRequest {
  return {
    client: state.client!,
    redirectUri: state.redirectUri!,
    responseType: state.responseType!,
    scope: state.scope!,
    state: single(state, 'state'),
    codeChallenge: single(state, 'code_challenge'),
    prompt: single(state, 'prompt'),
  };
}

/** The state parameter for an error redirect, when it was given once. */
export function stateOf(state: CheckState): string | undefined {
  return single(state, 'state');
}
