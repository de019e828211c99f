// client_credentials (RFC 6749 §4.4): an app acting for itself.
// Statements: 2 — the client lookup and the grant row (an opaque access token adds a third).
// The grant row is what lets the token be revoked like any other; there is no refresh token
// (§4.4.3: the app can simply ask again) and no uid, since no user is involved.

import { randomUUID } from 'node:crypto';
import type { Client } from '../../../store/index.ts';
import { isConfidential } from '../clients.ts';
import { unauthorizedClient } from '../errors.ts';
import { formatScope, resolveRequestedScope } from '../scopes.ts';
import { issueTokens, type TokenResponse } from '../tokens/issue.ts';
import type { GrantHandler } from './index.ts';

const now = () => Math.floor(Date.now() / 1000);

export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle(ctx, client, params): Promise<TokenResponse> {
    checkConfidential(client);
    const scope = formatScope(resolveRequestedScope(ctx.config, client, params.scope));
    const grant = await ctx.store.createGrant({ id: randomUUID(), clientId: client.id, userId: null, scope, createdAt: now() });
    return issueTokens(ctx, { client, grant, scope });
  },
};

/** Registration already refuses client_credentials to public apps; this holds even if a record was edited by hand. */
function checkConfidential(client: Client): void {
  if (!isConfidential(client)) throw unauthorizedClient('only confidential apps (web, service) may use the client_credentials grant');
}
