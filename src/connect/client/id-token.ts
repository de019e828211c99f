import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { safeEqual } from '../../lib/crypto.ts';
import { ConnectError } from './errors.ts';
import type { Provider } from './types.ts';

// One key set per JWKS URI for the whole process: jose caches the keys and refetches on an
// unknown kid, which is how providers' key rotation reaches us.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(uri: string) {
  let set = keySets.get(uri);
  if (!set) keySets.set(uri, (set = createRemoteJWKSet(new URL(uri))));
  return set;
}

function checkNonce(claims: JWTPayload, nonce: string): void {
  if (typeof claims.nonce !== 'string' || !safeEqual(claims.nonce, nonce)) {
    throw new ConnectError('nonce_mismatch', 'the ID token was not issued for this login (nonce)');
  }
}

/** With several audiences, the token must say it was issued to us (OIDC Core §3.1.3.7). */
function checkAuthorizedParty(claims: JWTPayload, clientId: string): void {
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== clientId) {
    throw new ConnectError('azp_mismatch', 'the ID token names other parties and not us as azp');
  }
}

/** Signature against the provider's JWKS, then iss, aud, exp (jose), then nonce and azp. */
export async function validateIdToken(provider: Provider, idToken: string, nonce: string): Promise<JWTPayload> {
  if (!provider.issuer || !provider.jwksUri) throw new ConnectError('misconfigured', `${provider.id} has no issuer or JWKS URI`);
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, keySet(provider.jwksUri), {
      issuer: [provider.issuer, ...(provider.idTokenIssuers ?? [])],
      audience: provider.clientId,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: 30,
    }));
  } catch (error) {
    throw new ConnectError('invalid_id_token', `the ID token is not valid: ${(error as Error).message}`);
  }
  checkNonce(claims, nonce);
  checkAuthorizedParty(claims, provider.clientId);
  return claims;
}
