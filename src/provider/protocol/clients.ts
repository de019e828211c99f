import { randomBytes } from 'node:crypto';
import {
  appTypes,
  confidentialAppTypes,
  defaultGrantTypes,
  type AppType,
  type GrantType,
  type TokenFormat,
} from '../../config/defaults.ts';
import { randomToken, sha256 } from '../../lib/crypto.ts';
import type { ProviderStore } from '../storage.ts';
import type { Client, ClientOrigin, ClientPatch, IdTokenAlgorithm, SubjectType } from '../storage.ts';
import { isLoopbackHost } from './loopback.ts';
import { sectorOf } from './subject.ts';

export { isLoopbackHost } from './loopback.ts';

export const idTokenAlgorithms: readonly IdTokenAlgorithm[] = ['RS256', 'EdDSA'];
import { findGrant, grantModules } from './grants/index.ts';
import type { GrantryConfig } from '../../config/config.ts';

// Registering and changing apps: the rules of the developer platform, shared by the web console
// and the command line.

/**
 * A registration the rules refuse. The message is English for the command line; `code` (and
 * `value`, the offending input) let a page say the same in the reader's language and point at the field.
 */
export class RegistrationError extends Error {
  constructor(
    message: string,
    readonly code: string = 'invalid',
    readonly value?: string,
  ) {
    super(message);
  }
}

export interface Registration {
  name: string;
  appType: AppType;
  description?: string;
  homepage?: string;
  redirectUris?: string[];
  scopes?: string[];
  grantTypes?: GrantType[];
  /** Only confidential apps may turn PKCE off (legacy clients that send no code_challenge). */
  pkceRequired?: boolean;
  trusted?: boolean;
  tokenFormat?: TokenFormat;
  ownerId?: string | null;
  /** Only an operator sets it: see Client.silentReturning. */
  silentReturning?: boolean;
  idTokenSignedResponseAlg?: IdTokenAlgorithm;
  postLogoutRedirectUris?: string[];
  subjectType?: SubjectType;
  /** Only an operator sets it: see Client.sectorIdentifier. */
  sectorIdentifier?: string;
  backchannelLogoutUri?: string;
  /** How the app came to be known (absent: 'console'); see Client.origin. */
  origin?: ClientOrigin;
  /** SHA-256 of a self-registered app's registration access token (RFC 7592). */
  registrationTokenHash?: string;
}

export const isConfidential = (client: Pick<Client, 'appType'>) => confidentialAppTypes.includes(client.appType);

const now = () => Math.floor(Date.now() / 1000);

/** An App Key: 16 random bytes as 32 hex digits — safe in any URL, form or log line. */
export function newClientId(): string {
  return randomBytes(16).toString('hex');
}

/** Registers an app. Returns the secret in plain once; only its SHA-256 is stored. */
export async function registerClient(
  store: ProviderStore,
  config: GrantryConfig,
  input: Registration,
): Promise<{ client: Client; clientSecret: string | null }> {
  const at = now();
  const appType = input.appType;
  const draft: Client = {
    id: newClientId(),
    ownerId: input.ownerId ?? null,
    name: input.name,
    description: input.description ?? '',
    homepage: input.homepage ?? '',
    appType,
    secretHash: null,
    redirectUris: input.redirectUris ?? [],
    scopes: input.scopes && input.scopes.length > 0 ? input.scopes : Object.keys(config.scopes),
    grantTypes: input.grantTypes && input.grantTypes.length > 0 ? input.grantTypes : defaultGrantTypes[appType],
    pkceRequired: input.pkceRequired ?? true,
    trusted: input.trusted ?? false,
    tokenFormat: input.tokenFormat ?? 'jwt',
    createdAt: at,
    updatedAt: at,
    silentReturning: input.silentReturning ?? false,
    ...(input.idTokenSignedResponseAlg ? { idTokenSignedResponseAlg: input.idTokenSignedResponseAlg } : {}),
    ...(input.postLogoutRedirectUris?.length ? { postLogoutRedirectUris: input.postLogoutRedirectUris } : {}),
    ...(input.subjectType ? { subjectType: input.subjectType } : {}),
    ...(input.sectorIdentifier ? { sectorIdentifier: input.sectorIdentifier } : {}),
    ...(input.backchannelLogoutUri ? { backchannelLogoutUri: input.backchannelLogoutUri } : {}),
    ...(input.origin && input.origin !== 'console' ? { origin: input.origin } : {}),
    ...(input.registrationTokenHash ? { registrationTokenHash: input.registrationTokenHash } : {}),
  };
  validateClient(draft, config);
  fixSector(draft);
  const clientSecret = isConfidential(draft) ? randomToken(32) : null;
  draft.secretHash = clientSecret ? sha256(clientSecret) : null;
  await store.clients.create(draft);
  return { client: draft, clientSecret };
}

