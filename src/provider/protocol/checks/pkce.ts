import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

const challengeFormat = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636, S256 only; required of every app that has not turned it off (only confidential apps may). */
export const checkPkce: AuthorizationCheck = {
  name: 'pkce',
  endpoints: ['authorize', 'par'],
  parameters: ['code_challenge', 'code_challenge_method'],
  run(_ctx, state) {
    const challenge = single(state, 'code_challenge');
    const method = single(state, 'code_challenge_method');
    if (state.responseType !== 'code') {
      if (challenge) throw invalidRequest('PKCE belongs to the authorization-code grant, not to the implicit grant');
      return;
    }
    if (!challenge) {
      if (method) throw invalidRequest('code_challenge_method was sent without a code_challenge');
      if (state.client!.pkceRequired) throw invalidRequest('this app must send a PKCE code_challenge (S256)');
      return;
    }
    // `plain` protects nothing against an attacker who can read the authorization request.
    if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256; plain is not accepted');
    if (!challengeFormat.test(challenge)) throw invalidRequest('code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
  },
};
