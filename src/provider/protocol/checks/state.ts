import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** state is echoed back; the implicit grant requires it, since no PKCE binds its token to the browser that asked. */
export const checkState: AuthorizationCheck = {
  name: 'state',
  endpoints: ['authorize', 'par'],
  parameters: ['state'],
  run(_ctx, state) {
    if (state.responseType === 'token' && !single(state, 'state')) throw invalidRequest('the implicit grant requires a state parameter');
  },
};