/** Changes what registration set; the result is validated as a whole. */
export async function updateClient(store: ProviderStore, config: GrantryConfig, id: string, patch: ClientPatch): Promise<Client> {
  const current = await store.clients.find(id);
  if (!current) throw new RegistrationError(`no app has the id ${id}`);
  const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Client;
  validateClient(next, config);
  const sector = fixSector(next);
  return (await store.clients.update(id, sector ? { ...patch, sectorIdentifier: sector } : patch))!;
}

/**
 * An app that is (or becomes) pairwise keeps the sector it had then as its sectorIdentifier, so
 * that its redirect URIs may move without changing anyone's subject (Core §8, §12.2: a subject is
 * never reassigned). Returns the sector when it was fixed just now.
 */
function fixSector(client: Client): string | undefined {
  if (client.subjectType !== 'pairwise' || client.sectorIdentifier) return undefined;
  client.sectorIdentifier = sectorOf(client);
  return client.sectorIdentifier;
}

/**
 * What an app's owner may not change, even signed in recently: a pairwise app's redirect URIs onto
 * a host outside its sector. Its subjects are its sector's; with a callback on another host, an
 * app registered for someone else's host (where it can receive nothing) could collect that host's
 * apps' subjects. An operator, who sets sectors, may (the command line).
 */
