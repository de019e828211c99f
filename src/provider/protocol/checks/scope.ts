import { resolveRequestedScope } from '../scopes.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** RFC 6749 §3.3: each scope known to the provider and allowed to the app; the default when none is asked for. */
export const checkScope: AuthorizationCheck = {
  name: 'scope',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['scope'],
  run(ctx, state) {
    state.scope = resolveRequestedScope(ctx.config, state.client!, single(state, 'scope'));
  },
};
