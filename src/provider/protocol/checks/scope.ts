import { resolveRequestedScope } from '../scopes.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** RFC 6749 §3.3: each scope known to the provider and allowed to the app; the default when none is asked for. */
export const checkScope: AuthorizationCheck = {
  name: 'scope',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['scope'],
  run(ctx, state) {
    // The scopes of the APIs named with `resource` may be asked for too (./resource.ts runs first).
    state.scope = resolveRequestedScope(ctx.config, state.client!, single(state, 'scope'), state.resources?.flatMap((resource) => resource.scopes));
  },
};
