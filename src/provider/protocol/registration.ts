import type { AppType, GrantType } from '../../config/defaults.ts';
import { randomToken, safeEqual, sha256 } from '../../lib/crypto.ts';
import { throttledAddress } from '../../lib/address.ts';
import { bucketRetryAfter } from '../../lib/leaky-bucket.ts';
import type { ProviderContext } from '../context.ts';
import type { Client, ClientPatch, IdTokenAlgorithm, SubjectType } from '../storage.ts';
import { isConfidential, isLoopbackHost, registerClient, RegistrationError, updateClient, type Registration } from './clients.ts';
import { invalidRequest, OAuthError } from './errors.ts';

// Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), without HTTP:
// client metadata in, one of Grantry's app types out, registered through the same registerClient
// and validateClient as the console's apps. An app registered so has no owner (ownerId null), is
// never trusted, never gets the password or implicit grant, and always needs PKCE. Its
// registration access token is stored as its SHA-256 (Client.registrationTokenHash).

/** The grants an app may ask for when it registers itself: those that need no operator's trust. */
const selfServiceGrants: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const authMethods = ['none', 'client_secret_basic', 'client_secret_post'] as const;
type AuthMethod = (typeof authMethods)[number];

/** RFC 7591 §3.2.1 / RFC 7592 §3: what the provider says of a registered app. */
export interface ClientInformation {
  client_id: string;
  client_secret?: string;
  client_secret_expires_at?: number;
  client_id_issued_at: number;
  registration_access_token: string;
  registration_client_uri: string;
  client_name: string;
  client_uri?: string;
  redirect_uris: string[];
  grant_types: GrantType[];
  response_types: string[];
  token_endpoint_auth_method: AuthMethod;
  application_type: 'web' | 'native';
  scope: string;
  id_token_signed_response_alg?: IdTokenAlgorithm;
  subject_type?: SubjectType;
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
}

const invalidMetadata = (description: string) => new OAuthError('invalid_client_metadata', description);
const invalidRedirectUri = (description: string) => new OAuthError('invalid_redirect_uri', description);

/** RFC 6750 §3: the challenge of a 401 at the registration endpoints. */
function invalidRegistrationToken(description: string, presented: boolean): OAuthError {
  return new OAuthError('invalid_token', description, {
    headers: { 'www-authenticate': presented ? 'Bearer realm="grantry", error="invalid_token"' : 'Bearer realm="grantry"' },
  });
}

export function registrationEndpoint(ctx: Pick<ProviderContext, 'config'>): string {
  return `${ctx.config.issuer}/oauth2/register`;
}

/** The bearer token of an Authorization header (RFC 6750 §2.1), if it carries one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * One registration charged to the address's bucket (registration.perAddress per windowSeconds);
 * refused with 429 and Retry-After once it is full.
 */
export async function chargeRegistration(ctx: ProviderContext, address: string): Promise<void> {
  const { perAddress: limit, windowSeconds } = ctx.config.registration;
  const level = await ctx.store.throttle.charge(`register:${throttledAddress(address)}`, { limit, windowSeconds });
  if (level <= limit) return;
  const retryAfter = bucketRetryAfter(level, limit, windowSeconds);
  throw new OAuthError('temporarily_unavailable', `too many registrations from this address; try again in ${retryAfter} seconds`, {
    status: 429,
    headers: { 'retry-after': String(retryAfter) },
  });
}

/**
 * Registers an app from its metadata (RFC 7591 §3.1). In mode 'token' the caller's initial access
 * token loses one use first (given back if the metadata is then refused, so that a typo does not
 * spend a one-use token).
 */
export async function registerFromMetadata(ctx: ProviderContext, request: { authorization?: string; metadata: unknown; address: string }): Promise<ClientInformation> {
  await chargeRegistration(ctx, request.address);
  let takenFrom: string | undefined;
  if (ctx.config.registration.mode === 'token') {
    const token = bearerToken(request.authorization);
    if (!token) throw invalidRegistrationToken('registration needs an initial access token from the operator, as a Bearer token', false);
    const tokenHash = sha256(token);
    if (!(await ctx.store.initialAccessTokens.use(tokenHash, now()))) throw invalidRegistrationToken('the initial access token is unknown, expired or used up', true);
    takenFrom = tokenHash;
  }
  try {
    const registration = registrationOf(ctx, request.metadata, await apiScopes(ctx));
    const registrationToken = randomToken(32);
    const { client, clientSecret } = await registerClient(ctx.store, ctx.config, {
      ...registration,
      origin: 'registration',
      registrationTokenHash: sha256(registrationToken),
    }).catch(asMetadataError);
    ctx.audit.record({ event: 'app_created', clientId: client.id, ip: request.address, detail: { origin: 'registration' } });
    return clientInformation(ctx, client, registrationToken, clientSecret);
  } catch (error) {
    if (takenFrom) await ctx.store.initialAccessTokens.giveBack(takenFrom);
    throw error;
  }
}

