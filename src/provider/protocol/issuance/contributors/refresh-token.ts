import { createRefreshToken } from '../../tokens/refresh-token.ts';
import type { TokenResponseContributor } from '../response.ts';

/**
 * refresh_token, when the grant wants one and the app may refresh (it holds the refresh_token
 * grant, and the provider has it on). Never in a fragment: nothing in a browser's URL can keep one
 * safe. One statement.
 */
export const refreshTokenContributor: TokenResponseContributor = {
  name: 'refresh_token',
  async contribute(ctx, issuance) {
    const { refresh, grant, client } = issuance;
    if (!refresh || grant === null || issuance.channel !== 'token_endpoint') return undefined;
    if (!ctx.config.features.refreshToken || !client.grantTypes.includes('refresh_token')) return undefined;
    const token = await createRefreshToken(ctx, {
      grant: { id: grant.id, createdAt: grant.createdAt, clientId: client.id, userId: issuance.context.userId },
      scope: refresh.scope,
      absoluteExpiresAt: refresh.absoluteExpiresAt,
    });
    return { refresh_token: token };
  },
};
