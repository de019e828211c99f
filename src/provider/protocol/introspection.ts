import { sha256 } from '../../lib/crypto.ts';
import type { Client } from '../storage.ts';
import type { ProviderContext } from '../context.ts';
import { invalidRequest, invalidToken, isOAuthError } from './errors.ts';
import { validateAccessToken } from './resource.ts';
import { subjectOf, type SubjectClient } from './subject.ts';
import { isRefreshTokenExpired } from './tokens/refresh-token.ts';

// Token introspection (RFC 7662), for resource servers: a confidential app (typically of type
// `service`) asks whether a token is live and what it allows. Anything expired, revoked, rotated
// or unknown is just { active: false } (§2.2): the caller learns nothing about why.
// Who may ask about what (§4: the server decides, to keep token scanning useless): a `service` app
// — a resource server — about any access token; any other app about its own tokens only; refresh
// tokens only to the app they were issued to, since no resource server ever receives one.

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      username?: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat?: number;
      iss: string;
      aud?: string | string[];
      jti?: string;
    };

const inactive: IntrospectionResponse = { active: false };

/** An access token costs one statement (JWT or opaque); a refresh token one more if it is not an access token. */
export async function introspectToken(ctx: ProviderContext, caller: Client, params: Record<string, string>): Promise<IntrospectionResponse> {
  const token = params.token;
  if (token === undefined) throw invalidRequest('the token parameter is missing');
  if (params.token_type_hint === 'refresh_token') return (await introspectRefreshToken(ctx, caller, token)) ?? (await introspectAccessToken(ctx, caller, token)) ?? inactive;
  return (await introspectAccessToken(ctx, caller, token)) ?? (await introspectRefreshToken(ctx, caller, token)) ?? inactive;
}

async function introspectAccessToken(ctx: ProviderContext, caller: Client, token: string): Promise<IntrospectionResponse | undefined> {
  try {
    const access = await validateAccessToken(ctx, token);
    if (caller.appType !== 'service' && access.clientId !== caller.id) return inactive;
    const response: IntrospectionResponse = {
      active: true,
      scope: access.scope.join(' '),
      client_id: access.clientId,
      sub: access.claims?.sub ?? (access.user ? subjectOf(ctx, await tokenClient(ctx, caller, access.clientId), access.user.id) : access.clientId),
      token_type: 'Bearer',
      exp: access.expiresAt,
      iss: ctx.config.issuer,
    };
    // The username is what the profile scope reveals (UserInfo's preferred_username): a caller asking
    // about a token without it (an API handed a tools:read token) learns the person no better than the app did.
    if (access.user && access.scope.includes('profile')) response.username = access.user.username;
    if (access.claims) Object.assign(response, { iat: access.claims.iat, aud: access.claims.aud, jti: access.claims.jti });
    // An opaque token's audience as its row keeps it: the APIs it was asked for (RFC 8707), or the
    // issuer's own API when none; said as a JWT says it, so that a resource server checks the
    // audience alike (RFC 7662 §2.2: "aud", a string or an array of strings).
    else response.aud = access.audience ?? ctx.config.issuer;
    return response;
  } catch (error) {
    if (isOAuthError(error)) return undefined;
    throw error;
  }
}

/** The app an opaque token was issued to, for its name for the person: the caller itself, or (a resource server asking) that app. */
async function tokenClient(ctx: ProviderContext, caller: Client, clientId: string): Promise<SubjectClient> {
  if (caller.id === clientId) return caller;
  const client = await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds);
  // Deleted since the token was checked: never fall back to the public id, which a pairwise app must not learn.
  if (!client) throw invalidToken('the app this token was issued to no longer exists');
  return client;
}

async function introspectRefreshToken(ctx: ProviderContext, caller: Client, token: string): Promise<IntrospectionResponse | undefined> {
  // A JWT is never a refresh token: no need to look.
  if (token.includes('.')) return undefined;
  const found = await ctx.store.refreshTokens.findWithGrant(sha256(token));
  if (!found) return undefined;
  const { token: refresh, grant, user } = found;
  if (refresh.clientId !== caller.id) return inactive;
  const live = grant.revokedAt === null && refresh.rotatedAt === null && !isRefreshTokenExpired(refresh) && (grant.userId === null || user !== null);
  if (!live) return inactive;
  const response: IntrospectionResponse = {
    active: true,
    scope: refresh.scope,
    client_id: refresh.clientId,
    sub: user ? subjectOf(ctx, caller, user.id) : refresh.clientId,
    token_type: 'refresh_token',
    exp: refresh.expiresAt,
    iat: refresh.createdAt,
    iss: ctx.config.issuer,
  };
  if (user) response.username = user.username;
  return response;
}
