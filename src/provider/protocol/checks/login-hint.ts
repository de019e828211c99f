import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** Longer than any username or email address Grantry takes. */
export const maxLoginHintLength = 256;

/**
 * login_hint (OpenID Connect Core §3.1.2.1): who the app thinks will sign in. Kept with the request,
 * it fills in the username on the login page, and nothing else: it proves nothing.
 */
export const checkLoginHint: AuthorizationCheck = {
  name: 'login_hint',
  endpoints: ['authorize', 'par'],
  parameters: ['login_hint'],
  run(_ctx, state) {
    const hint = single(state, 'login_hint');
    if (hint !== undefined && hint.length > maxLoginHintLength) throw invalidRequest(`login_hint must be at most ${maxLoginHintLength} characters`);
  },
};
