import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../../lib/crypto.ts';
import type { User } from '../../../store/index.ts';
import type { ProviderContext } from '../../context.ts';
import { isOAuthError, OAuthError } from '../errors.ts';
import { formatScope, isSubset } from '../scopes.ts';
import { issueAccessToken } from '../tokens/issue.ts';
import {
  authorizationChecks,
  stateOf,
  toAuthorizationRequest,
  UnredirectableError,
  type AuthorizationRequest,
  type CheckState,
} from './checks.ts';

export { UnredirectableError, type AuthorizationRequest } from './checks.ts';

export type Validation =
  | { outcome: 'valid'; request: AuthorizationRequest }
  /** Shown on Grantry's own error page: the client or its redirect URI is not to be trusted. */
  | { outcome: 'show_error'; description: string }
  /** Sent back to the app's redirect URI. */
  | { outcome: 'redirect_error'; location: string };

/** Runs the check chain over the request's parameters (arrays where a parameter was repeated). */
export async function validateAuthorizationRequest(ctx: ProviderContext, params: Record<string, string | string[]>): Promise<Validation> {
  const state: CheckState = { params };
  try {
    for (const check of authorizationChecks) await check(ctx, state);
    return { outcome: 'valid', request: toAuthorizationRequest(state) };
  } catch (error) {
    if (error instanceof UnredirectableError) return { outcome: 'show_error', description: error.description };
    if (isOAuthError(error) && state.redirectUri) {
      const mode = state.responseType === 'token' || (state.responseType === undefined && params.response_type === 'token') ? 'fragment' : 'query';
      return { outcome: 'redirect_error', location: errorRedirect(ctx, state.redirectUri, error, stateOf(state), mode) };
    }
    throw error;
  }
}

/** Whether the user must be asked: no remembered consent covering these scopes, or the app asked to ask. */
export async function needsConsent(
  ctx: ProviderContext,
  request: AuthorizationRequest,
  user: User,
  /** The remembered consent when the caller has already read it (with the session, in one statement). */
  known?: { remembered: string | undefined },
): Promise<boolean> {
  if (request.prompt?.split(' ').includes('consent')) return true;
  const remembered = known ? known.remembered : await ctx.store.consents.find(user.id, request.client.id);
  return remembered === undefined || !isSubset(request.scope, remembered);
}

/** The user allowed: remember it, and answer the app with a code (or, for the implicit grant, a token). */
export async function approveAuthorization(ctx: ProviderContext, request: AuthorizationRequest, user: User, options: { remember: boolean }): Promise<string> {
  if (options.remember) {
    const previous = await ctx.store.consents.find(user.id, request.client.id);
    await ctx.store.consents.save(user.id, request.client.id, formatScope(new Set([...(previous?.split(' ') ?? []), ...request.scope])));
  }
  const scope = formatScope(request.scope);
  if (request.responseType === 'token') return implicitResponse(ctx, request, user, scope);

  const code = randomToken(32);
  await ctx.store.codes.create({
    codeHash: sha256(code),
    grantId: randomUUID(),
    clientId: request.client.id,
    userId: user.id,
    redirectUri: request.redirectUri,
    scope,
    codeChallenge: request.codeChallenge ?? null,
    expiresAt: Math.floor(Date.now() / 1000) + ctx.config.lifetimes.authorizationCode,
    context: {},
  });
  return withParams(request.redirectUri, 'query', { code, state: request.state, iss: ctx.config.issuer });
}

/** The user denied: `access_denied` back to the app. */
export function denyAuthorization(ctx: ProviderContext, request: AuthorizationRequest): string {
  const error = new OAuthError('access_denied', 'the user denied the request');
  return errorRedirect(ctx, request.redirectUri, error, request.state, request.responseType === 'token' ? 'fragment' : 'query');
}

async function implicitResponse(ctx: ProviderContext, request: AuthorizationRequest, user: User, scope: string): Promise<string> {
  const grant = await ctx.store.grants.create({
    id: randomUUID(),
    clientId: request.client.id,
    userId: user.id,
    scope,
    createdAt: Math.floor(Date.now() / 1000),
    context: {},
  });
  const token = await issueAccessToken(ctx, {
    client: request.client,
    grantId: grant.id,
    userId: user.id,
    scope,
    lifetime: ctx.config.lifetimes.implicitAccessToken,
  });
  ctx.audit.record({ event: 'token_issued', clientId: request.client.id, userId: user.id, detail: { grant_type: 'implicit' } });
  // Never a refresh token here: nothing in a browser's URL can keep one safe.
  return withParams(request.redirectUri, 'fragment', {
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_in: String(token.expiresIn),
    scope,
    state: request.state,
    iss: ctx.config.issuer,
  });
}

function errorRedirect(ctx: ProviderContext, redirectUri: string, error: OAuthError, state: string | undefined, mode: 'query' | 'fragment'): string {
  return withParams(redirectUri, mode, {
    error: error.code,
    error_description: error.description,
    state,
    iss: ctx.config.issuer,
  });
}

function withParams(uri: string, mode: 'query' | 'fragment', params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  const values = new URLSearchParams(mode === 'query' ? url.search : '');
  for (const [name, value] of Object.entries(params)) if (value !== undefined) values.set(name, value);
  if (mode === 'query') {
    url.search = values.toString();
    return url.toString();
  }
  url.hash = values.toString();
  return url.toString();
}
