import { resolveResources } from '../resources.ts';
import { listed, type AuthorizationCheck } from './request.ts';

/**
 * `resource` (RFC 8707 §2), once or more: the APIs the app wants its tokens for. Each must be a
 * registered resource, named by its URI exactly; any other is invalid_target. They become the
 * tokens' audience (a fact of the request), and their scopes may be asked for (./scope.ts).
 * Without one, tokens are for the issuer's own API, as before.
 */
export const checkResource: AuthorizationCheck = {
  name: 'resource',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['resource'],
  repeatable: ['resource'],
  async run(ctx, state) {
    const values = listed(state, 'resource');
    if (values.length === 0) return;
    state.resources = await resolveResources(ctx, values);
    state.facts.audience = state.resources.map((resource) => resource.uri);
  },
};
