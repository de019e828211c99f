import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

const acrValues = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * acr_values (OpenID Connect Core §3.1.2.1): the authentication context classes the app would like,
 * best first. Voluntary, so a sign-in that meets none of them still answers (§5.5.1.1). Grantry
 * has one class today, a password; the values are kept with the request, and are to be enforced
 * once sign-in has second factors (step-up).
 */
export const checkAcrValues: AuthorizationCheck = {
  name: 'acr_values',
  endpoints: ['authorize', 'par'],
  parameters: ['acr_values'],
  run(_ctx, state) {
    const value = single(state, 'acr_values');
    if (value !== undefined && (value.length > 512 || !acrValues.test(value))) throw invalidRequest('acr_values must be a space-separated list of values');
  },
};
