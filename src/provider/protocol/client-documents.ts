import type { GrantryConfig } from '../../config/config.ts';
import { OutboundRefused, OutboundTimeout, OutboundUnacceptable, type FetchedJson } from '../../lib/outbound.ts';
import type { ProviderContext } from '../context.ts';
import type { Client } from '../storage.ts';
import { RegistrationError, checkRedirectUri, isLoopbackHost, validateClient } from './clients.ts';

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): an app that no one
// registered names itself by the https URL of a JSON document holding its metadata, and the
// provider fetches it. This is how MCP clients (revision 2025-11-25 on) meet an authorization
// server they have never seen. The document's app is kept as a client row (origin 'document'),
// which the stored requests, codes and grants refer to, and fetched again when its caching
// lifetime ends.

/** Why a document could not be used; the message names the reason in English, for the page and the log. */
export class ClientDocumentError extends Error {}

/** Fetches a document (src/lib/outbound.ts's fetchJson, with the SSRF guard): the context's, so that tests can count calls. */
export type ClientDocumentFetcher = (url: string) => Promise<FetchedJson>;

/** The longest client_id that is worth a look: URLs are longer than the 32 hex digits of an App Key. */
const maxClientIdUrlLength = 2000;

/** Whether an id is worth a query at all: not absurdly long, no NUL (which PostgreSQL refuses). */
export function isPlausibleClientId(id: string): boolean {
  return (id.length <= 200 || (id.length <= maxClientIdUrlLength && id.startsWith('http'))) && !id.includes('\0');
}

/**
 * Whether `clientId` is a client identifier URL this provider fetches (§3): https (http too on
 * loopback, in development), no userinfo, a path, no dot segments, no fragment, on an allowed
 * host; documents switched on. Anything else is an ordinary client_id, looked up as one.
 */
export function isClientIdUrl(config: GrantryConfig, clientId: string): boolean {
  const settings = config.clientIdMetadataDocuments;
  if (!settings.enabled || !clientId.startsWith('http') || clientId.length > maxClientIdUrlLength || !URL.canParse(clientId)) return false;
  const url = new URL(clientId);
  // Written as the URL parser would write it (no backslashes, tabs, upper-case host or default port
  // that it would quietly change): the id is compared as written, so it must be what is fetched.
  if (url.href !== clientId) return false;
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && settings.allowInsecureLoopback)) return false;
  if (loopback && !settings.allowInsecureLoopback) return false;
  if (url.username || url.password || clientId.includes('#')) return false;
  // A path beyond "/" (§3), and none of the dot segments (written plainly or percent-encoded) that the
  // URL parser would quietly resolve: the id is compared as written, so it must be what is fetched.
  const afterAuthority = clientId.slice(clientId.indexOf('//') + 2).search(/[/?#]/);
  const rest = afterAuthority === -1 ? '' : clientId.slice(clientId.indexOf('//') + 2 + afterAuthority);
  const path = rest.startsWith('/') ? rest.split(/[?#]/)[0]! : '';
  if (path === '' || path === '/' || /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path)) return false;
  return hostAllowed(settings.allowedHosts, url.hostname);
}

function hostAllowed(allowed: readonly string[], host: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern));
}

/**
 * The app a client_id names, for the endpoints where an app first shows up (the authorization
 * request, the token endpoint): the stored record, or for a client identifier URL the document's
 * app, fetched when it is not known yet or its caching lifetime has ended. Throws
 * ClientDocumentError when a document was needed and could not be used: the draft (§4.1) has the
 * request aborted then, never answered from a stale copy.
 */
