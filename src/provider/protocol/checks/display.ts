import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

const displayValues = ['page', 'popup', 'touch', 'wap'];

/**
 * display (OpenID Connect Core §3.1.2.1): how the app shows the login and consent pages. Grantry's
 * pages fit every one of them (they are responsive), so any of the four is accepted as it is; a
 * value outside them is a malformed request.
 */
export const checkDisplay: AuthorizationCheck = {
  name: 'display',
  endpoints: ['authorize', 'par'],
  parameters: ['display'],
  run(_ctx, state) {
    const value = single(state, 'display');
    if (value !== undefined && !displayValues.includes(value)) throw invalidRequest(`display is one of ${displayValues.join(', ')}`);
  },
};
