import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** Longer than any client needs (a 256-bit value is 43 characters), short enough to keep with the grant. */
export const maxNonceLength = 512;

/**
 * `nonce` (OpenID Connect Core §3.1.2.1): passed through unchanged into the ID token of the code
 * exchange, so that the app can tell the token answers its own request. Kept as a fact of the
 * request; without `openid` it is kept too, and simply never used.
 */
export const checkNonce: AuthorizationCheck = {
  name: 'nonce',
  endpoints: ['authorize', 'par'],
  parameters: ['nonce'],
  run(_ctx, state) {
    const nonce = single(state, 'nonce');
    if (nonce === undefined) return;
    if (nonce.length > maxNonceLength) throw invalidRequest(`nonce must be at most ${maxNonceLength} characters`);
    state.facts.nonce = nonce;
  },
};