export async function findClient(ctx: ProviderContext, clientId: string, options: { fresh?: boolean; knownOnly?: boolean } = {}): Promise<Client | undefined> {
  if (!isPlausibleClientId(clientId)) return undefined;
  const known = await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds, { ...(options.fresh ? { fresh: true } : {}) });
  if (known && known.origin !== 'document') return known;
  if (!isClientIdUrl(ctx.config, clientId)) return undefined;
  if (known && (known.documentExpiresAt ?? 0) > Math.floor(Date.now() / 1000)) return known;
  // Where an app must already be known (the token endpoint: no code or refresh token can exist for
  // an app never seen at the authorization endpoint), an unknown URL is not fetched at all, so that
  // client authentication cannot be used to make Grantry fetch, and keep, documents at will.
  if (!known && options.knownOnly) return undefined;
  // Requests for one document at once share its fetch and its save, so that the second waits for the app the first keeps.
  const pending = inFlight(ctx);
  const running = pending.get(clientId);
  if (running) return running;
  const resolving = (async () => {
    // Read again, within the shared work: a request that finished fetching between this one's
    // first look and now has kept the app, and its record is the answer.
    const latest = await ctx.store.clients.find(clientId);
    if (latest && (latest.origin !== 'document' || (latest.documentExpiresAt ?? 0) > Math.floor(Date.now() / 1000))) return latest;
    return fetchDocumentClient(ctx, clientId, latest ?? known);
  })().finally(() => pending.delete(clientId));
  pending.set(clientId, resolving);
  return resolving;
}

const resolvingByContext = new WeakMap<ProviderContext, Map<string, Promise<Client>>>();

function inFlight(ctx: ProviderContext): Map<string, Promise<Client>> {
  let pending = resolvingByContext.get(ctx);
  if (!pending) resolvingByContext.set(ctx, (pending = new Map()));
  return pending;
}

/** Fetches, checks and keeps the document's app; `known` is its record from an earlier fetch. */
async function fetchDocumentClient(ctx: ProviderContext, url: string, known: Client | undefined): Promise<Client> {
  let fetched: FetchedJson;
  try {
    fetched = await ctx.fetchClientDocument(url);
  } catch (error) {
    // What the document itself said is the app developer's to read; what the network said (where a
    // name resolves, which ports answer) is not for whoever opens the page, who may be anyone.
    const why = error instanceof OutboundUnacceptable ? error.message
      : error instanceof OutboundRefused ? (error.message.startsWith('too many') ? error.message : 'its address is not one Grantry calls')
        : error instanceof OutboundTimeout ? 'it did not answer in time' : 'it could not be reached';
    throw new ClientDocumentError(`The app's metadata document at ${url} could not be fetched: ${why}.`);
  }
  const at = Math.floor(Date.now() / 1000);
  const client = documentClient(ctx.config, url, fetched.body, at, known);
  client.documentExpiresAt = at + cacheLifetime(ctx.config, fetched.headers);
  return ctx.store.clients.saveFetched(client);
}

/**
 * The app a document describes, or ClientDocumentError. Properties Grantry does not know are
 * ignored (RFC 7591 §2: metadata is open-ended); those it knows must be well-formed.
 */
