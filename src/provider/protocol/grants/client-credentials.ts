// client_credentials (RFC 6749 §4.4): an app acting for itself.
// Statements: none for a JWT access token once the client's record is cached (the client lookup
// otherwise), one for an opaque token (its row). No grant row is written: such a token stands for
// nothing but the app, and is revoked by itself — a JWT by its jti, recorded at revocation and
// checked by the one query that validates it; an opaque token by deleting its row. There is no
// refresh token (§4.4.3: the app can simply ask again) and no uid, since no user is involved.

import { isConfidential } from '../clients.ts';
import { unauthorizedClient } from '../errors.ts';
import { formatScope, resolveRequestedScope } from '../scopes.ts';
import { resolveResources } from '../resources.ts';
import { list, resourceParameter, single, type GrantModule } from './grant.ts';

const confidentialOnly = 'only confidential apps (web, service) may use client_credentials: a public app cannot keep a secret';

export const clientCredentialsGrant: GrantModule = {
  grantType: 'client_credentials',
  feature: 'clientCredentials',
  parameters: [{ name: 'scope' }, resourceParameter],
  redirects: false,
  clientRule: (client) => (isConfidential(client) ? undefined : confidentialOnly),

  async exchange(ctx, { client, params }) {
    // Registration refuses client_credentials to public apps; this holds even if a record was edited by hand.
    if (!isConfidential(client)) throw unauthorizedClient('only confidential apps (web, service) may use the client_credentials grant');
    // RFC 8707: the registered APIs the token is for. No person consents here, so an API's own
    // scopes go only to an app an operator trusts; any other gets a token for the API with its own scopes.
    const resources = await resolveResources(ctx, list(params, 'resource'));
    const resourceScopes = client.trusted ? resources.flatMap((resource) => resource.scopes) : [];
    const scope = formatScope(resolveRequestedScope(ctx.config, client, single(params, 'scope'), resourceScopes));
    const audience = resources.map((resource) => resource.uri);
    return { grantType: 'client_credentials', client, grant: null, context: { clientId: client.id, userId: null, scope, ...(audience.length > 0 ? { audience } : {}) }, channel: 'token_endpoint' };
  },
};
