import type { ProviderContext } from '../context.ts';
import { insufficientScope, invalidRequest, invalidToken } from './errors.ts';
import { claimsAllowedTo, claimsOfScopes, personClaims, type ClaimValue } from './claims.ts';
import { bearerTokenFrom, requireScope, validateAccessToken } from './resource.ts';
import { subjectOf } from './subject.ts';

// The UserInfo endpoint (OpenID Connect Core §5.3): the claims about the person an access token
// speaks for, by the scopes it was granted. `sub` is always there, and is the ID token's. A claim
// the person has no value for is left out, not sent empty.

export interface UserInfoClaims {
  sub: string;
  [claim: string]: ClaimValue;
}

/** Where the token came from: the Authorization header, or (POST only) the form body (RFC 6750 §2.1, §2.2). */
export interface UserInfoRequest {
  authorization: string | undefined;
  /** The form body's access_token, when a form body was posted. */
  bodyToken: string | undefined;
  /** A token in the query string: refused, since URLs end up in logs. */
  queryToken: boolean;
}

function presentedToken(request: UserInfoRequest): string {
  if (request.queryToken) throw invalidRequest('send the access token in the Authorization header or a POST form body, not in the query');
  if (request.bodyToken !== undefined) {
    // RFC 6750 §2: a client MUST NOT use more than one method in one request.
    if (request.authorization !== undefined && request.authorization.trim() !== '') throw invalidRequest('send the access token one way only: the Authorization header or the form body');
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(request.bodyToken)) throw invalidRequest('the access_token in the form body is not a well-formed bearer token');
    return request.bodyToken;
  }
  return bearerTokenFrom(request.authorization, false);
}

export async function userInfo(ctx: ProviderContext, request: UserInfoRequest): Promise<UserInfoClaims> {
  const access = await validateAccessToken(ctx, presentedToken(request), { audience: ctx.config.issuer });
  // Only a token from an OpenID Connect request speaks for a person to this endpoint (Core §5.3).
  requireScope(access, 'openid');
  const user = access.user;
  if (!user) throw insufficientScope('this token was issued to an app acting for itself; UserInfo speaks of a person');
  const requested = access.grant?.context.claims?.userinfo ?? [];
  // The app is read (from the per-process cache) only when needed: for an opaque token's subject, or claims asked by name.
  const client = requested.length > 0 || !access.claims ? await ctx.store.clients.findCached(access.clientId, ctx.config.clientCacheSeconds) : undefined;
  if ((requested.length > 0 || !access.claims) && !client) throw invalidToken('the app this token was issued to no longer exists');
  // The scopes' claims (Core §5.4), and those the claims parameter asked UserInfo for (§5.5) that the app may still have.
  const names = new Set([...claimsOfScopes(access.scope), ...(client ? claimsAllowedTo(client, requested) : [])]);
  // A JWT's sub is already the app's name for the person (./subject.ts).
  const claims: UserInfoClaims = { ...personClaims(user, names), sub: access.claims?.sub ?? subjectOf(ctx, client!, user.id) };
  return claims;
}
