import type { ProviderContext } from '../context.ts';
import type { AuthorizationParameters } from '../storage.ts';
import { authenticateClient } from './client-auth.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from './errors.ts';
import type { TokenRequestInfo } from './grants/grant.ts';
import { enabledGrants, findGrant } from './grants/index.ts';
import { assembleTokenResponse, type TokenResponse } from './issuance/response.ts';
import { noteRegisteredClientUse } from './registration.ts';

// The token endpoint (RFC 6749 §3.2) without HTTP: which grant, which client, then the grant's own
// checks; the grant decides what to issue, and the contributors make the response.

export interface TokenEndpointRequest {
  /** The Authorization header as received, if any. */
  authorization?: string;
  /** The form's parameters; a list where a parameter was repeated. */
  params: AuthorizationParameters;
  info: TokenRequestInfo;
}

export async function handleTokenRequest(ctx: ProviderContext, request: TokenEndpointRequest): Promise<TokenResponse> {
  const { params } = request;
  const grantType = params.grant_type;
  if (Array.isArray(grantType)) throw invalidRequest('the parameter "grant_type" was given more than once');
  const grant = grantType === undefined ? undefined : findGrant(ctx.config, grantType);
  // §3.2: a parameter may not be repeated, unless the grant says it may (RFC 8707's resource).
  const repeatable = new Set(grant?.parameters.filter((parameter) => parameter.repeatable).map((parameter) => parameter.name));
  const repeated = Object.keys(params).find((name) => Array.isArray(params[name]) && !repeatable.has(name));
  if (repeated) throw invalidRequest(`the parameter "${repeated}" was given more than once`);
  if (grantType === undefined) throw invalidRequest('the grant_type parameter is missing');
  if (!grant?.exchange) {
    const supported = enabledGrants(ctx.config).filter((candidate) => candidate.exchange).map((candidate) => candidate.grantType);
    throw new OAuthError('unsupported_grant_type', `the grant type "${grantType}" is not supported here; use one of ${supported.join(', ')}`);
  }

  const { client } = await authenticateClient(ctx, { authorization: request.authorization, params: singleValues(params) });
  // Each app uses only the grants it registered for.
  if (!client.grantTypes.includes(grant.grantType)) throw unauthorizedClient(`this app is not allowed the ${grant.grantType} grant`);
  const issuance = await grant.exchange(ctx, { client, params, info: request.info });
  const response = await assembleTokenResponse(ctx, issuance);
  // Nothing for the console's apps; for one no person registered (self-registered, or known by its
  // metadata document), one conditional UPDATE a day at most, so that housekeeping can tell the unused.
  if (client.origin === 'registration' || client.origin === 'document') await noteRegisteredClientUse(ctx, client);
  ctx.audit.record({ event: 'token_issued', clientId: client.id, userId: issuance.context.userId, ip: request.info.address, detail: { grant_type: grant.grantType } });
  return response;
}

function singleValues(params: AuthorizationParameters): Record<string, string> {
  const singles: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) if (typeof value === 'string') singles[name] = value;
  return singles;
}
