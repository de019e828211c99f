import { invalidRequest } from '../errors.ts';
import { repeated, type AuthorizationCheck } from './request.ts';
import { checkResource } from './resource.ts';

/** The parameters a check lets repeat (RFC 8707's resource). */
const repeatable = new Set(checkResource.repeatable);

/** RFC 6749 §3.1: no parameter may be given twice, but those that are lists. From here on, errors go to the app's redirect URI. */
export const checkNoRepeatedParameters: AuthorizationCheck = {
  name: 'repeated_parameters',
  endpoints: ['authorize', 'par', 'device'],
  parameters: [],
  run(_ctx, state) {
    const name = Object.keys(state.params).find((key) => repeated(state, key) && !repeatable.has(key));
    if (name) throw invalidRequest(`the parameter "${name}" was given more than once`);
  },
};
