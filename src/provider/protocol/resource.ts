import { sha256 } from '../../lib/crypto.ts';
import type { Grant, PublicUser } from '../storage.ts';
import type { ProviderContext } from '../context.ts';
import { insufficientScope, invalidRequest, invalidToken, OAuthError } from './errors.ts';
import { accessTokenAudience, audienceIncludes, hasAccessTokenClaims, looksLikeJwt, verifyJwtAccessToken, type AccessTokenClaims } from './tokens/access-token.ts';
import type { JWTPayload } from 'jose';
import { ResourceError } from '../../resource/index.ts';
import { ownApiResource } from './own-api.ts';

// Checking a bearer token at a resource (RFC 6750). A JWT is verified in memory — for the
// provider's own API (/api/me, UserInfo) by grantry/resource, the verifier the package ships
// (./own-api.ts) — and then costs one statement, the grant-and-user read that tells whether the
// grant was revoked (for an app's own token, which has no grant, the read of whether its jti was
// revoked); an opaque token costs one statement too, its row joined to the grant and user.

export interface ValidatedAccess {
  /** Null for a token an app got for itself (client_credentials), which no grant row stands behind. */
  grant: Grant | null;
  /** Null when the app acts for itself (client_credentials). */
  user: PublicUser | null;
  scope: string[];
  clientId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Only for JWT access tokens. */
  claims?: AccessTokenClaims;
  /** Only for opaque access tokens: the `aud` a JWT would carry (the registered APIs it was asked for, or the issuer). */
  audience?: string | string[];
}

/** No token at all: RFC 6750 §3.1 says to answer with the bare challenge, no error code. */
export class MissingBearerToken extends Error {
  constructor() {
    super('no bearer token');
    this.name = 'MissingBearerToken';
  }
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * The token from an Authorization header. Grantry accepts it there only (RFC 6750 §2.1): a token in
 * a URL ends up in logs and Referer headers, and a token in a form body invites CSRF.
 */
export function bearerTokenFrom(authorization: string | undefined, otherwisePresented: boolean): string {
  if (otherwisePresented) throw invalidRequest('send the access token in the Authorization header ("Bearer <token>"), not in the query or body');
  if (authorization === undefined || authorization.trim() === '') throw new MissingBearerToken();
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match) {
    if (!/^bearer\b/i.test(authorization.trim())) throw new MissingBearerToken();
    // RFC 6750 §3.1: a malformed request is invalid_request, 400 (grantry/resource's answer, word for word).
    throw invalidRequest('the Authorization header does not hold a well-formed bearer token');
  }
  return match[1]!;
}

/**
 * Whether a token is live: signed (or stored), unexpired, and its grant not revoked; and, when an
 * `audience` is given, for it (a token asked for another API with `resource` is not this one's:
 * RFC 8707 §2, RFC 9068 §4). JWT or opaque alike: an opaque token's row keeps its audience (none
 * stored: the issuer's own API).
 */
export async function validateAccessToken(ctx: ProviderContext, token: string, options: { audience?: string } = {}): Promise<ValidatedAccess> {
  if (!looksLikeJwt(token)) return validateOpaque(ctx, token, options.audience);
  return options.audience === ctx.config.issuer ? validateOwnApiJwt(ctx, `Bearer ${token}`) : validateJwt(ctx, token, options.audience);
}

/**
 * A JWT at the provider's own API: verified by grantry/resource with the key ring (signature, EdDSA,
 * typ at+jwt, iss, aud the issuer, exp with no tolerance; remembered once verified), then the grant
 * read as for any JWT. No scope is asked of the library: revocation is refused (401) before a
 * missing scope (403), as RFC 6750 §3.1 ranks a revoked token invalid whatever it holds.
 */
async function validateOwnApiJwt(ctx: ProviderContext, authorization: string): Promise<ValidatedAccess> {
  let claims: JWTPayload;
  try {
    ({ claims } = await ownApiResource(ctx).verify(authorization));
  } catch (error) {
    if (!(error instanceof ResourceError)) throw error;
    if (error.code === undefined) throw new MissingBearerToken();
    // Its status, code and words; the challenge is written by the route, in /api/me's shape (realm).
    throw new OAuthError(error.code, error.message, { status: error.status });
  }
  if (!hasAccessTokenClaims(claims)) throw invalidToken('the token lacks required claims');
  return liveAccessOf(ctx, claims);
}