export function documentClient(config: GrantryConfig, url: string, body: unknown, at: number, known?: Client): Client {
  const refuse = (why: string) => new ClientDocumentError(`The app's metadata document at ${url} ${why}.`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refuse('is not a JSON object');
  const document = body as Record<string, unknown>;
  // §4: the document's client_id is the URL it was fetched from, compared as strings.
  if (document.client_id !== url) throw refuse(`names the client_id ${JSON.stringify(document.client_id)}, not its own URL`);
  const method = document.token_endpoint_auth_method ?? 'none';
  // §4.1: no shared secret can be set up through a document. Keys (private_key_jwt) are not taken yet.
  if (method !== 'none') throw refuse(`asks for token_endpoint_auth_method ${JSON.stringify(method)}; Grantry takes documents of public apps only ("none")`);
  if ('client_secret' in document) throw refuse('holds a client_secret, which a public document must not');
  const redirectUris = document.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((uri) => typeof uri === 'string')) {
    throw refuse('lists no redirect_uris (a list of strings)');
  }
  const host = new URL(url).hostname;
  for (const uri of redirectUris as string[]) {
    try {
      checkRedirectUri(uri);
    } catch (error) {
      if (error instanceof RegistrationError) throw refuse(`lists a redirect URI Grantry does not take: ${error.message}`);
      throw error;
    }
    // §7.1: an app may only send people back to its own host (or to the device it runs on), so that
    // a document cannot borrow a well-known app's callback and pass as that app.
    const target = new URL(uri);
    if (target.protocol === 'https:' && target.hostname !== host) throw refuse(`lists the redirect URI ${uri}, on another host than the document's (${host})`);
  }
  const onDevice = (redirectUris as string[]).some((uri) => new URL(uri).protocol !== 'https:');
  const asked = typeof document.scope === 'string' ? document.scope.split(' ').filter(Boolean) : [];
  const scopes = Object.keys(config.scopes).filter((scope) => asked.length === 0 || asked.includes(scope));
  // RFC 7591 §2: grant_types defaults to authorization_code alone; refresh tokens only when asked for.
  const wantsRefresh = Array.isArray(document.grant_types) && document.grant_types.includes('refresh_token');
  const name = typeof document.client_name === 'string' && document.client_name.trim() ? document.client_name.trim().slice(0, 100) : host;
  // Shown as the app's homepage: only on the document's own host, or a document could point at any site.
  const homepage = typeof document.client_uri === 'string' && URL.canParse(document.client_uri) && new URL(document.client_uri).protocol === 'https:' && new URL(document.client_uri).hostname === host ? document.client_uri : '';
  const client: Client = {
    id: url,
    ownerId: null,
    name,
    description: '',
    homepage,
    // Loopback and private-use-scheme callbacks are an app on the person's device (native, any
    // loopback port: RFC 8252 §7.3); https callbacks only, an app in the browser. Both are public.
    appType: onDevice ? 'native' : 'spa',
    secretHash: null,
    redirectUris: redirectUris as string[],
    scopes,
    grantTypes: ['authorization_code', ...(wantsRefresh && config.features.refreshToken ? (['refresh_token'] as const) : [])],
    pkceRequired: true,
    trusted: false,
    tokenFormat: 'jwt',
    createdAt: known?.createdAt ?? at,
    updatedAt: at,
    silentReturning: false,
    origin: 'document',
  };
  try {
    validateClient(client, config);
  } catch (error) {
    if (error instanceof RegistrationError) throw refuse(`describes an app Grantry cannot take: ${error.message}`);
    throw error;
  }
  return client;
}

/**
 * How long a fetched document is kept (RFC 9111 in brief): no-store, no-cache or max-age=0 keep it
 * the shortest time allowed; max-age (or s-maxage) and else Expires say how long; otherwise the
 * default. Always within the operator's bounds, so that a document can neither be fetched on every
 * request nor kept for ever.
 */
export function cacheLifetime(config: GrantryConfig, headers: FetchedJson['headers']): number {
  const { minCacheSeconds, maxCacheSeconds, defaultCacheSeconds } = config.clientIdMetadataDocuments;
  const bound = (seconds: number) => Math.min(maxCacheSeconds, Math.max(minCacheSeconds, Math.floor(seconds)));
  const cacheControl = String(headers['cache-control'] ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache)([\s,=]|$)/.test(cacheControl)) return bound(0);
  const maxAge = /(?:^|[\s,])(?:s-maxage|max-age)\s*=\s*"?(\d+)/.exec(cacheControl);
  if (maxAge) return bound(Number(maxAge[1]));
  const expires = typeof headers.expires === 'string' ? Date.parse(headers.expires) : NaN;
  if (Number.isFinite(expires)) return bound((expires - Date.now()) / 1000);
  return bound(defaultCacheSeconds);
}

/** Whether every redirect URI of the app is on the person's device (loopback or a private-use scheme): the consent page says so. */
export function redirectsOnlyToDevice(client: Pick<Client, 'redirectUris'>): boolean {
  return client.redirectUris.length > 0 && client.redirectUris.every((uri) => !URL.canParse(uri) || new URL(uri).protocol !== 'https:');
}
