import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/**
 * max_age (OpenID Connect Core §3.1.2.1): the most seconds since the person last signed in; an
 * older sign-in is asked again (../authorization.ts). A non-negative integer, or invalid_request.
 */
export const checkMaxAge: AuthorizationCheck = {
  name: 'max_age',
  endpoints: ['authorize', 'par'],
  parameters: ['max_age'],
  run(_ctx, state) {
    const maxAge = single(state, 'max_age');
    if (maxAge !== undefined && !/^\d{1,10}$/.test(maxAge)) throw invalidRequest('max_age must be a non-negative integer number of seconds');
  },
};

/** The request's max_age in seconds, when it has one. */
export function maxAgeOf(parameters: Readonly<Record<string, string>>): number | undefined {
  return parameters.max_age === undefined ? undefined : Number(parameters.max_age);
}
