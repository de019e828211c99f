import { createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { ProviderContext } from '../../context.ts';
import type { Client, IdTokenAlgorithm, PublicUser } from '../../storage.ts';
import { claimsAllowedTo, claimsOfScopes, personClaims, type ClaimValue } from '../claims.ts';
import { subjectOf } from '../subject.ts';
import type { IssuanceContext } from '../issuance/context.ts';
import { findVerificationKey } from './access-token.ts';
import { signJwt } from './jwt.ts';

// The ID token (OpenID Connect Core §2): who logged in, to which app, when and how, signed by the
// key ring's current key of the app's algorithm (RS256 unless it chose EdDSA). It is for the app to read once, at login; it is never an access token
// (its typ is not at+jwt, so /api/me and introspection refuse it).

export const idTokenType = 'JWT';

export interface IdTokenClaims {
  iss: string;
  /** The same as the token response's uid and /api/me's: the user's id, or for a pairwise app its own name for them (../subject.ts). */
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  auth_time?: number;
  nonce?: string;
  acr?: string;
  amr?: string[];
  /** The provider session the person signed in with (Back-Channel Logout 1.0 §2.4), which a logout token names. */
  sid?: string;
  /** The access token's hash, when one is issued beside it (Core §3.1.3.6, §3.2.2.9). */
  at_hash?: string;
  /** Claims about the person (Core §5.1), by scope for an ID token alone, or as the claims parameter asked. */
  [claim: string]: ClaimValue | string[] | undefined;
}

export interface IdTokenOptions {
  /** The request's nonce: given for the code exchange and implicit responses, never for refresh (Core §12.2). */
  nonce?: string;
  /** The access token issued beside it, for at_hash. */
  accessToken?: string;
  /** The person, when claims about them go in: those the claims parameter asked for, and with scopeClaims those of the scopes. */
  user?: PublicUser;
  /** An ID token with no access token beside it (implicit id_token) carries the scopes' claims itself (Core §5.4). */
  scopeClaims?: boolean;
}

/**
 * at_hash (Core §3.1.3.6): the left half of the hash of the access token, with the hash function
 * of the ID token's signature: SHA-256 for RS256, SHA-512 for EdDSA with Ed25519, as the OpenID
 * Connect working group settled it and as openid-client and oidc-provider compute it.
 */
export function tokenHash(token: string, alg: IdTokenAlgorithm): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

const now = () => Math.floor(Date.now() / 1000);

/** An ID token from a refresh carries no nonce (Core §12.2), but keeps the original auth_time. */
export function signIdToken(ctx: ProviderContext, client: Client, context: IssuanceContext & { userId: string }, options: IdTokenOptions = {}): string {
  const alg = client.idTokenSignedResponseAlg ?? 'RS256';
  const { nonce } = options;
  const issuedAt = now();
  const claims: IdTokenClaims = {
    iss: ctx.config.issuer,
    sub: subjectOf(ctx, client, context.userId),
    aud: context.clientId,
    iat: issuedAt,
    exp: issuedAt + ctx.config.lifetimes.idToken,
  };
  if (context.authTime !== undefined) claims.auth_time = context.authTime;
  if (nonce !== undefined) claims.nonce = nonce;
  if (context.acr !== undefined) claims.acr = context.acr;
  if (context.amr !== undefined) claims.amr = context.amr;
  if (context.sid !== undefined) claims.sid = context.sid;
  if (options.accessToken !== undefined) claims.at_hash = tokenHash(options.accessToken, alg);
  if (options.user) {
    const names = new Set([...(options.scopeClaims ? claimsOfScopes(context.scope.split(' ')) : []), ...claimsAllowedTo(client, context.claims?.id_token ?? [])]);
    // Claims about the person never replace the token's own (sub, aud, …): their names do not overlap (claims.ts).
    Object.assign(claims, personClaims(options.user, names));
  }
  // RS256 unless the app chose EdDSA: the default OpenID Connect Registration gives (§2).
  return signJwt(ctx.keys.signingKey(alg), idTokenType, claims);
}

/** What an ID token this provider issued says, once its signature and issuer are checked. */
export interface VerifiedIdToken {
  sub: string;
  /** The app it was issued to. */
  aud: string;
}

/**
 * An ID token this provider issued, presented back (id_token_hint at the authorization and logout
 * endpoints, OpenID Connect Core §3.1.2.1, RP-Initiated Logout §2): signed by a key of the ring,
 * by this issuer, typed as an ID token (never an access token). An expired one is still good: it
 * says who the app saw log in. Undefined when it is none of that.
 */
export async function verifyIdTokenHint(ctx: ProviderContext, hint: string): Promise<VerifiedIdToken | undefined> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(hint).kid;
  } catch {
    return undefined;
  }
  if (typeof kid !== 'string') return undefined;
  const key = await findVerificationKey(ctx.keys, kid);
  if (!key) return undefined;
  try {
    const { payload } = await jwtVerify(hint, key.publicKey, {
      algorithms: [key.alg],
      typ: idTokenType,
      issuer: ctx.config.issuer,
      requiredClaims: ['sub', 'aud', 'iat'],
      // Expired is fine for a hint; the signature and the issuer are what count.
      currentDate: new Date(0),
    });
    return typeof payload.sub === 'string' && typeof payload.aud === 'string' ? { sub: payload.sub, aud: payload.aud } : undefined;
  } catch {
    return undefined;
  }
}
