import { invalidRequest, OAuthError, unauthorizedClient } from '../errors.ts';
import { grantForResponseType } from '../grants/index.ts';
import { normalizeResponseType } from '../grants/response-types.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** response_type names a grant the provider has on and the app holds (code; token, id_token or both for the implicit grant). */
export const checkResponseType: AuthorizationCheck = {
  name: 'response_type',
  endpoints: ['authorize', 'par'],
  parameters: ['response_type'],
  run(ctx, state) {
    const responseType = single(state, 'response_type');
    if (!responseType) throw invalidRequest('the response_type parameter is missing');
    const grant = grantForResponseType(ctx.config, responseType);
    if (!grant) throw new OAuthError('unsupported_response_type', `the response type "${responseType}" is not supported; use code`);
    if (!state.client!.grantTypes.includes(grant.grantType)) {
      throw unauthorizedClient(grant.grantType === 'implicit'
        ? 'this app may not use the implicit grant; use response_type=code with PKCE'
        : `this app may not use the ${grant.grantType} grant`);
    }
    // Kept in its one spelling: "token id_token" is "id_token token".
    state.responseType = normalizeResponseType(responseType);
  },
};
