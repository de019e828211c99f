import { randomToken, sha256 } from '../../../lib/crypto.ts';
import type { Grant, RefreshToken } from '../../storage.ts';
import type { ProviderContext } from '../../context.ts';

// Refresh tokens are opaque, stored as their SHA-256, and rotated on every use. Each has an idle
// expiry (unused for refreshTokenIdle, it is dead) capped by an absolute one fixed when the grant
// was made: however often it is refreshed, a grant's refresh tokens end refreshTokenAbsolute after
// the user allowed it.

const now = () => Math.floor(Date.now() / 1000);

export interface RefreshTokenInput {
  grant: Pick<Grant, 'id' | 'clientId' | 'userId' | 'createdAt'>;
  scope: string;
  /** Carried over on rotation; computed from the grant's creation otherwise. */
  absoluteExpiresAt?: number;
}

/** One statement. */
export async function createRefreshToken(ctx: ProviderContext, input: RefreshTokenInput): Promise<string> {
  const token = randomToken(32);
  const at = now();
  const absoluteExpiresAt = input.absoluteExpiresAt ?? input.grant.createdAt + ctx.config.lifetimes.refreshTokenAbsolute;
  await ctx.store.refreshTokens.create({
    tokenHash: sha256(token),
    grantId: input.grant.id,
    clientId: input.grant.clientId,
    userId: input.grant.userId,
    scope: input.scope,
    createdAt: at,
    expiresAt: Math.min(at + ctx.config.lifetimes.refreshTokenIdle, absoluteExpiresAt),
    absoluteExpiresAt,
  });
  return token;
}

export function isRefreshTokenExpired(token: Pick<RefreshToken, 'expiresAt' | 'absoluteExpiresAt'>, at = now()): boolean {
  return token.expiresAt <= at || token.absoluteExpiresAt <= at;
}
