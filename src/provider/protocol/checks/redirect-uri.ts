import { matchRedirectUri } from '../clients.ts';
import { UnredirectableError, repeated, single, unredirectable, type AuthorizationCheck } from './request.ts';

/** RFC 6749 §3.1.2: one of the app's registered URIs, compared exactly (RFC 9700 §4.1.1). */
export const checkRedirectUri: AuthorizationCheck = {
  name: 'redirect_uri',
  endpoints: ['authorize', 'par'],
  parameters: ['redirect_uri'],
  run(_ctx, state) {
    const client = state.client!;
    if (repeated(state, 'redirect_uri')) throw new UnredirectableError(unredirectable.redirect_uri_repeated);
    const requested = single(state, 'redirect_uri');
    if (requested === undefined) {
      // §3.1.2.3: without one, the app's only registered URI is meant.
      if (client.redirectUris.length === 1) {
        state.redirectUri = client.redirectUris[0];
        return;
      }
      throw new UnredirectableError(unredirectable.redirect_uri_missing);
    }
    if (!matchRedirectUri(client, requested)) throw new UnredirectableError(unredirectable.redirect_uri_mismatch);
    state.redirectUri = requested;
  },
};