/**
 * The self-registered app that the registration access token belongs to (RFC 7592 §2.1). An unknown
 * app, an app not registered this way and a wrong token all get the same 401: the answer says
 * nothing of whether the app exists.
 */
export async function authenticateRegistration(ctx: ProviderContext, clientId: string, authorization: string | undefined): Promise<{ client: Client; token: string }> {
  const token = bearerToken(authorization);
  if (!token) throw invalidRegistrationToken('the registration access token is required, as a Bearer token', false);
  const client = /^[0-9a-f]{32}$/.test(clientId) ? await ctx.store.clients.find(clientId) : undefined;
  const expected = client?.origin === 'registration' ? client.registrationTokenHash : undefined;
  // Compared even when there is nothing to compare with, so that the time taken says nothing either.
  const matches = safeEqual(sha256(token), expected ?? sha256(randomToken(32)));
  if (!client || !expected || !matches) throw invalidRegistrationToken('the registration access token is not valid for this client', true);
  return { client, token };
}

/** RFC 7592 §2.1: the app as registered now. */
export async function readRegistration(ctx: ProviderContext, clientId: string, authorization: string | undefined): Promise<ClientInformation> {
  const { client, token } = await authenticateRegistration(ctx, clientId, authorization);
  return clientInformation(ctx, client, token, null);
}

/**
 * RFC 7592 §2.2: the metadata replaced as a whole, validated as on registration. The body's
 * client_id must be the app's; a client_secret, when sent, must be its current one. The app's
 * kind (public or confidential, and which) cannot change: that would be a different app.
 */
export async function replaceRegistration(ctx: ProviderContext, clientId: string, authorization: string | undefined, metadata: unknown): Promise<ClientInformation> {
  const { client, token } = await authenticateRegistration(ctx, clientId, authorization);
  if (!isObject(metadata)) throw invalidMetadata('the body must be a JSON object of client metadata');
  if (metadata.client_id !== client.id) throw invalidRequest('client_id must be present and be this client\'s identifier (RFC 7592 §2.2)');
  if (metadata.client_secret !== undefined) {
    if (typeof metadata.client_secret !== 'string' || !client.secretHash || !safeEqual(sha256(metadata.client_secret), client.secretHash)) {
      throw invalidRequest('client_secret, when sent, must be the client\'s current secret (RFC 7592 §2.2)');
    }
  }
  const next = registrationOf(ctx, metadata, await apiScopes(ctx));
  if (next.appType !== client.appType) {
    throw invalidMetadata(`this client was registered as ${describeAppType(client.appType)}; it cannot become ${describeAppType(next.appType)} (register a new client instead)`);
  }
  const patch: ClientPatch = {
    name: next.name,
    homepage: next.homepage ?? '',
    redirectUris: next.redirectUris ?? [],
    grantTypes: next.grantTypes ?? [],
    scopes: next.scopes && next.scopes.length > 0 ? next.scopes : Object.keys(ctx.config.scopes),
    postLogoutRedirectUris: next.postLogoutRedirectUris ?? [],
    backchannelLogoutUri: next.backchannelLogoutUri ?? '',
    // RFC 7592 §2.2: a field left out of the replacement is as if never registered; for the algorithm,
    // that is RS256, the default (OpenID Connect Registration §2).
    idTokenSignedResponseAlg: next.idTokenSignedResponseAlg ?? 'RS256',
    // A pairwise app keeps its sector and subjects; only a registration may choose pairwise
    // (a departure from §2.2 on purpose: dropping it would change every id the app knows its users by).
    subjectType: next.subjectType ?? client.subjectType,
  };
  const updated = await updateClient(ctx.store, ctx.config, client.id, patch).catch(asMetadataError);
  ctx.audit.record({ event: 'app_updated', clientId: client.id, detail: { origin: 'registration' } });
  return clientInformation(ctx, updated, token, null);
}

