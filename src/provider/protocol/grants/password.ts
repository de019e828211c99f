// password (RFC 6749 §4.3), for first-party apps only: an operator must have marked the app trusted.
// It shares authenticateUser with the login page, throttling included, so that the token endpoint
// is no way around the lockout. Statements on success: the client lookup, the failure counters,
// the user read (plus clearing old failures, if any), the grant row and the refresh token.

import { randomUUID } from 'node:crypto';
import { authenticateUser } from '../../accounts/authenticate.ts';
import type { ProviderContext } from '../../context.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from '../errors.ts';
import { formatScope, resolveRequestedScope } from '../scopes.ts';
import { single, type GrantModule, type TokenParameters, type TokenRequestInfo } from './grant.ts';

const now = () => Math.floor(Date.now() / 1000);

export const passwordGrant: GrantModule = {
  grantType: 'password',
  feature: 'password',
  parameters: [{ name: 'username' }, { name: 'password' }, { name: 'scope' }],
  redirects: false,
  clientRule: (client) => (client.trusted ? undefined : 'the password grant is for trusted (first-party) apps only; an operator marks an app trusted'),

  async exchange(ctx, { client, params, info }) {
    // Handing a user's password to an app is safe only when the app is the operator's own.
    if (!client.trusted) throw unauthorizedClient('the password grant is for trusted (first-party) apps only');
    const username = requireParam(params, 'username');
    const password = requireParam(params, 'password');
    const scope = formatScope(passwordGrantScope(resolveRequestedScope(ctx.config, client, single(params, 'scope'))));
    const userId = await checkCredentials(ctx, username, password, info);
    // The person authenticated just now, with this password.
    const context = { clientId: client.id, userId, scope, authTime: now() };
    const grant = await ctx.store.grants.create({ id: randomUUID(), clientId: client.id, userId, scope, createdAt: now(), context: { authTime: context.authTime } });
    return { grantType: 'password', client, grant, context, channel: 'token_endpoint', refresh: { scope } };
  },
};

/**
 * OpenID Connect defines no password grant: an ID token says a person signed in at the provider,
 * which here they did not. `openid` is left out of what is granted (RFC 6749 §3.3 lets the server
 * grant less, and the response's scope says so), and so no refresh under it gives an ID token.
 */
function passwordGrantScope(requested: string[]): string[] {
  const granted = requested.filter((name) => name !== 'openid');
  if (granted.length === 0) throw new OAuthError('invalid_scope', 'openid is granted at the authorization endpoint only; the password grant gives no ID token');
  return granted;
}

function requireParam(params: TokenParameters, name: string): string {
  const value = single(params, name);
  if (value === undefined) throw invalidRequest(`the ${name} parameter is missing`);
  return value;
}

async function checkCredentials(ctx: ProviderContext, username: string, password: string, info: TokenRequestInfo): Promise<string> {
  const result = await authenticateUser(ctx.store, ctx.config, { username, password, address: info.address });
  if (result.ok) {
    ctx.audit.record({ event: 'login_succeeded', userId: result.user.id, ip: info.address, detail: { via: 'password_grant' } });
    return result.user.id;
  }
  ctx.audit.record({ event: 'login_failed', userId: result.reason === 'invalid_credentials' ? result.userId : undefined, ip: info.address, detail: { via: 'password_grant', reason: result.reason } });
  if (result.reason === 'locked') {
    throw new OAuthError('invalid_grant', `too many failed sign-in attempts: this account is locked; try again in ${result.retryAfter} seconds`, {
      headers: { 'retry-after': String(result.retryAfter) },
    });
  }
  throw new OAuthError('invalid_grant', 'the username or password is wrong');
}
