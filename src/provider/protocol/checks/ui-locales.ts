import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

export const languageTags = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$/;

/**
 * ui_locales (OpenID Connect Core §3.1.2.1): the languages the app would like the login and
 * consent pages in, as BCP 47 tags, best first. A language Grantry does not speak is not an error;
 * the pages pick the first it does (see pickLocale), after the person's own choice on the site.
 */
export const checkUiLocales: AuthorizationCheck = {
  name: 'ui_locales',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['ui_locales'],
  run(_ctx, state) {
    const value = single(state, 'ui_locales');
    if (value !== undefined && (value.length > 200 || !languageTags.test(value))) {
      throw invalidRequest('ui_locales must be a space-separated list of BCP 47 language tags');
    }
  },
};
