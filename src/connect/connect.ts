import { defaults } from '../config/defaults.ts';
import { deriveKey } from '../lib/crypto.ts';
import type { LoginPolicy } from './binding/passwords.ts';
import type { ConnectIdentity, ConnectStore, ConnectUser } from './storage.ts';
import { ConnectError } from './client/errors.ts';
import { loadProvider } from './client/lazy.ts';
import { refreshTokens, revokeToken } from './client/token.ts';
import type { LazyProvider, Provider, TokenSet } from './client/types.ts';
import { sealTokens, unbindIdentity, unsealTokens, type UnbindResult } from './binding/index.ts';
import { SiteSessions } from './session.ts';
import { parseCookies } from './adapters/http.ts';
import { defaultPages, type ConnectPages, type LocaleOption } from './adapters/pages.ts';
import { logRevocationFailure, stderrLogger, type ConnectLogger } from './log.ts';
import { checkConnectOptions } from './options.ts';

const sessionCookie = 'connect_session';

export interface ConnectOptions {
  store: ConnectStore;
  /** At least 32 characters; the keys for provider tokens at rest and for the site's access tokens derive from it. */
  secret: string;
  /** The site's origin as browsers see it, e.g. https://www.example.com. */
  siteUrl: string;
  providers: Array<Provider | LazyProvider>;
  /** Where the server-rendered routes live (default /auth): /auth/<provider>/login, /auth/<provider>/callback, … */
  basePath?: string;
  /** Where the JSON routes for single-page front ends live (default /api/auth). */
  apiPath?: string;
  /** The front end's page that receives the provider's redirect in the API way (default /spa/callback). */
  spaCallbackPath?: string;
  afterLoginPath?: string;
  afterLogoutPath?: string;
  /** Off by default. Even when on, only addresses the provider marks verified are matched. */
  autoLinkVerifiedEmail?: boolean;
  sessionLifetime?: number;
  accessTokenLifetime?: number;
  /**
   * The limits of the site's own logins and sign-ups (see docs/security.md): failures per account
   * and per address, and accounts created per address. Grantry's defaults unless given.
   */
  login?: Partial<LoginPolicy>;
  /** The binding and error pages in the site's own look and language (Connect's own otherwise, in English or Simplified Chinese). */
  pages?: Partial<ConnectPages>;
  /**
   * The language of Connect's own pages: "en" or "zh-CN", or a function of the request (a site's
   * own language cookie); by default the request's Accept-Language.
   */
  locale?: LocaleOption;
  /**
   * Where Connect warns the site's developer (a provider refusing the token request, an unreachable
   * provider): pino, Fastify's app.log, console, or anything with warn(details, message). By default
   * one line on stderr; connectFastify uses the Fastify instance's logger when it has one enabled.
   */
  logger?: ConnectLogger;
}

/** What Connect.endSessionUrl puts in the provider's logout URL besides the person's ID token. */
export interface EndSessionOptions {
  /**
   * Where the provider sends the browser once the person is logged out there, e.g. the site's
   * home page. It must be registered for the site's app at the provider, exactly (Grantry: the
   * app's logout return URLs, `--post-logout-redirect-uri`); a provider refuses any other. Left
   * out, the provider shows its own "You are logged out" page.
   */
  postLogoutRedirectUri?: string;
  /** Sent back with the browser to postLogoutRedirectUri. */
  state?: string;
  /** The language of the provider's pages on the way (ui_locales), e.g. "zh-CN". */
  uiLocales?: string;
}

export type ResolvedOptions = Required<Omit<ConnectOptions, 'providers' | 'store' | 'secret' | 'pages' | 'login' | 'locale' | 'logger'>> & { login: LoginPolicy };

/** The Connect library's state for one site: options, keys, providers, sessions. Adapters drive it. */
export class Connect {
  readonly store: ConnectStore;
  readonly options: ResolvedOptions;
  readonly origin: string;
  readonly tokenKey: Buffer;
  readonly sessions: SiteSessions;
  readonly pages: ConnectPages;
  private currentLogger: ConnectLogger;
  private readonly loggerGiven: boolean;
  private readonly sources = new Map<string, Provider | LazyProvider>();
  private readonly loaded = new Map<string, Promise<Provider>>();
  private lastPurge = 0;

