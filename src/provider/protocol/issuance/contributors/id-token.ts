import { returnsIdToken } from '../../grants/response-types.ts';
import { signIdToken } from '../../tokens/id-token.ts';
import type { TokenResponseContributor } from '../response.ts';

/**
 * id_token, when a person's authorization was granted the `openid` scope (OpenID Connect Core
 * §3.1.3.3): on the code exchange, on refresh (§12.2), and into the fragment of an implicit
 * `id_token token` response (§3.2.2.5). Not from the password grant, which OpenID Connect does not
 * define. It runs after the access token is made, whose at_hash it carries. A signature; one read
 * of the person only when the `claims` parameter asked for claims in the ID token.
 */
export const idTokenContributor: TokenResponseContributor = {
  name: 'id_token',
  afterOthers: true,
  async contribute(ctx, issuance, others) {
    const { context, grantType } = issuance;
    if (context.userId === null || !context.scope.split(' ').includes('openid')) return undefined;
    const fromTokenEndpoint = issuance.channel === 'token_endpoint' && (grantType === 'authorization_code' || grantType === 'refresh_token');
    const intoFragment = issuance.channel === 'fragment' && issuance.responseType !== undefined && returnsIdToken(issuance.responseType);
    if (!fromTokenEndpoint && !intoFragment) return undefined;
    // The nonce answers the request that sent it: the code's, or the implicit request's; never a refresh's (§12.2).
    const nonce = grantType === 'refresh_token' ? undefined : context.nonce;
    const user = context.claims?.id_token ? (issuance.user ?? (await ctx.store.users.findById(context.userId))) : undefined;
    return { id_token: signIdToken(ctx, issuance.client, { ...context, userId: context.userId }, { nonce, accessToken: others.access_token, user }) };
  },
};