async function validateJwt(ctx: ProviderContext, token: string, audience: string | undefined): Promise<ValidatedAccess> {
  const verification = await verifyJwtAccessToken(ctx, token);
  if (!verification.valid) throw invalidToken(verification.reason);
  const { claims } = verification;
  if (audience !== undefined && !audienceIncludes(claims.aud, audience)) throw invalidToken('the token is for another resource');
  return liveAccessOf(ctx, claims);
}

/** A verified JWT's grant (or, for an app's own token, its jti) read: one statement, so that a revocation holds at once. */
async function liveAccessOf(ctx: ProviderContext, claims: AccessTokenClaims): Promise<ValidatedAccess> {
  const scope = claims.scope.split(' ').filter(Boolean);
  if (claims.gid === undefined) {
    // An app's own token: one statement, whether its jti was revoked or its app deleted.
    if (await ctx.store.accessTokens.isClientJwtRevoked(claims.jti, claims.client_id)) throw invalidToken('the token has been revoked');
    return { grant: null, user: null, scope, clientId: claims.client_id, expiresAt: claims.exp, claims };
  }
  const live = await ctx.store.grants.findLiveWithUser(claims.gid);
  if (!live || live.grant.clientId !== claims.client_id) throw invalidToken('the token has been revoked');
  checkUserStillExists(live.grant, live.user);
  return { grant: live.grant, user: live.user, scope, clientId: claims.client_id, expiresAt: claims.exp, claims };
}

async function validateOpaque(ctx: ProviderContext, token: string, audience: string | undefined): Promise<ValidatedAccess> {
  const found = await ctx.store.accessTokens.findLiveWithUser(sha256(token));
  // Unknown and revoked look the same from here: the join finds no live grant either way.
  if (!found) throw invalidToken('the token is unknown or has been revoked');
  if (found.token.expiresAt <= now()) throw invalidToken('the token has expired');
  // As a JWT's: the APIs it was asked for, one as a string, or the issuer when none was.
  const aud = accessTokenAudience(ctx, found.token.audience);
  if (audience !== undefined && !audienceIncludes(aud, audience)) throw invalidToken('the token is for another resource');
  checkUserStillExists(found.grant, found.user);
  return { grant: found.grant, user: found.user, scope: found.token.scope.split(' ').filter(Boolean), clientId: found.token.clientId, expiresAt: found.token.expiresAt, audience: aud };
}

function checkUserStillExists(grant: Grant | null, user: PublicUser | null): void {
  if (grant !== null && grant.userId !== null && user === null) throw invalidToken('the user of this token no longer exists');
}

/** RFC 6750 §3.1: a live token without the scope a resource needs. */
export function requireScope(access: ValidatedAccess, scope: string): void {
  if (!access.scope.includes(scope)) throw insufficientScope(`this resource needs the scope ${scope}`);
}

/** The whole check of one resource request: present, live, and scoped enough. */
export async function authorizeResourceRequest(
  ctx: ProviderContext,
  request: { authorization: string | undefined; tokenElsewhere: boolean; requiredScope: string },
): Promise<ValidatedAccess> {
  // The issuer's own API: tokens asked for another API (RFC 8707) are not accepted here. A header
  // holding a JWT goes to grantry/resource as it came, which reads it (RFC 6750 §2.1) with the same
  // rule as bearerTokenFrom: the token is not scanned twice on the hot path.
  const access = !request.tokenElsewhere && request.authorization !== undefined && holdsJwt(request.authorization)
    ? await validateOwnApiJwt(ctx, request.authorization)
    : await validateAccessToken(ctx, bearerTokenFrom(request.authorization, request.tokenElsewhere), { audience: ctx.config.issuer });
  requireScope(access, request.requiredScope);
  return access;
}

/** Two dots, as a JWT has (an opaque token has none): counted, not split. */
function holdsJwt(authorization: string): boolean {
  const first = authorization.indexOf('.');
  const second = first < 0 ? -1 : authorization.indexOf('.', first + 1);
  return second >= 0 && authorization.indexOf('.', second + 1) < 0;
}

export function isBearerError(error: unknown): error is OAuthError | MissingBearerToken {
  return error instanceof OAuthError || error instanceof MissingBearerToken;
}
