import { seal, unseal } from '../../lib/crypto.ts';
import type { TokenSet } from '../client/types.ts';

// Provider tokens stay on the server, sealed with AES-256-GCM under a key from the site's secret.
// The identity id is the additional data, so a sealed token set copied onto another identity's
// row does not open.

export function sealTokens(key: Buffer, identityId: string, tokens: TokenSet): string {
  const kept = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, idToken: tokens.idToken, expiresAt: tokens.expiresAt, scope: tokens.scope };
  return seal(key, JSON.stringify(kept), `connect-identity:${identityId}`);
}

export function unsealTokens(key: Buffer, identityId: string, sealed: string): Omit<TokenSet, 'tokenType' | 'raw'> {
  return JSON.parse(unseal(key, sealed, `connect-identity:${identityId}`)) as Omit<TokenSet, 'tokenType' | 'raw'>;
}
