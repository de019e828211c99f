import type { GrantryConfig } from '../../config/config.ts';
import type { Client } from '../storage.ts';
import { invalidRequest, invalidScope } from './errors.ts';

// Scopes as RFC 6749 §3.3 has them: a space-separated list of case-sensitive names.

const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function parseScope(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value.split(' ').filter(Boolean);
  for (const name of names) if (!scopeToken.test(name)) throw invalidRequest(`"${name}" is not a valid scope name`);
  return [...new Set(names)];
}

export const formatScope = (names: Iterable<string>) => [...names].join(' ');

/**
 * The scopes a request gets: what it asked for (or the default), each known to the provider and
 * allowed to the app, or a scope of an API the request names; anything else is `invalid_scope`.
 */
export function resolveRequestedScope(config: GrantryConfig, client: Pick<Client, 'scopes'>, requested: string | undefined, resourceScopes: readonly string[] = []): string[] {
  const names = parseScope(requested);
  const scopes = names.length > 0 ? names : client.scopes.includes(config.defaultScope) ? [config.defaultScope] : [];
  if (scopes.length === 0) throw invalidScope('no scope was requested and the app has no default scope');
  for (const name of scopes) {
    // A scope of an API the request names (RFC 8707): the API's to define, any app's to ask for; the
    // person's consent decides. Never one of the provider's own scopes, which stay the app's to hold.
    if (resourceScopes.includes(name) && !Object.hasOwn(config.scopes, name)) continue;
    if (!Object.hasOwn(config.scopes, name)) throw invalidScope(`the scope "${name}" is unknown`);
    if (!clientMayUse(client, name)) throw invalidScope(`the app is not allowed the scope "${name}"`);
  }
  return scopes;
}

/**
 * Whether an app may be granted a scope: one of its own, or openid, which is every app's — it adds
 * an ID token saying who logged in, which the code's uid already tells the app, so an app
 * registered before OpenID Connect need not be changed to ask for it (nor to keep it on refresh).
 */
export function clientMayUse(client: Pick<Client, 'scopes'>, scope: string): boolean {
  return scope === 'openid' || client.scopes.includes(scope);
}

/** Whether every scope in `wanted` is within `held` (both space-separated strings or lists). */
export function isSubset(wanted: string | string[], held: string | string[]): boolean {
  const have = new Set(typeof held === 'string' ? held.split(' ') : held);
  return (typeof wanted === 'string' ? wanted.split(' ').filter(Boolean) : wanted).every((name) => have.has(name));
}
