import type { GrantType } from '../../../config/defaults.ts';
import type { Client } from '../../../store/index.ts';
import type { ProviderContext } from '../../context.ts';
import { authenticateClient, type ClientCredentials } from '../client-auth.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from '../errors.ts';
import type { TokenResponse } from '../tokens/issue.ts';
import { authorizationCodeGrant } from './authorization-code.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import { passwordGrant } from './password.ts';
import { refreshTokenGrant } from './refresh-token.ts';

// The token endpoint (RFC 6749 §3.2) without HTTP: which grant, which client, then the grant's own
// chain of checks. Each grant is one module exporting { grantType, handle }.

/** What the HTTP layer knows about the request beyond its parameters. */
export interface TokenRequestInfo {
  /** The caller's address, for the login throttling of the password grant. */
  address: string;
}

export interface GrantHandler {
  grantType: Exclude<GrantType, 'implicit'>;
  handle(ctx: ProviderContext, client: Client, params: Record<string, string>, info: TokenRequestInfo): Promise<TokenResponse>;
}

const grantHandlers: ReadonlyMap<string, GrantHandler> = new Map(
  [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, passwordGrant].map((handler) => [handler.grantType, handler]),
);

export async function handleTokenRequest(
  ctx: ProviderContext,
  request: ClientCredentials & { info: TokenRequestInfo },
): Promise<TokenResponse> {
  const handler = findGrantHandler(request.params.grant_type);
  const { client } = await authenticateClient(ctx, request);
  checkGrantAllowed(client, handler.grantType);
  const response = await handler.handle(ctx, client, request.params, request.info);
  ctx.audit.record({ event: 'token_issued', clientId: client.id, userId: response.uid ?? null, ip: request.info.address, detail: { grant_type: handler.grantType } });
  return response;
}

function findGrantHandler(grantType: string | undefined): GrantHandler {
  if (grantType === undefined) throw invalidRequest('the grant_type parameter is missing');
  const handler = grantHandlers.get(grantType);
  if (!handler) {
    throw new OAuthError('unsupported_grant_type', `the grant type "${grantType}" is not supported here; use one of ${[...grantHandlers.keys()].join(', ')}`);
  }
  return handler;
}

/** Each app uses only the grants it registered for. */
function checkGrantAllowed(client: Client, grantType: GrantType): void {
  if (!client.grantTypes.includes(grantType)) throw unauthorizedClient(`this app is not allowed the ${grantType} grant`);
}
