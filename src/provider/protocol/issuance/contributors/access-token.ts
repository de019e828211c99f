import { createOpaqueAccessToken, signJwtAccessToken, type AccessTokenInput } from '../../tokens/access-token.ts';
import { accessTokenTermsForAudience } from '../../resources.ts';
import { subjectOf } from '../../subject.ts';
import type { TokenResponseContributor } from '../response.ts';

/** access_token, token_type, expires_in and scope: a JWT (no statement) or an opaque token (one insert). */
export const accessTokenContributor: TokenResponseContributor = {
  name: 'access_token',
  async contribute(ctx, issuance) {
    const { context, client } = issuance;
    // A token for registered APIs (RFC 8707) lives as long as the shortest of theirs says, if any
    // says, and takes their format (opaque if any of them wants opaque tokens, else a JWT, whatever
    // the app's format); a token for the issuer's own API takes the app's format.
    const terms = await accessTokenTermsForAudience(ctx, context.audience, { lifetime: ctx.config.lifetimes.accessToken, format: client.tokenFormat });
    const expiresIn = issuance.accessTokenLifetime === undefined ? terms.lifetime : context.audience?.length ? Math.min(issuance.accessTokenLifetime, terms.lifetime) : issuance.accessTokenLifetime;
    const subject = context.userId === null ? context.clientId : subjectOf(ctx, client, context.userId);
    const input: AccessTokenInput = { context, grantId: issuance.grant?.id ?? null, lifetime: expiresIn, subject };
    const accessToken = terms.format === 'opaque' ? await createOpaqueAccessToken(ctx, input) : signJwtAccessToken(ctx, input);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: issuance.context.scope };
  },
};
