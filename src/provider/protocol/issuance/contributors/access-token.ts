import { createOpaqueAccessToken, signJwtAccessToken, type AccessTokenInput } from '../../tokens/access-token.ts';
import { lifetimeForAudience } from '../../resources.ts';
import { subjectOf } from '../../subject.ts';
import type { TokenResponseContributor } from '../response.ts';

/** access_token, token_type, expires_in and scope: a JWT (no statement) or an opaque token (one insert). */
export const accessTokenContributor: TokenResponseContributor = {
  name: 'access_token',
  async contribute(ctx, issuance) {
    const { context, client } = issuance;
    // A token for registered APIs (RFC 8707) lives as long as the shortest of theirs says, if any says.
    const forAudience = await lifetimeForAudience(ctx, context.audience, ctx.config.lifetimes.accessToken);
    const expiresIn = issuance.accessTokenLifetime === undefined ? forAudience : context.audience?.length ? Math.min(issuance.accessTokenLifetime, forAudience) : issuance.accessTokenLifetime;
    const subject = context.userId === null ? context.clientId : subjectOf(ctx, client, context.userId);
    const input: AccessTokenInput = { context, grantId: issuance.grant?.id ?? null, lifetime: expiresIn, subject };
    // A token for registered APIs is a JWT whatever the app's format: its audience travels in it, for the API to check.
    const opaque = client.tokenFormat === 'opaque' && !context.audience?.length;
    const accessToken = opaque ? await createOpaqueAccessToken(ctx, input) : signJwtAccessToken(ctx, input);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: issuance.context.scope };
  },
};
