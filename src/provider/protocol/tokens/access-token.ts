import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { randomToken, sha256 } from '../../../lib/crypto.ts';
import type { ProviderContext } from '../../context.ts';
import type { IssuanceContext } from '../issuance/context.ts';
import type { KeyRing } from './keys.ts';
import { signingAlgorithm } from './keys.ts';
import { signJwt } from './jwt.ts';

// Access tokens in two formats. JWT (RFC 9068) by default: a resource server can check one with
// the published keys alone, and Grantry's own /api/me needs no token lookup, only the one grant
// query that tells whether the grant still stands. Opaque, for apps that ask for it (tokens for the
// issuer's own API) and for registered APIs that ask for it (RFC 8707; the row keeps the audience):
// a random string stored as its SHA-256, looked up on every use.

export const jwtAccessTokenType = 'at+jwt';

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  /** The issuer (its own API, /api/me), or the registered APIs the token was asked for (RFC 8707). */
  aud: string | string[];
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /**
   * The grant the token was issued under: revoking the grant kills the token at once. Absent from
   * a token an app got for itself (client_credentials), which is revoked by its jti instead.
   */
  gid?: string;
  /** RFC 9068 §2.2.1: when and how the person authenticated, where the issuance context knows. */
  auth_time?: number;
  acr?: string;
  amr?: string[];
}

export interface AccessTokenInput {
  /** Who for (null: the app itself), which app, what scope, and the facts of the authorization. */
  context: IssuanceContext;
  /** Null for a client_credentials token: no grant row stands behind it. */
  grantId: string | null;
  /** The `sub`: what the app calls the person (../subject.ts); the app itself when no person is involved. */
  subject: string;
  /** Seconds. */
  lifetime: number;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * The audience of a JWT access token: the registered APIs it was asked for with `resource` (RFC
 * 8707), one as a string and several as a list; or, asked for none, the issuer itself, whose own
 * API (/api/me, UserInfo) accepts only such tokens.
 */
export function accessTokenAudience(ctx: ProviderContext, audience?: readonly string[]): string | string[] {
  if (!audience || audience.length === 0) return ctx.config.issuer;
  return audience.length === 1 ? audience[0]! : [...audience];
}

/** Whether a token's `aud` names this audience. */
export function audienceIncludes(aud: string | string[], wanted: string): boolean {
  return Array.isArray(aud) ? aud.includes(wanted) : aud === wanted;
}

/** A JWT access token (RFC 9068), signed by the key that signs now (see ./jwt.ts): no statement. */
export function signJwtAccessToken(ctx: ProviderContext, input: AccessTokenInput): string {
  const key = ctx.keys.signingKey();
  const issuedAt = now();
  const { context } = input;
  const claims: AccessTokenClaims = {
    iss: ctx.config.issuer,
    sub: input.subject,
    aud: accessTokenAudience(ctx, context.audience),
    client_id: context.clientId,
    scope: context.scope,
    ...(input.grantId !== null ? { gid: input.grantId } : {}),
    jti: randomUUID(),
    iat: issuedAt,
    exp: issuedAt + input.lifetime,
  };
  if (context.authTime !== undefined) claims.auth_time = context.authTime;
  if (context.acr !== undefined) claims.acr = context.acr;
  if (context.amr !== undefined) claims.amr = context.amr;
  return signJwt(key, jwtAccessTokenType, claims);
}

/** One statement: the row that makes an opaque token known, with the APIs it is for (none: the issuer's own). */
export async function createOpaqueAccessToken(ctx: ProviderContext, input: AccessTokenInput): Promise<string> {
  const token = randomToken(32);
  const { audience } = input.context;
  await ctx.store.accessTokens.create({
    tokenHash: sha256(token),
    grantId: input.grantId,
    clientId: input.context.clientId,
    userId: input.context.userId,
    scope: input.context.scope,
    expiresAt: now() + input.lifetime,
    ...(audience?.length ? { audience: [...audience] } : {}),
  });
  return token;
}

/** JWTs have three dot-separated parts; opaque tokens are base64url and never contain a dot. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

export type JwtVerification =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; reason: string };

/**
 * Checks a JWT access token's signature, type, issuer and lifetime (the audience is the
 * resource's to check: ../resource.ts); never a database
 * query. `ignoreExpiry` is for revocation, where an expired token is still the client's to name.
 */
export async function verifyJwtAccessToken(ctx: ProviderContext, token: string, options: { ignoreExpiry?: boolean } = {}): Promise<JwtVerification> {
  const cache = verifiedTokens(ctx);
  const cached = cache.get(token);
  // A key taken out of the ring takes its tokens with it, remembered or not.
  if (cached && ctx.keys.verificationKey(cached.kid)) {
    if (options.ignoreExpiry || cached.claims.exp > now()) return { valid: true, claims: cached.claims };
    cache.delete(token);
    return { valid: false, reason: 'the token has expired' };
  }
  const verification = await verifySignatureAndClaims(ctx, token, options);
  if (verification.valid) remember(cache, token, { claims: verification.claims, kid: decodeProtectedHeader(token).kid! });
  return verification;
}

// A signature that verified once verifies forever, and an app calls the API with one token many
// times: remembering verified tokens spares each later call the Ed25519 verification (about 300 µs
// here through WebCrypto, most of a resource request). Revocation is not cached: the grant is read
// on every call. Bounded, oldest out first; entries carry their own exp.
const verifiedCacheSize = 10_000;
interface Verified {
  claims: AccessTokenClaims;
  kid: string;
}
const verifiedCaches = new WeakMap<ProviderContext, Map<string, Verified>>();

function verifiedTokens(ctx: ProviderContext): Map<string, Verified> {
  let cache = verifiedCaches.get(ctx);
  if (!cache) verifiedCaches.set(ctx, (cache = new Map()));
  return cache;
}

function remember(cache: Map<string, Verified>, token: string, verified: Verified): void {
  if (cache.size >= verifiedCacheSize) cache.delete(cache.keys().next().value!);
  cache.set(token, verified);
}

async function verifySignatureAndClaims(ctx: ProviderContext, token: string, options: { ignoreExpiry?: boolean }): Promise<JwtVerification> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== signingAlgorithm) return { valid: false, reason: 'the token is not signed with the expected algorithm' };
    if (header.typ !== jwtAccessTokenType) return { valid: false, reason: 'the token is not an access token' };
    kid = header.kid;
  } catch {
    return { valid: false, reason: 'the token is malformed' };
  }
  if (typeof kid !== 'string') return { valid: false, reason: 'the token names no signing key' };
  const key = await findVerificationKey(ctx.keys, kid);
  if (!key) return { valid: false, reason: 'the token was signed by an unknown key' };
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [signingAlgorithm],
      typ: jwtAccessTokenType,
      issuer: ctx.config.issuer,
      // The audience is the resource's to check (../resource.ts): introspection and revocation take a token of any.
      requiredClaims: ['sub', 'aud', 'client_id', 'scope', 'jti', 'iat', 'exp'],
      // A token whose exp has passed may still be revoked; its grant is what the revocation ends.
      currentDate: options.ignoreExpiry ? new Date(0) : undefined,
    });
    if (!hasAccessTokenClaims(payload)) return { valid: false, reason: 'the token lacks required claims' };
    return { valid: true, claims: payload };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { valid: false, reason: 'the token has expired' };
    return { valid: false, reason: 'the token signature or claims are invalid' };
  }
}