/** RFC 7592 §2.3: the app and everything issued to it deleted; its registration access token dies with it. */
export async function deleteRegistration(ctx: ProviderContext, clientId: string, authorization: string | undefined): Promise<void> {
  const { client } = await authenticateRegistration(ctx, clientId, authorization);
  await ctx.store.clients.delete(client.id);
  ctx.audit.record({ event: 'app_deleted', clientId: client.id, detail: { name: client.name, origin: 'registration' } });
}

const describeAppType = (appType: AppType) => (isConfidential({ appType }) ? `a confidential (${appType}) client` : `a public (${appType}) client`);

/** RFC 7591 §2 client metadata → the registration Grantry makes of it. Unknown fields are ignored (§2). */
/** The scopes of the registered APIs (RFC 8707), which any app may ask for with the API named. */
async function apiScopes(ctx: ProviderContext): Promise<string[]> {
  return (await ctx.store.resources.listCached(ctx.config.clientCacheSeconds)).flatMap((resource) => resource.scopes);
}

/**
 * The registration a client's metadata asks for. `apiScopes` are the registered APIs' scopes: an
 * MCP client registers with the scopes its server's metadata lists, which are an API's, not the
 * provider's. They are taken and not kept on the app, since any app may ask for them with the API.
 */
export function registrationOf(ctx: Pick<ProviderContext, 'config'>, metadata: unknown, apiScopes: readonly string[] = []): Registration & { appType: AppType } {
  if (!isObject(metadata)) throw invalidMetadata('the body must be a JSON object of client metadata');
  const redirectUris = stringList(metadata, 'redirect_uris', invalidRedirectUri) ?? [];
  const authMethod = (optionalString(metadata, 'token_endpoint_auth_method') ?? 'client_secret_basic') as AuthMethod;
  if (!authMethods.includes(authMethod)) throw invalidMetadata(`token_endpoint_auth_method must be one of ${authMethods.join(', ')}`);
  const applicationType = optionalString(metadata, 'application_type');
  if (applicationType !== undefined && applicationType !== 'web' && applicationType !== 'native') throw invalidMetadata('application_type must be web or native');
  // §2: without grant_types, the client uses the authorization code grant only.
  const grantTypes = stringList(metadata, 'grant_types', invalidMetadata) ?? ['authorization_code'];
  for (const grantType of grantTypes) {
    if (!selfServiceGrants.includes(grantType)) throw invalidMetadata(`the grant type "${grantType}" cannot be registered here; a client may register ${selfServiceGrants.join(', ')}`);
  }
  const responseTypes = stringList(metadata, 'response_types', invalidMetadata) ?? (grantTypes.includes('authorization_code') ? ['code'] : []);
  // §2.1: response_types and grant_types must agree; "code" is the only response type a self-registered client gets.
  if (responseTypes.some((type) => type !== 'code')) throw invalidMetadata('the only response type a registered client may use is "code"');
  if (responseTypes.includes('code') !== grantTypes.includes('authorization_code')) {
    throw invalidMetadata('response_types "code" and grant_types "authorization_code" go together (RFC 7591 §2.1)');
  }
  const public_ = authMethod === 'none';
  if (public_ && grantTypes.includes('client_credentials')) throw invalidMetadata('client_credentials needs a client that authenticates (token_endpoint_auth_method client_secret_basic or client_secret_post)');
  // RFC 8252 §7.3: a client whose every redirect URI is loopback is a native app, whatever it forgot to say.
  const allLoopback = redirectUris.length > 0 && redirectUris.every((uri) => URL.canParse(uri) && new URL(uri).protocol === 'http:' && isLoopbackHost(new URL(uri).hostname));
  const appType: AppType = public_
    ? applicationType === 'native' || (applicationType === undefined && allLoopback)
      ? 'native'
      : 'spa'
    : grantTypes.length > 0 && grantTypes.every((grantType) => grantType === 'client_credentials')
      ? 'service'
      : 'web';
  if (appType === 'service' && redirectUris.length > 0) throw invalidRedirectUri('a client that only uses client_credentials has no redirect URIs');
  const scope = optionalString(metadata, 'scope');
  const named = scope === undefined ? [] : [...new Set(scope.split(' ').filter((part) => part !== ''))];
  for (const name of named) {
    if (!Object.hasOwn(ctx.config.scopes, name) && !apiScopes.includes(name)) {
      throw invalidMetadata(`unknown scope "${name}"; this provider has ${Object.keys(ctx.config.scopes).join(', ')}, and its registered APIs ${apiScopes.length > 0 ? apiScopes.join(', ') : 'none'}`);
    }
  }
  const scopes = named.filter((name) => Object.hasOwn(ctx.config.scopes, name));
  const name = optionalString(metadata, 'client_name')?.trim() || 'Unnamed client';
  const homepage = optionalString(metadata, 'client_uri');
  const alg = optionalString(metadata, 'id_token_signed_response_alg');
  const subjectType = optionalString(metadata, 'subject_type');
  const postLogoutRedirectUris = stringList(metadata, 'post_logout_redirect_uris', invalidMetadata);
  const backchannelLogoutUri = optionalString(metadata, 'backchannel_logout_uri');
  return {
    name,
    appType,
    ...(homepage ? { homepage } : {}),
    redirectUris: [...new Set(redirectUris)],
    scopes,
    grantTypes: [...new Set(grantTypes)],
    // A registration chooses none of what only an operator may give.
    pkceRequired: true,
    trusted: false,
    silentReturning: false,
    ownerId: null,
    ...(alg ? { idTokenSignedResponseAlg: alg as IdTokenAlgorithm } : {}),
    ...(subjectType ? { subjectType: subjectType as SubjectType } : {}),
    ...(postLogoutRedirectUris?.length ? { postLogoutRedirectUris } : {}),
    ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}),
  };
}