export function ownerRefusal(client: Client, patch: ClientPatch): RegistrationError | undefined {
  const next = { ...client, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Client;
  if (next.subjectType !== 'pairwise') return undefined;
  const sector = next.sectorIdentifier || sectorOf(client.subjectType === 'pairwise' ? client : next);
  if (!sector || sector.startsWith('client:')) return undefined;
  const outside = next.redirectUris.find((uri) => URL.canParse(uri) && new URL(uri).hostname !== sector);
  return outside ? new RegistrationError(`the app's user ids are those of ${sector}: a callback URL on another host needs an operator`, 'redirect_uri_sector', outside) : undefined;
}

/**
 * The changes to an app that could send its users' codes and tokens somewhere new, or let them be
 * taken with less: a redirect URI added, the implicit grant turned on, PKCE turned off (rotating
 * the secret is another; it has its own route). Whoever asks for one must have signed in recently
 * (login.reauthenticationSeconds), so that a stolen session cookie alone cannot make it; so does
 * deleting the app, which cannot be undone. A redirect URI removed needs nothing: it can only stop
 * codes going somewhere.
 */
export type SensitiveChange = 'redirect_uri_added' | 'post_logout_redirect_uri_added' | 'backchannel_logout_uri_changed' | 'subject_type_changed' | 'implicit_on' | 'pkce_off' | 'secret_rotated' | 'app_deleted';

export function sensitiveChanges(client: Client, patch: ClientPatch): SensitiveChange[] {
  const changes: SensitiveChange[] = [];
  if (patch.redirectUris?.some((uri) => !client.redirectUris.includes(uri))) changes.push('redirect_uri_added');
  // Where logging out may send a browser from the issuer's own address: as weighty as a callback URL.
  if (patch.postLogoutRedirectUris?.some((uri) => !(client.postLogoutRedirectUris ?? []).includes(uri))) changes.push('post_logout_redirect_uri_added');
  // Where the provider itself will POST: a new address is as weighty as a new callback URL.
  if (patch.backchannelLogoutUri && patch.backchannelLogoutUri !== client.backchannelLogoutUri) changes.push('backchannel_logout_uri_changed');
  // Every user's id changes; pairwise to public shows the app the ids every other app sees.
  if (patch.subjectType && patch.subjectType !== (client.subjectType ?? 'public')) changes.push('subject_type_changed');
  if (patch.grantTypes?.includes('implicit') && !client.grantTypes.includes('implicit')) changes.push('implicit_on');
  if (patch.pkceRequired === false && client.pkceRequired) changes.push('pkce_off');
  return changes;
}

/**
 * Deletes an app and everything issued to it (see ClientStore.delete): every token stops working
 * at once in this process, and within clientCacheSeconds in others.
 */
export async function deleteClient(store: ProviderStore, id: string): Promise<boolean> {
  return store.clients.delete(id);
}

/** Issues a new secret for a confidential app; the old one stops working at once. */
export async function rotateClientSecret(store: ProviderStore, id: string): Promise<string> {
  const client = await store.clients.find(id);
  if (!client) throw new RegistrationError(`no app has the id ${id}`);
  if (!isConfidential(client)) throw new RegistrationError(`a ${client.appType} app is public and has no secret`);
  const secret = randomToken(32);
  await store.clients.update(id, { secretHash: sha256(secret) });
  return secret;
}

export function validateClient(client: Client, config: GrantryConfig): void {
  if (!client.name.trim()) throw new RegistrationError('an app needs a name', 'name_missing');
  if (client.name.length > 100) throw new RegistrationError('an app name is at most 100 characters', 'name_too_long');
  if (!appTypes.includes(client.appType)) throw new RegistrationError(`the app type must be one of ${appTypes.join(', ')}`, 'app_type');
  if (client.homepage) checkHomepage(client.homepage);
  // Each grant says which apps may hold it (see protocol/grants/).
  for (const grantType of client.grantTypes) {
    const grant = findGrant(config, grantType, { includeDisabled: true });
    if (!grant) throw new RegistrationError(`unknown grant type "${grantType}"; known: ${grantModules.map((known) => known.grantType).join(', ')}`);
    if (!config.features[grant.feature]) throw new RegistrationError(`the ${grantType} grant is switched off on this provider (features.${grant.feature})`);
    const refusal = grant.clientRule(client);
    if (refusal) throw new RegistrationError(refusal);
  }
  const confidential = isConfidential(client);
  const redirecting = client.grantTypes.some((grantType) => findGrant(config, grantType, { includeDisabled: true })?.redirects);
  if (redirecting && client.redirectUris.length === 0) {
    throw new RegistrationError('an app that uses the authorization-code or implicit grant needs at least one redirect URI', 'redirect_uri_none');
  }
  for (const uri of client.redirectUris) checkRedirectUri(uri);
  if (!confidential && !client.pkceRequired) {
    throw new RegistrationError('PKCE is always required for public apps (spa, native)');
  }
  for (const scope of client.scopes) {
    if (!Object.hasOwn(config.scopes, scope)) throw new RegistrationError(`unknown scope "${scope}"; known: ${Object.keys(config.scopes).join(', ')}`, 'scope_unknown', scope);
  }
  if (client.tokenFormat !== 'jwt' && client.tokenFormat !== 'opaque') {
    throw new RegistrationError('the token format is jwt or opaque', 'token_format');
  }
  // The same rules as redirect URIs: absolute, no fragment, https (or http on loopback, or a native app's scheme).
  for (const uri of client.postLogoutRedirectUris ?? []) {
    try {
      checkRedirectUri(uri);
    } catch (error) {
      if (!(error instanceof RegistrationError)) throw error;
      throw new RegistrationError(`the logout return URI "${uri}" breaks a rule of callback URLs: ${error.message}`, 'post_logout_redirect_uri', uri);
    }
  }
  if (client.idTokenSignedResponseAlg !== undefined && !idTokenAlgorithms.includes(client.idTokenSignedResponseAlg)) {
    throw new RegistrationError(`ID tokens are signed with ${idTokenAlgorithms.join(' or ')}`, 'id_token_alg');
  }
  if (client.subjectType !== undefined && !subjectTypes.includes(client.subjectType)) {
    throw new RegistrationError(`the subject type is ${subjectTypes.join(' or ')}`, 'subject_type');
  }
  if (client.sectorIdentifier && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(client.sectorIdentifier)) {
    throw new RegistrationError(`the sector identifier "${client.sectorIdentifier}" is not a host name (lower case, like app.example.com)`, 'sector_identifier', client.sectorIdentifier);
  }
  // Core §8.1: pairwise subjects are computed for one host; an app whose callbacks name several needs an operator to say which.
  if (client.subjectType === 'pairwise' && sectorOf(client) === undefined) {
    throw new RegistrationError('a pairwise app needs its redirect URIs on one host, or a sector identifier an operator sets', 'subject_type_sector');
  }
  // An empty one (a patch that clears it) is none.
  if (client.backchannelLogoutUri) checkBackchannelLogoutUri(client.backchannelLogoutUri, config);
}

export const subjectTypes: readonly SubjectType[] = ['public', 'pairwise'];

/**
 * Whether the provider may call back to loopback: only in development, when the issuer itself is
 * http on a loopback host. Anywhere else a logout URI on loopback would have the provider call
 * itself or its neighbours for whoever registered it.
 */
export function allowsLoopbackCallbacks(config: Pick<GrantryConfig, 'issuer'>): boolean {
  const issuer = new URL(config.issuer);
  return issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
}

/**
 * A back-channel logout URI (Back-Channel Logout 1.0 §2.2): absolute https without a fragment (or
 * http on loopback, in development); it may have a query. Where it resolves is checked again on
 * every delivery (src/lib/outbound.ts).
 */
export function checkBackchannelLogoutUri(uri: string, config: Pick<GrantryConfig, 'issuer'>): void {
  const refuse = (why: string) => new RegistrationError(`the back-channel logout URI "${uri}" ${why}`, 'backchannel_logout_uri', uri);
  if (!URL.canParse(uri)) throw refuse('is not an absolute URL');
  const url = new URL(uri);
  if (uri.includes('#')) throw refuse('has a fragment');
  if (url.username || url.password) throw refuse('may not carry credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname) && allowsLoopbackCallbacks(config)) return;
  throw refuse('must use https (http on loopback only while the issuer itself is http on loopback, in development)');
}

function checkHomepage(homepage: string): void {
  let url: URL;
  try {
    url = new URL(homepage);
  } catch {
    throw new RegistrationError(`the homepage "${homepage}" is not an absolute URL`, 'homepage', homepage);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RegistrationError('the homepage must be an http or https URL', 'homepage', homepage);
}


/** A redirect URI is https (or http on a loopback host), absolute, without a fragment. */
export function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RegistrationError(`the redirect URI "${uri}" is not an absolute URL`, 'redirect_uri_not_absolute', uri);
  }
  if (uri.includes('#')) throw new RegistrationError(`the redirect URI "${uri}" has a fragment; redirect URIs may not`, 'redirect_uri_fragment', uri);
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw new RegistrationError(`the redirect URI "${uri}" uses http; only https is allowed, or http on a loopback host (localhost, 127.0.0.1, [::1])`, 'redirect_uri_http', uri);
    }
  } else if (url.protocol !== 'https:') {
    // Private-use schemes (com.example.app:/callback) are how some native apps receive the redirect.
    if (!/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
      throw new RegistrationError(`the redirect URI "${uri}" must use https (or http on a loopback host, or a reverse-domain scheme for native apps)`, 'redirect_uri_scheme', uri);
    }
  }
  if (url.username || url.password) throw new RegistrationError(`the redirect URI "${uri}" may not carry credentials`, 'redirect_uri_credentials', uri);
}

/**
 * Whether a requested redirect URI is one the app registered: equal character for character,
 * except that a native app's loopback URI may name any port (RFC 8252 §7.3).
 */
export function matchRedirectUri(client: Pick<Client, 'redirectUris' | 'appType'>, requested: string): boolean {
  return registeredRedirectUri(client, requested) !== undefined;
}

/** The registered redirect URI a requested one matches (for a native app's loopback URI, the one without the port), if any. */
export function registeredRedirectUri(client: Pick<Client, 'redirectUris' | 'appType'>, requested: string): string | undefined {
  // Whatever matches is later parsed to build the redirect: a URI that does not parse matches nothing.
  if (!URL.canParse(requested)) return undefined;
  if (client.redirectUris.includes(requested)) return requested;
  if (client.appType !== 'native') return undefined;
  const withoutPort = stripLoopbackPort(requested);
  return withoutPort === undefined ? undefined : client.redirectUris.find((registered) => stripLoopbackPort(registered) === withoutPort);
}

function stripLoopbackPort(uri: string): string | undefined {
  const match = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d{1,5})?(\/[^#]*)?$/.exec(uri);
  if (!match) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}
