import { subjectOf } from '../../subject.ts';
import type { TokenResponseContributor } from '../response.ts';

/**
 * `uid`: the user's id beside the tokens, as Weibo's token endpoint answers it. Clients written
 * against Weibo (the seed's flow) read it instead of calling an API. Grantry's compatibility
 * feature, not part of OAuth: off with features.uidInTokenResponse, and absent when no user is
 * involved or the answer goes into a fragment.
 */
export const uidContributor: TokenResponseContributor = {
  name: 'uid',
  contribute(ctx, issuance) {
    if (!ctx.config.features.uidInTokenResponse || issuance.channel !== 'token_endpoint' || issuance.context.userId === null) return undefined;
    // The ID token's sub: a pairwise app gets its pairwise subject here too.
    return { uid: subjectOf(ctx, issuance.client, issuance.context.userId) };
  },
};
