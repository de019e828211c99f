import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';
import { languageTags } from './ui-locales.ts';

/**
 * claims_locales (OpenID Connect Core §5.2): the languages the app would like claims in. Grantry
 * holds each claim in one language, so there is nothing to choose; a well-formed list is kept with
 * the request, and a malformed one refused as ui_locales is.
 */
export const checkClaimsLocales: AuthorizationCheck = {
  name: 'claims_locales',
  endpoints: ['authorize', 'par'],
  parameters: ['claims_locales'],
  run(_ctx, state) {
    const value = single(state, 'claims_locales');
    if (value !== undefined && (value.length > 200 || !languageTags.test(value))) {
      throw invalidRequest('claims_locales must be a space-separated list of BCP 47 language tags');
    }
  },
};
