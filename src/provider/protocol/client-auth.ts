import { safeEqual, sha256 } from '../../lib/crypto.ts';
import type { Client } from '../storage.ts';
import type { ProviderContext } from '../context.ts';
import { isConfidential } from './clients.ts';
import { ClientDocumentError, findClient, isPlausibleClientId } from './client-documents.ts';
import { invalidClient, invalidRequest } from './errors.ts';

// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, and "none" for public apps, which cannot keep a secret
// and prove nothing but their id (PKCE protects their codes instead).

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientCredentials {
  /** The Authorization header as received, if any. */
  authorization?: string;
  /** The request's form parameters (already checked for repeats). */
  params: Record<string, string>;
}

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

interface PresentedCredentials {
  clientId: string;
  clientSecret: string | undefined;
  method: ClientAuthMethod;
}

/** Whether the request tried HTTP Basic. */
export function usesBasicAuth(authorization: string | undefined): boolean {
  return authorization !== undefined && /^basic /i.test(authorization.trimStart());
}

/**
 * RFC 6749 §5.2: a client that tried the Authorization header and failed gets 401 with a
 * challenge; Basic is the only scheme accepted here, so Basic is what is challenged, whichever
 * scheme was tried.
 */
export function triedAuthorizationHeader(authorization: string | undefined): boolean {
  return authorization !== undefined && authorization.trim() !== '';
}

/**
 * One statement, the client lookup; none while the client's record is cached. A record from the
 * cache that refuses the credentials is read again once before the refusal: its secret may have
 * been rotated on another instance since it was cached (see src/store/client-cache.ts).
 */
export async function authenticateClient(ctx: ProviderContext, credentials: ClientCredentials): Promise<AuthenticatedClient> {
  const presented = readCredentials(credentials);
  // An id no registration could have made is not worth a query (and a NUL would upset PostgreSQL).
  const plausible = isPlausibleClientId(presented.clientId);
  const maxAge = ctx.config.clientCacheSeconds;
  const cached = plausible ? ctx.store.clients.cached(presented.clientId, maxAge) : undefined;
  if (cached && matches(cached, presented) && !documentDue(cached)) return { client: cached, method: presented.method };
  // Not held in memory, or held but refused (its secret may have been rotated on another
  // instance since): the store's record decides. Every refusal costs this one read, whether the
  // app exists or not, so that neither the answer nor its time tells which client_ids exist. An
  // app known by its metadata document is fetched again once its document's lifetime is over.
  let client: Client | undefined;
  try {
    client = plausible ? await findClient(ctx, presented.clientId, { fresh: true, knownOnly: true }) : undefined;
  } catch (error) {
    if (error instanceof ClientDocumentError) throw invalidClient(error.message);
    throw error;
  }
  if (!client) return refuseUnknown(presented);
  if (matches(client, presented)) return { client, method: presented.method };
  throw authenticationFailed();
}

/** Whether an app known by its metadata document must be fetched again before it is believed. */
function documentDue(client: Client): boolean {
  return client.origin === 'document' && (client.documentExpiresAt ?? 0) <= Math.floor(Date.now() / 1000);
}

/** Authentication that a public app cannot pass: for endpoints that only servers may use. */
export async function authenticateConfidentialClient(ctx: ProviderContext, credentials: ClientCredentials): Promise<AuthenticatedClient> {
  const authenticated = await authenticateClient(ctx, credentials);
  // A confidential client has always proved its secret by now; a public one has proved nothing.
  if (!isConfidential(authenticated.client)) throw invalidClient('only confidential apps (web, service) may use this endpoint: it requires a client secret');
  return authenticated;
}

function readCredentials({ authorization, params }: ClientCredentials): PresentedCredentials {
  if (authorization !== undefined && authorization.trim() !== '') {
    if (!usesBasicAuth(authorization)) throw invalidClient('the Authorization header must use the Basic scheme here');
    const basic = decodeBasic(authorization);
    // RFC 6749 §2.3: a client uses one authentication method per request.
    if (params.client_secret !== undefined) throw invalidRequest('the client authenticated both with HTTP Basic and with client_secret in the body; use one');
    if (params.client_id !== undefined && params.client_id !== basic.clientId) {
      throw invalidRequest('the client_id in the body differs from the one in the Authorization header');
    }
    // A public app may send "id:" over Basic, as some libraries do: that proves no more than "none".
    return { ...basic, method: basic.clientSecret === undefined ? 'none' : 'client_secret_basic' };
  }
  const clientId = params.client_id;
  if (clientId === undefined) throw invalidClient('the request names no client: send client_id, or authenticate with HTTP Basic');
  const clientSecret = params.client_secret;
  return { clientId, clientSecret, method: clientSecret === undefined ? 'none' : 'client_secret_post' };
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined and base64-encoded. */
function decodeBasic(authorization: string): { clientId: string; clientSecret: string | undefined } {
  const encoded = authorization.trim().slice('basic'.length).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw invalidClient('the Basic credentials are not valid base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('the Basic credentials have no colon between client id and secret');
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (!clientId) throw invalidClient('the Basic credentials have an empty client id');
  return { clientId, clientSecret: clientSecret === '' ? undefined : clientSecret };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('the Basic credentials are not correctly form-urlencoded');
  }
}

/**
 * RFC 6749 §5.2: every refusal that depends on the stored app — no such app, a wrong or missing
 * secret, a secret sent for a public app — is the same invalid_client with the same words, so that
 * an answer tells nobody which client_ids exist or what they are.
 */
const authenticationFailed = () => invalidClient('client authentication failed: an unknown client_id, or credentials that do not match it');

/** An unknown client costs what a known one does (the hash and the comparison), then is refused the same way. */
function refuseUnknown(presented: PresentedCredentials): never {
  safeEqual(sha256(presented.clientSecret ?? ''), unknownClientHash);
  throw authenticationFailed();
}
const unknownClientHash = sha256('no app has this client_id');

/** Whether the presented credentials are right for this app, in constant time for its secret. */
function matches(client: Client, presented: PresentedCredentials): boolean {
  const confidential = isConfidential(client) || client.secretHash !== null;
  if (!confidential) return presented.clientSecret === undefined;
  if (presented.clientSecret === undefined || client.secretHash === null) return false;
  return safeEqual(sha256(presented.clientSecret), client.secretHash);
}