/** The claims Grantry's access tokens carry, of their types (also what ../own-api.ts's verified tokens are held to). */
export function hasAccessTokenClaims(payload: JWTPayload): payload is AccessTokenClaims {
  return (
    typeof payload.sub === 'string' &&
    (typeof payload.aud === 'string' || (Array.isArray(payload.aud) && payload.aud.every((entry) => typeof entry === 'string'))) &&
    typeof payload.client_id === 'string' &&
    typeof payload.scope === 'string' &&
    // Without a grant, the token can only be the app's own: its subject is the app.
    (typeof payload.gid === 'string' || (payload.gid === undefined && payload.sub === payload.client_id)) &&
    typeof payload.jti === 'string' &&
    typeof payload.iat === 'number' &&
    typeof payload.exp === 'number'
  );
}

// An unknown kid may mean that the CLI rotated the keys since this process loaded them, so the ring
// is read again; but no more than once per interval, or anyone could make every request a database
// read by sending tokens with made-up kids.
const minimumReloadIntervalMs = 10_000;
const reloadState = new WeakMap<KeyRing, { lastAt: number; pending?: Promise<void> }>();

/** The published key with this kid; an unknown kid reloads the ring (another instance may have rotated), at most so often. */
export async function findVerificationKey(keys: KeyRing, kid: string) {
  const known = keys.verificationKey(kid);
  if (known) return known;
  const state = reloadState.get(keys) ?? { lastAt: 0 };
  reloadState.set(keys, state);
  if (!state.pending) {
    if (Date.now() - state.lastAt < minimumReloadIntervalMs) return undefined;
    state.lastAt = Date.now();
    state.pending = keys.reload().finally(() => (state.pending = undefined));
  }
  await state.pending.catch(() => {});
  return keys.verificationKey(kid);
}
