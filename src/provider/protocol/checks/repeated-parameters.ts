import { invalidRequest } from '../errors.ts';
import { repeated, type AuthorizationCheck } from './request.ts';

/** RFC 6749 §3.1: no parameter may be given twice. From here on, errors go to the app's redirect URI. */
export const checkNoRepeatedParameters: AuthorizationCheck = {
  name: 'repeated_parameters',
  endpoints: ['authorize', 'par', 'device'],
  parameters: [],
  run(_ctx, state) {
    const name = Object.keys(state.params).find((key) => repeated(state, key));
    if (name) throw invalidRequest(`the parameter "${name}" was given more than once`);
  },
};
