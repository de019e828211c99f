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
    if (value !== '') params[name] = value;
  }
  return params;
}
