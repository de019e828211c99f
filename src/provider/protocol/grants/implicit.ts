// implicit (RFC 6749 §4.2): a token straight into the redirect URI's fragment, for spa apps that
// allow it. It has no token-endpoint part. RFC 9700 §2.1.2 says not to use it; Grantry keeps it
// for apps written against it, off per app unless its owner turns it on, and off for the whole
// provider with features.implicit. Two statements: the grant row, and the row of an opaque token.

import { randomUUID } from 'node:crypto';
import { assembleTokenResponse } from '../issuance/response.ts';
import type { GrantModule } from './grant.ts';

export const implicitGrant: GrantModule = {
  grantType: 'implicit',
  feature: 'implicit',
  parameters: [],
  redirects: true,
  clientRule: (client) => (client.appType === 'spa' ? undefined : 'the implicit grant is for spa apps only'),
  metadata: { response_modes_supported: ['fragment'] },

  authorization: {
    responseType: 'token',
    responseMode: 'fragment',
    async respond(ctx, { request, user, authTime, sessionId }) {
      const scope = request.scope.join(' ');
      const facts = { ...request.facts, authTime, sid: sessionId };
      const grant = await ctx.store.grants.create({ id: randomUUID(), clientId: request.client.id, userId: user.id, scope, createdAt: Math.floor(Date.now() / 1000), context: facts });
      // Never a refresh token here: nothing in a browser's URL can keep one safe.
      const response = await assembleTokenResponse(ctx, {
        grantType: 'implicit',
        client: request.client,
        grant,
        context: { ...facts, clientId: request.client.id, userId: user.id, scope },
        channel: 'fragment',
        accessTokenLifetime: ctx.config.lifetimes.implicitAccessToken,
      });
      ctx.audit.record({ event: 'token_issued', clientId: request.client.id, userId: user.id, detail: { grant_type: 'implicit' } });
      return { mode: 'fragment', params: response };
    },
  },
};
