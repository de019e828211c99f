// implicit (RFC 6749 §4.2; OpenID Connect Core §3.2): tokens straight into the redirect URI's
// fragment, for spa apps that allow it. `token` gives an access token; `id_token` an ID token with
// the claims of the granted scopes (there is no access token to read them with); `id_token token`
// both, the ID token carrying at_hash. It has no token-endpoint part. RFC 9700 §2.1.2 says not to
// use it; Grantry keeps it for apps written against it, off per app unless its owner turns it on,
// and off for the whole provider with features.implicit. One statement, the grant row (which lists
// the app at /account/apps, where the person can withdraw it, and which back-channel logout
// reads), and for an opaque access token its row.

import { randomUUID } from 'node:crypto';
import { assembleTokenResponse } from '../issuance/response.ts';
import { signIdToken } from '../tokens/id-token.ts';
import type { GrantModule } from './grant.ts';
import { returnsAccessToken } from './response-types.ts';

export const implicitGrant: GrantModule = {
  grantType: 'implicit',
  feature: 'implicit',
  parameters: [],
  redirects: true,
  clientRule: (client) => (client.appType === 'spa' ? undefined : 'the implicit grant is for spa apps only'),
  metadata: { response_modes_supported: ['fragment'] },

  authorization: {
    responseTypes: ['token', 'id_token', 'id_token token'],
    responseMode: 'fragment',
    async respond(ctx, { request, user, signIn }) {
      const scope = request.scope.join(' ');
      const facts = { ...request.facts, ...signIn };
      const context = { ...facts, clientId: request.client.id, userId: user.id, scope };
      const grant = await ctx.store.grants.create({ id: randomUUID(), clientId: request.client.id, userId: user.id, scope, createdAt: Math.floor(Date.now() / 1000), context: facts });
      ctx.audit.record({ event: 'token_issued', clientId: request.client.id, userId: user.id, detail: { grant_type: 'implicit', response_type: request.responseType } });
      if (!returnsAccessToken(request.responseType)) {
        // Core §3.2.2.10, §5.4: with no access token, the scopes' claims are in the ID token itself.
        return { mode: 'fragment', params: { id_token: signIdToken(ctx, request.client, context, { nonce: request.facts.nonce, user, scopeClaims: true }) } };
      }
      // Never a refresh token here: nothing in a browser's URL can keep one safe.
      const response = await assembleTokenResponse(ctx, {
        grantType: 'implicit',
        client: request.client,
        grant,
        context,
        channel: 'fragment',
        responseType: request.responseType,
        user,
        accessTokenLifetime: ctx.config.lifetimes.implicitAccessToken,
      });
      return { mode: 'fragment', params: response };
    },
  },
};
