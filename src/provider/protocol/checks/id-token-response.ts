import { invalidRequest } from '../errors.ts';
import { returnsIdToken } from '../grants/response-types.ts';
import { single, type AuthorizationCheck } from './request.ts';

/**
 * A response type that returns an ID token from the authorization endpoint (`id_token`,
 * `id_token token`: OpenID Connect Core §3.2) is an OpenID request, so it needs the `openid` scope,
 * and it needs a nonce (§3.2.2.1: REQUIRED), the one thing that binds a token in a URL fragment to
 * the request the app made.
 */
export const checkIdTokenResponse: AuthorizationCheck = {
  name: 'id_token response',
  endpoints: ['authorize', 'par'],
  parameters: [],
  run(_ctx, state) {
    if (!state.responseType || !returnsIdToken(state.responseType)) return;
    if (!state.scope?.includes('openid')) throw invalidRequest(`response_type=${state.responseType} returns an ID token: the scope must include openid`);
    if (single(state, 'nonce') === undefined) throw invalidRequest(`response_type=${state.responseType} requires a nonce (OpenID Connect Core §3.2.2.1)`);
  },
};
