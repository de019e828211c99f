import { sha256 } from '../../lib/crypto.ts';
import type { Client } from '../storage.ts';
import type { ProviderContext } from '../context.ts';
import { invalidRequest } from './errors.ts';
import { looksLikeJwt, verifyJwtAccessToken } from './tokens/access-token.ts';

// Token revocation (RFC 7009). Revoking any token revokes its grant: the refresh token and every
// access token issued under the same authorization stop working together (§2.1 allows, and for a
// refresh token suggests, exactly this). The answer is 200 whether or not the token was known
// (§2.2), so that nobody learns from it which tokens exist; a token of another client is left alone.
// A token an app got for itself (client_credentials) has no grant and is revoked alone: a JWT by
// recording its jti (until its exp), an opaque token by deleting its row. Either way every instance
// refuses it from the next request on, since each check of such a token reads that row.

interface TokenOwner {
  /** Null for an app's own token (client_credentials). */
  grantId: string | null;
  clientId: string;
  userId: string | null;
  /** How a grantless token is revoked. */
  alone?: { jti: string; expiresAt: number } | { tokenHash: string };
}

type Finder = (ctx: ProviderContext, token: string) => Promise<TokenOwner | undefined>;

/** Statements: one or two lookups (the hint says which first), then the revocation (the audit event is written later, in a batch). */
export async function revokeToken(ctx: ProviderContext, client: Client, params: Record<string, string>): Promise<void> {
  const token = params.token;
  if (token === undefined) throw invalidRequest('the token parameter is missing');
  const owner = await findOwner(ctx, token, params.token_type_hint);
  if (!owner || owner.clientId !== client.id) return;
  const revoked = await revokeOwned(ctx, owner);
  if (revoked) ctx.audit.record({ event: 'token_revoked', clientId: client.id, userId: owner.userId, detail: { grant_id: owner.grantId, via: 'revocation_endpoint' } });
}

async function revokeOwned(ctx: ProviderContext, owner: TokenOwner): Promise<boolean> {
  if (owner.grantId !== null) return ctx.store.grants.revoke(owner.grantId, 'revoked_by_client');
  if (!owner.alone) return false;
  if ('jti' in owner.alone) return ctx.store.accessTokens.revokeJwtId(owner.alone.jti, owner.clientId, owner.alone.expiresAt);
  return ctx.store.accessTokens.delete(owner.alone.tokenHash);
}

async function findOwner(ctx: ProviderContext, token: string, hint: string | undefined): Promise<TokenOwner | undefined> {
  // A JWT is recognised by its shape and checked by signature alone, with no lookup.
  if (looksLikeJwt(token)) return ownerOfJwt(ctx, token);
  // §2.1: the hint only orders the search; an unknown hint is ignored.
  const finders: Finder[] = hint === 'access_token' ? [ownerOfOpaqueAccessToken, ownerOfRefreshToken] : [ownerOfRefreshToken, ownerOfOpaqueAccessToken];
  for (const find of finders) {
    const owner = await find(ctx, token);
    if (owner) return owner;
  }
  return undefined;
}

async function ownerOfJwt(ctx: ProviderContext, token: string): Promise<TokenOwner | undefined> {
  const verification = await verifyJwtAccessToken(ctx, token, { ignoreExpiry: true });
  if (!verification.valid) return undefined;
  const { claims } = verification;
  if (claims.gid === undefined) return { grantId: null, clientId: claims.client_id, userId: null, alone: { jti: claims.jti, expiresAt: claims.exp } };
  return { grantId: claims.gid, clientId: claims.client_id, userId: claims.sub === claims.client_id ? null : claims.sub };
}

const ownerOfRefreshToken: Finder = (ctx, token) => ctx.store.refreshTokens.find(sha256(token));
const ownerOfOpaqueAccessToken: Finder = async (ctx, token) => {
  const tokenHash = sha256(token);
  const found = await ctx.store.accessTokens.find(tokenHash);
  if (!found) return undefined;
  return { grantId: found.grantId, clientId: found.clientId, userId: found.userId, ...(found.grantId === null ? { alone: { tokenHash } } : {}) };
};
