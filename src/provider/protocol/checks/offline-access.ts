import { single, type AuthorizationCheck } from './request.ts';

/**
 * `offline_access` (OpenID Connect Core §11) asks for a refresh token that works while the person
 * is away. Only a response type that returns a code can lead to one, so with any other (implicit)
 * the OP MUST ignore it: it is taken out of the request before the scope is checked, as if never
 * asked (an app not allowed it is then not refused for it, and a request that asked only for it
 * gets the default scope). With a code, the consent page names it like any scope.
 */
export const checkOfflineAccess: AuthorizationCheck = {
  name: 'offline_access',
  endpoints: ['authorize', 'par'],
  parameters: [],
  run(_ctx, state) {
    if (state.responseType === 'code') return;
    const scope = single(state, 'scope');
    if (scope === undefined || !scope.split(' ').includes('offline_access')) return;
    const kept = scope.split(' ').filter((name) => name !== '' && name !== 'offline_access');
    const { scope: _asked, ...others } = state.params;
    state.params = kept.length > 0 ? { ...others, scope: kept.join(' ') } : others;
  },
};
