import type { AuthorizationCheck } from './request.ts';

/**
 * `offline_access` (OpenID Connect Core §11) asks for a refresh token that works while the person
 * is away. Only a response type that returns a code can lead to one, so with any other (implicit)
 * the OP MUST ignore it: it is left out of what the request asks, and so of the consent page and
 * the granted scope. With a code, the consent page names it like any scope.
 */
export const checkOfflineAccess: AuthorizationCheck = {
  name: 'offline_access',
  endpoints: ['authorize', 'par'],
  parameters: [],
  run(_ctx, state) {
    if (state.responseType !== 'code' && state.scope?.includes('offline_access')) state.scope = state.scope.filter((name) => name !== 'offline_access');
  },
};
