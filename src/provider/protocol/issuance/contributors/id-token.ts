import { signIdToken } from '../../tokens/id-token.ts';
import type { TokenResponseContributor } from '../response.ts';

/**
 * id_token, when a person's authorization was granted the `openid` scope (OpenID Connect Core
 * §3.1.3.3), on the code exchange and on refresh (§12.2). Not from the password grant, which
 * OpenID Connect does not define, nor into a fragment. A signature, no statement.
 */
export const idTokenContributor: TokenResponseContributor = {
  name: 'id_token',
  contribute(ctx, issuance) {
    const { context, grantType } = issuance;
    if (issuance.channel !== 'token_endpoint' || context.userId === null) return undefined;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') return undefined;
    if (!context.scope.split(' ').includes('openid')) return undefined;
    const nonce = grantType === 'authorization_code' ? context.nonce : undefined;
    return { id_token: signIdToken(ctx, issuance.client, { ...context, userId: context.userId }, nonce) };
  },
};
