import { invalidRequest } from '../errors.ts';
import { verifyIdTokenHint } from '../tokens/id-token.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** An ID token is a few hundred characters; anything this long is not one of ours. */
export const maxIdTokenHintLength = 8192;

/**
 * id_token_hint (OpenID Connect Core §3.1.2.1): an ID token this provider issued, naming who the
 * app saw log in. One that is not ours (another signature, issuer or type) or not this app's is invalid_request; a
 * good one whose subject is not the person signed in asks for a sign-in, or with prompt=none is
 * login_required (../authorization.ts).
 */
export const checkIdTokenHint: AuthorizationCheck = {
  name: 'id_token_hint',
  endpoints: ['authorize', 'par'],
  parameters: ['id_token_hint'],
  async run(ctx, state) {
    const hint = single(state, 'id_token_hint');
    if (hint === undefined) return;
    const verified = hint.length > maxIdTokenHintLength ? undefined : await verifyIdTokenHint(ctx, hint);
    if (!verified) throw invalidRequest('id_token_hint is not an ID token this provider issued');
    // Another app's ID token would let this app ask, with prompt=none, whether that app's user is the one signed in here.
    if (verified.aud !== state.client?.id) throw invalidRequest('id_token_hint was issued to another app');
  },
};
