import { invalidRequest } from '../protocol/errors.ts';

/**
 * The parameters of an OAuth request as single strings. RFC 6749 §3.1 and §3.2: parameters must
 * not be included more than once, so a repeated one is `invalid_request`; empty values count as
 * absent.
 */
export function singleParams(source: unknown): Record<string, string> {
  const params: Record<string, string> = {};
  if (!source || typeof source !== 'object') return params;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (Array.isArray(value)) throw invalidRequest(`the parameter "${name}" was given more than once`);
    if (typeof value !== 'string') continue;
    // No OAuth parameter has a use for a NUL, and PostgreSQL refuses one in text.
    if (value.includes('\0')) throw invalidRequest(`the parameter "${name}" holds a NUL character`);
    if (value !== '') params[name] = value;
  }
  return params;
}

/**
 * The parameters of a token request: strings, or lists of strings where a parameter was repeated
 * (the grant decides whether it may be); empty values count as absent.
 */
export function tokenParams(source: unknown): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  if (!source || typeof source !== 'object') return params;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
    // No OAuth parameter has a use for a NUL, and PostgreSQL refuses one in text.
    if (values.some((item) => item.includes('\0'))) throw invalidRequest(`the parameter "${name}" holds a NUL character`);
    if (Array.isArray(value)) params[name] = values;
    else if (values[0] !== undefined && values[0] !== '') params[name] = values[0];
  }
  return params;
}

/**
 * The parameters of an authorization request, as strings or (where repeated) lists of strings;
 * anything else a JSON body could carry is dropped. Repeats are kept so that the checks can tell
 * whether they may redirect before they refuse them.
 */
export function authorizationParams(source: unknown): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  if (!source || typeof source !== 'object') return params;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (typeof value === 'string') params[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) params[name] = value as string[];
  }
  return params;
}