  constructor(options: ConnectOptions) {
    checkConnectOptions(options);
    this.store = options.store;
    this.origin = new URL(options.siteUrl).origin;
    this.options = {
      siteUrl: this.origin,
      basePath: options.basePath ?? '/auth',
      apiPath: options.apiPath ?? '/api/auth',
      spaCallbackPath: options.spaCallbackPath ?? '/spa/callback',
      afterLoginPath: options.afterLoginPath ?? '/account',
      afterLogoutPath: options.afterLogoutPath ?? '/',
      autoLinkVerifiedEmail: options.autoLinkVerifiedEmail ?? false,
      sessionLifetime: options.sessionLifetime ?? 14 * 24 * 3600,
      accessTokenLifetime: options.accessTokenLifetime ?? 600,
      login: { ...defaults.login, ...options.login },
    };
    this.tokenKey = deriveKey(options.secret, 'connect-provider-tokens');
    this.sessions = new SiteSessions({
      store: options.store,
      key: deriveKey(options.secret, 'connect-access-tokens'),
      origin: this.origin,
      sessionLifetime: this.options.sessionLifetime,
      accessTokenLifetime: this.options.accessTokenLifetime,
    });
    this.pages = { ...defaultPages({ basePath: this.options.basePath, locale: options.locale }), ...options.pages };
    this.loggerGiven = options.logger !== undefined;
    this.currentLogger = options.logger ?? stderrLogger;
    for (const provider of options.providers) this.sources.set(provider.id, provider);
  }

  get logger(): ConnectLogger {
    return this.currentLogger;
  }

  /**
   * An adapter offers its framework's logger (connectFastify: the Fastify instance's, when enabled);
   * it is used unless the site gave Connect a logger of its own.
   */
  adoptFrameworkLogger(logger: ConnectLogger): void {
    if (!this.loggerGiven) this.currentLogger = logger;
  }

  get secure(): boolean {
    return this.origin.startsWith('https:');
  }

  providerList(): Array<{ id: string; name: string }> {
    return [...this.sources.values()].map(({ id, name }) => ({ id, name }));
  }

  async provider(id: string): Promise<Provider | undefined> {
    const source = this.sources.get(id);
    if (!source) return undefined;
    if (!('load' in source)) return source;
    let pending = this.loaded.get(id);
    if (!pending) {
      pending = loadProvider(source);
      this.loaded.set(id, pending);
      pending.catch(() => this.loaded.delete(id));
    }
    return pending;
  }

  redirectUri(providerId: string): string {
    return `${this.origin}${this.options.basePath}/${providerId}/callback`;
  }

  spaRedirectUri(): string {
    return `${this.origin}${this.options.spaCallbackPath}`;
  }

  /**
   * Deletes expired login states, tickets and sessions, old login counters and drained address
   * buckets. Called as logins start, at most every
   * ten minutes, so that abandoned logins do not pile up; a site may call it from a timer too.
   */
  async purgeExpired(force = false): Promise<number> {
    const at = Math.floor(Date.now() / 1000);
    if (!force && at - this.lastPurge < 600) return 0;
    this.lastPurge = at;
    return this.store.purgeExpiredConnect(at);
  }

  /**
   * Unbinds a login from a user (refused for the last one) and, where the provider offers RFC 7009
   * revocation, revokes the tokens the site held for it: the site no longer acts for that account.
   */
  async unbind(userId: string, identityId: string): Promise<UnbindResult> {
    const identity = await this.store.findIdentity(identityId);
    const result = await unbindIdentity(this.store, userId, identityId);
    if (result.ok && identity?.sealedTokens) await this.revokeQuietly(identity.provider, unsealTokens(this.tokenKey, identity.id, identity.sealedTokens));
    return result;
  }

