import { createOpaqueAccessToken, signJwtAccessToken, type AccessTokenInput } from '../../tokens/access-token.ts';
import { subjectOf } from '../../subject.ts';
import type { TokenResponseContributor } from '../response.ts';

/** access_token, token_type, expires_in and scope: a JWT (no statement) or an opaque token (one insert). */
export const accessTokenContributor: TokenResponseContributor = {
  name: 'access_token',
  async contribute(ctx, issuance) {
    const expiresIn = issuance.accessTokenLifetime ?? ctx.config.lifetimes.accessToken;
    const { context, client } = issuance;
    const subject = context.userId === null ? context.clientId : subjectOf(ctx, client, context.userId);
    const input: AccessTokenInput = { context, grantId: issuance.grant?.id ?? null, lifetime: expiresIn, subject };
    const accessToken = issuance.client.tokenFormat === 'opaque' ? await createOpaqueAccessToken(ctx, input) : signJwtAccessToken(ctx, input);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: issuance.context.scope };
  },
};
