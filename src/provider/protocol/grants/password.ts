// password (RFC 6749 §4.3), for first-party apps only: an operator must have marked the app trusted.
// It shares authenticateUser with the login page, throttling included, so that the token endpoint
// is no way around the lockout. Statements on success: the client lookup, the failure-counter read,
// the user read (plus clearing old failures, if any), the grant row and the refresh token.

import { randomUUID } from 'node:crypto';
import type { Client } from '../../../store/index.ts';
import { authenticateUser } from '../../accounts/authenticate.ts';
import type { ProviderContext } from '../../context.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from '../errors.ts';
import { formatScope, resolveRequestedScope } from '../scopes.ts';
import { issueTokens, type TokenResponse } from '../tokens/issue.ts';
import type { GrantHandler, TokenRequestInfo } from './index.ts';

const now = () => Math.floor(Date.now() / 1000);

export const passwordGrant: GrantHandler = {
  grantType: 'password',
  async handle(ctx, client, params, info): Promise<TokenResponse> {
    checkTrusted(client);
    const username = requireParam(params, 'username');
    const password = requireParam(params, 'password');
    const scope = formatScope(resolveRequestedScope(ctx.config, client, params.scope));
    const userId = await checkCredentials(ctx, username, password, info);
    const grant = await ctx.store.grants.create({ id: randomUUID(), clientId: client.id, userId, scope, createdAt: now(), context: {} });
    return issueTokens(ctx, { client, grant, scope, refresh: { scope } });
  },
};

/** Handing a user's password to an app is safe only when the app is the operator's own. */
function checkTrusted(client: Client): void {
  if (!client.trusted) throw unauthorizedClient('the password grant is for trusted (first-party) apps only');
}

function requireParam(params: Record<string, string>, name: string): string {
  const value = params[name];
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
