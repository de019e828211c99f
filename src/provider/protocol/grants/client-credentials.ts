// client_credentials (RFC 6749 §4.4): an app acting for itself.
// Statements: none for a JWT access token once the client's record is cached (the client lookup
// otherwise), one for an opaque token (its row). No grant row is written: such a token stands for
// nothing but the app, and is revoked by itself — a JWT by its jti, recorded at revocation and
// checked by the one query that validates it; an opaque token by deleting its row. There is no
// refresh token (§4.4.3: the app can simply ask again) and no uid, since no user is involved.

import type { Client } from '../../../store/index.ts';
import { isConfidential } from '../clients.ts';
import { unauthorizedClient } from '../errors.ts';
import { formatScope, resolveRequestedScope } from '../scopes.ts';
import { issueAccessToken, type TokenResponse } from '../tokens/issue.ts';
import type { GrantHandler } from './index.ts';

export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle(ctx, client, params): Promise<TokenResponse> {
    checkConfidential(client);
    const scope = formatScope(resolveRequestedScope(ctx.config, client, params.scope));
    const { accessToken, expiresIn } = await issueAccessToken(ctx, { client, grantId: null, userId: null, scope });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope };
  },
};

/** Registration already refuses client_credentials to public apps; this holds even if a record was edited by hand. */
function checkConfidential(client: Client): void {
  if (!isConfidential(client)) throw unauthorizedClient('only confidential apps (web, service) may use the client_credentials grant');
}