  private async revokeQuietly(providerId: string, tokens: { accessToken: string; refreshToken: string | null }): Promise<void> {
    const provider = await this.provider(providerId).catch(() => undefined);
    if (!provider?.revocationEndpoint) return;
    // Best effort: the binding is gone either way, and the tokens are deleted here.
    const token = tokens.refreshToken ?? tokens.accessToken;
    await revokeToken(provider, token, tokens.refreshToken ? 'refresh_token' : 'access_token').catch((error: unknown) => logRevocationFailure(this.logger, error, provider));
  }

  /**
   * Where to send the browser, once the person has logged out of the site, so that their session
   * at the provider ends too (OpenID Connect RP-Initiated Logout 1.0): the provider's
   * end_session_endpoint with the ID token of the person's latest login there as id_token_hint
   * (kept sealed on the server with the identity's tokens; it leaves the server only in this URL,
   * as the specification has it), or client_id when no ID token is kept (the provider then asks
   * the person). Undefined when the provider has no end_session_endpoint (or cannot be reached
   * now), or the user holds no identity at it: the site's own logout is then all there is.
   */
  async endSessionUrl(userId: string, providerId: string, options: EndSessionOptions = {}): Promise<string | undefined> {
    const provider = await this.provider(providerId).catch(() => undefined);
    if (!provider?.endSessionEndpoint) return undefined;
    const identities = (await this.store.listIdentitiesOfUser(userId)).filter((identity) => identity.provider === providerId);
    if (identities.length === 0) return undefined;
    // The latest login's ID token names whom the provider should see signed in.
    const withTokens = identities.filter((identity) => identity.sealedTokens !== null).sort((a, b) => (b.lastLoginAt ?? 0) - (a.lastLoginAt ?? 0));
    const idToken = withTokens.length > 0 ? unsealTokens(this.tokenKey, withTokens[0]!.id, withTokens[0]!.sealedTokens!).idToken : null;
    const url = new URL(provider.endSessionEndpoint);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    // With a hint the provider knows the app from its audience; client_id is sent too, as §2 allows.
    url.searchParams.set('client_id', provider.clientId);
    if (options.postLogoutRedirectUri !== undefined) url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
    if (options.state !== undefined) url.searchParams.set('state', options.state);
    if (options.uiLocales !== undefined) url.searchParams.set('ui_locales', options.uiLocales);
    return url.toString();
  }

  /** The signed-in user of a request, from its Cookie header. */
  userFromCookies(cookieHeader: string | undefined): Promise<ConnectUser | undefined> {
    return this.sessions.user(parseCookies(cookieHeader)[sessionCookie]);
  }

  currentUser(sessionId: string | undefined): Promise<ConnectUser | undefined> {
    return this.sessions.user(sessionId);
  }

  identitiesOf(userId: string): Promise<ConnectIdentity[]> {
    return this.store.listIdentitiesOfUser(userId);
  }

  /**
   * The provider's tokens for an identity, for the site's own server-side calls to the provider's
   * API; refreshed first when they have expired and a refresh token is at hand.
   */
  async providerTokens(identity: ConnectIdentity): Promise<Omit<TokenSet, 'tokenType' | 'raw'> | null> {
    if (!identity.sealedTokens) return null;
    const tokens = unsealTokens(this.tokenKey, identity.id, identity.sealedTokens);
    const expired = tokens.expiresAt !== null && tokens.expiresAt <= Math.floor(Date.now() / 1000) + 30;
    if (!expired || !tokens.refreshToken) return tokens;
    const provider = await this.provider(identity.provider);
    if (!provider) throw new ConnectError('unknown_provider', `no provider ${identity.provider} is configured`);
    const refreshed = await refreshTokens(provider, tokens.refreshToken);
    // A refresh answered without an ID token keeps the login's, for a later logout's id_token_hint.
    const fresh = { ...refreshed, idToken: refreshed.idToken ?? tokens.idToken };
    await this.store.saveIdentityTokens(identity.id, sealTokens(this.tokenKey, identity.id, fresh), fresh.expiresAt);
    return fresh;
  }
}

export function createConnect(options: ConnectOptions): Connect {
  return new Connect(options);
}
