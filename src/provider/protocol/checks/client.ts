import { UnredirectableError, repeated, single, unredirectable, type AuthorizationCheck } from './request.ts';

/** The app named by client_id. Until it and its redirect URI are known, errors are never redirected. */
export const checkClient: AuthorizationCheck = {
  name: 'client',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['client_id'],
  async run(ctx, state) {
    if (repeated(state, 'client_id')) throw new UnredirectableError(unredirectable.client_id_repeated);
    const clientId = single(state, 'client_id');
    if (!clientId) throw new UnredirectableError(unredirectable.client_id_missing);
    // An id no registration could have made is not worth a query (and a NUL would upset PostgreSQL).
    const plausible = clientId.length <= 200 && !clientId.includes('\0');
    const client = plausible ? await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds) : undefined;
    if (!client) throw new UnredirectableError(unredirectable.client_unknown, 'invalid_client');
    state.client = client;
  },
};
