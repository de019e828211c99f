import { randomBytes } from 'node:crypto';
import type { GrantryConfig } from '../../config/config.ts';
import type { TokenFormat } from '../../config/defaults.ts';
import type { ProviderContext } from '../context.ts';
import type { ProviderStore, Resource } from '../storage.ts';
import { RegistrationError } from './clients.ts';
import { invalidTarget } from './errors.ts';
import { isLoopbackHost } from './loopback.ts';

// Resource indicators (RFC 8707): the APIs an operator registers, and the `resource` parameter
// that names them. A token asked for with resources has them as its audience, and only they accept
// it; without one, a token is for the issuer's own API (/api/me), as before. A resource is known
// by its URI exactly, as RFC 8707 §2 has clients send it.

export interface ResourceRegistration {
  uri: string;
  name: string;
  scopes?: string[];
  accessTokenLifetime?: number | null;
  /** 'jwt' unless given: 'opaque' for an API that wants tokens only it can ask the issuer about. */
  tokenFormat?: TokenFormat;
}

const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** An API's URI (RFC 8707 §2): absolute, no fragment, no query; https, or http on loopback (an API run locally). */
export function checkResourceUri(uri: string): void {
  const refuse = (why: string) => new RegistrationError(`the resource URI "${uri}" ${why}`, 'resource_uri', uri);
  if (!URL.canParse(uri)) throw refuse('is not an absolute URI');
  const url = new URL(uri);
  // Clients send it as it is written (RFC 8707 §2), and a stored request keeps repeated ones space-separated.
  if (url.href !== uri) throw refuse(`is not written as a URI is (${url.href})`);
  if (uri.includes('#')) throw refuse('has a fragment (RFC 8707 §2: it must not)');
  if (url.search) throw refuse('has a query (RFC 8707 §2: it should not)');
  if (url.username || url.password) throw refuse('may not carry credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw refuse('must use https (or http on a loopback host)');
}

function validateResource(resource: Resource, config: Pick<GrantryConfig, 'issuer' | 'scopes'>, others: readonly Resource[]): void {
  // The issuer's own API takes tokens without resource; as a resource its tokens would pass /api/me.
  if (resource.uri.replace(/\/$/, '') === config.issuer.replace(/\/$/, '')) throw new RegistrationError('the issuer itself is not a resource: tokens asked for without resource are for it', 'resource_uri_issuer', resource.uri);
  checkResourceUri(resource.uri);
  for (const scope of resource.scopes) {
    if (Object.hasOwn(config.scopes, scope)) throw new RegistrationError(`"${scope}" is one of the provider's own scopes; an API's scopes are its own`, 'resource_scope_provider', scope);
    // A scope names one API: a consent to it, and a token carrying it, then say which API it is for.
    const owner = others.find((other) => other.id !== resource.id && other.scopes.includes(scope));
    if (owner) throw new RegistrationError(`the scope "${scope}" belongs to ${owner.uri} already`, 'resource_scope_taken', scope);
  }
  if (!resource.name.trim()) throw new RegistrationError('a resource needs a name', 'resource_name');
  if (resource.name.length > 100) throw new RegistrationError('a resource name is at most 100 characters', 'resource_name');
  for (const scope of resource.scopes) if (!scopeToken.test(scope)) throw new RegistrationError(`"${scope}" is not a valid scope name`, 'resource_scope', scope);
  if (resource.accessTokenLifetime !== null && (!Number.isInteger(resource.accessTokenLifetime) || resource.accessTokenLifetime < 1)) {
    throw new RegistrationError('the access-token lifetime is a whole number of seconds, at least 1', 'resource_lifetime');
  }
  if (resource.tokenFormat !== 'jwt' && resource.tokenFormat !== 'opaque') throw new RegistrationError('the token format is jwt or opaque', 'resource_token_format', String(resource.tokenFormat));
}

export async function registerResource(store: ProviderStore, config: Pick<GrantryConfig, 'issuer' | 'scopes'>, input: ResourceRegistration): Promise<Resource> {
  const at = Math.floor(Date.now() / 1000);
  const resource: Resource = {
    id: randomBytes(12).toString('hex'),
    uri: input.uri,
    name: input.name,
    scopes: [...new Set(input.scopes ?? [])],
    accessTokenLifetime: input.accessTokenLifetime ?? null,
    tokenFormat: input.tokenFormat ?? 'jwt',
    createdAt: at,
    updatedAt: at,
  };
  validateResource(resource, config, await store.resources.list());
  await store.resources.create(resource);
  return resource;
}

export async function updateResource(store: ProviderStore, config: Pick<GrantryConfig, 'issuer' | 'scopes'>, id: string, patch: Partial<ResourceRegistration>): Promise<Resource> {
  const current = await store.resources.find(id);
  if (!current) throw new RegistrationError(`no resource has the id ${id}`);
  const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<Resource>;
  if (changes.scopes) changes.scopes = [...new Set(changes.scopes)];
  validateResource({ ...current, ...changes }, config, await store.resources.list());
  return (await store.resources.update(id, changes))!;
}

/**
 * The registered resources these `resource` values name, each once; invalid_target for a value
 * that is not an absolute URI without a fragment, or that names no registered resource (§2).
 */
export async function resolveResources(ctx: ProviderContext, values: readonly string[]): Promise<Resource[]> {
  // No resource named: no read (the hot paths of requests without one stay as they were).
  if (values.length === 0) return [];
  const registered = await ctx.store.resources.listCached(ctx.config.clientCacheSeconds);
  const found: Resource[] = [];
  for (const value of new Set(values)) {
    if (!URL.canParse(value) || value.includes('#')) throw invalidTarget(`the resource "${value.slice(0, 200)}" is not an absolute URI without a fragment`);
    const resource = registered.find((candidate) => candidate.uri === value);
    if (!resource) throw invalidTarget(`the resource "${value.slice(0, 200)}" is not an API this provider issues tokens for`);
    found.push(resource);
  }
  return found;
}

/**
 * The audience of a token asked for with `resource` at the token endpoint (RFC 8707 §2.2): within
 * what was authorized, never beyond. No resource asked: all that was authorized (or the issuer's own
 * API when nothing was).
 */
export function narrowedAudience(authorized: readonly string[] | undefined, requested: readonly string[]): string[] | undefined {
  if (requested.length === 0) return authorized && [...authorized];
  const outside = requested.find((uri) => !(authorized ?? []).includes(uri));
  if (outside !== undefined) throw invalidTarget(`the resource "${outside.slice(0, 200)}" was not authorized for this grant`);
  return [...new Set(requested)];
}

/**
 * A scope narrowed with its audience (RFC 8707 §2.2, §3): the provider's own scopes, and those of
 * the APIs still in the audience; another API's scopes go with that API.
 */
export async function scopeForAudience(ctx: ProviderContext, scope: string, authorized: readonly string[] | undefined, audience: readonly string[] | undefined): Promise<string> {
  if (!authorized?.length || (audience?.length ?? 0) === authorized.length) return scope;
  const kept = new Set(await scopesOfAudience(ctx, audience));
  const all = new Set(await scopesOfAudience(ctx, authorized));
  return scope.split(' ').filter((name) => !all.has(name) || kept.has(name)).join(' ');
}

/** The scopes the audience's resources define: what an app may be granted for them. */
export async function scopesOfAudience(ctx: ProviderContext, audience: readonly string[] | undefined): Promise<string[]> {
  if (!audience || audience.length === 0) return [];
  const registered = await ctx.store.resources.listCached(ctx.config.clientCacheSeconds);
  return registered.filter((resource) => audience.includes(resource.uri)).flatMap((resource) => resource.scopes);
}

/**
 * How an access token for an audience is made, read from one (cached) list of the APIs: its
 * lifetime, the shortest its resources set, else the grant's; its format, opaque when any of them
 * asks for opaque tokens (an API that wants tokens only it can ask about must not receive readable
 * ones, even shared with another), else a JWT, which carries its audience for the API to check. No
 * audience (the issuer's own API): the fallback, the app's own format.
 */
export async function accessTokenTermsForAudience(
  ctx: ProviderContext,
  audience: readonly string[] | undefined,
  fallback: { lifetime: number; format: TokenFormat },
): Promise<{ lifetime: number; format: TokenFormat }> {
  if (!audience || audience.length === 0) return fallback;
  const registered = await ctx.store.resources.listCached(ctx.config.clientCacheSeconds);
  const named = registered.filter((resource) => audience.includes(resource.uri));
  const lifetimes = named.filter((resource) => resource.accessTokenLifetime !== null).map((resource) => resource.accessTokenLifetime!);
  return {
    lifetime: lifetimes.length > 0 ? Math.min(...lifetimes) : fallback.lifetime,
    format: named.some((resource) => resource.tokenFormat === 'opaque') ? 'opaque' : 'jwt',
  };
}