/** RFC 7591 §3.2.1: the client information response. */
export function clientInformation(ctx: Pick<ProviderContext, 'config'>, client: Client, registrationToken: string, clientSecret: string | null): ClientInformation {
  const confidential = isConfidential(client);
  return {
    client_id: client.id,
    // §3.2.1: client_secret_expires_at is required with a secret; 0: it does not expire.
    ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: client.createdAt,
    registration_access_token: registrationToken,
    registration_client_uri: `${registrationEndpoint(ctx)}/${client.id}`,
    client_name: client.name,
    ...(client.homepage ? { client_uri: client.homepage } : {}),
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    // The secret is presented as the app first said; Grantry accepts either way from a confidential app.
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    application_type: client.appType === 'native' ? 'native' : 'web',
    scope: client.scopes.join(' '),
    ...(client.idTokenSignedResponseAlg ? { id_token_signed_response_alg: client.idTokenSignedResponseAlg } : {}),
    ...(client.subjectType ? { subject_type: client.subjectType } : {}),
    ...(client.postLogoutRedirectUris?.length ? { post_logout_redirect_uris: client.postLogoutRedirectUris } : {}),
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri } : {}),
  };
}

/**
 * When a self-registered app obtains a token: its last use recorded, at most once a day, so that
 * housekeeping removes only the apps nobody uses (registration.unusedClientDays). Nothing at all
 * for the console's apps, and for a registered app used within the day by the record already in
 * hand; otherwise one conditional UPDATE. A failure is swallowed: bookkeeping never costs a token.
 */
export async function noteRegisteredClientUse(ctx: ProviderContext, client: Client): Promise<void> {
  if (client.origin !== 'registration' && client.origin !== 'document') return;
  const at = now();
  const staleBefore = at - dayInSeconds;
  if (client.lastUsedAt !== undefined && client.lastUsedAt >= staleBefore) return;
  await ctx.store.clients.markUsed(client.id, at, staleBefore).catch(() => false);
}

const dayInSeconds = 24 * 3600;

/** The RFC 7591 errors of registerClient's refusals: redirect URIs apart from the rest (§3.2.2). */
function asMetadataError(error: unknown): never {
  if (error instanceof RegistrationError) {
    const isRedirect = error.code.startsWith('redirect_uri');
    throw (isRedirect ? invalidRedirectUri : invalidMetadata)(error.message);
  }
  throw error;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(metadata: Record<string, unknown>, name: string): string | undefined {
  const value = metadata[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidMetadata(`${name} must be a string`);
  if (value.length > 2000) throw invalidMetadata(`${name} is longer than 2000 characters`);
  return value;
}

function stringList(metadata: Record<string, unknown>, name: string, refuse: (description: string) => OAuthError): string[] | undefined {
  const value = metadata[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw refuse(`${name} must be an array of strings`);
  if (value.length > 50) throw refuse(`${name} may hold at most 50 entries`);
  if (value.some((item: string) => item.length > 2000)) throw refuse(`an entry of ${name} is longer than 2000 characters`);
  return value as string[];
}

const now = () => Math.floor(Date.now() / 1000);
