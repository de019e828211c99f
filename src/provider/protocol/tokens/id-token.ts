import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { ProviderContext } from '../../context.ts';
import type { Client } from '../../storage.ts';
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
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * `nonce` is given only for the ID token of the code exchange, the answer to the request that
 * sent it; an ID token from a refresh carries none (Core §12.2), but keeps the original auth_time.
 */
export function signIdToken(ctx: ProviderContext, client: Client, context: IssuanceContext & { userId: string }, nonce: string | undefined): string {
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
  // RS256 unless the app chose EdDSA: the default OpenID Connect Registration gives (§2).
  return signJwt(ctx.keys.signingKey(client.idTokenSignedResponseAlg ?? 'RS256'), idTokenType, claims);
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
