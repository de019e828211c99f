import { randomToken, sha256 } from '../../lib/crypto.ts';
import type { ConnectUser } from '../storage.ts';
import {
  authenticateLocalUser, loginAndBind, peekTicket, registerAndBind, registerLocalUser, resolveCallback, safeReturnTo,
  ticketLifetime, type BindingFailure, type CallbackOutcome,
} from '../binding/index.ts';
import { ConnectError, ProviderError } from '../client/errors.ts';
import type { Provider } from '../client/types.ts';
import type { Connect } from '../connect.ts';
import { beginLogin, finishLogin } from '../login.ts';
import { logLoginFailure, type LoggedProvider } from '../log.ts';
import { html, json, parseCookies, redirect, serializeCookie, stylesheet, type ConnectRequest, type ConnectResponse } from './http.ts';
import type { MessageParams } from './pages.ts';
import { connectStylesheet, stylesheetPath } from './style.ts';

// The framework-agnostic core: a plain request in, a response decision out. It knows the routes of
// both ways a site is built — server-rendered pages under basePath, JSON under apiPath — and
// nothing of Fastify or Express (./fastify.ts and ./express.ts translate).

// The session cookie's name is repeated in ../connect.ts (userFromCookies).
export const cookieNames = { browser: 'connect_browser', session: 'connect_session', ticket: 'connect_ticket' } as const;
const browserCookieLifetime = 24 * 3600;

/** One request's view: its cookies, and the cookies the response will set. */
class Exchange {
  readonly cookies: Record<string, string>;
  readonly setCookies: string[] = [];
  private browserId: string | undefined;

  constructor(
    readonly connect: Connect,
    readonly request: ConnectRequest,
  ) {
    this.cookies = parseCookies(request.headers.cookie);
    this.browserId = this.cookies[cookieNames.browser];
  }

  /** A field of the form or JSON body; anything but a string reads as ''. Checked by inputProblem first. */
  field(name: string): string {
    const body = this.request.body;
    const value = body && Object.hasOwn(body, name) ? body[name] : undefined;
    return typeof value === 'string' ? value : '';
  }

  /** The hash of this browser's id, made (and set as a cookie) on first need. */
  browserHash(create: boolean): string | null {
    if (create) {
      this.browserId ??= randomToken(32);
      // Set again on every login start, so that it cannot expire in the middle of one.
      this.setCookie(cookieNames.browser, this.browserId, browserCookieLifetime);
    }
    return this.browserId ? sha256(this.browserId) : null;
  }

  setCookie(name: string, value: string, maxAge: number): void {
    this.setCookies.push(serializeCookie(name, value, { maxAge, secure: this.connect.secure }));
  }

  clearCookie(name: string): void {
    this.setCookies.push(serializeCookie(name, '', { maxAge: 0, secure: this.connect.secure }));
  }

  user(): Promise<ConnectUser | undefined> {
    return this.connect.currentUser(this.cookies[cookieNames.session]);
  }

  async signIn(user: ConnectUser): Promise<void> {
    await this.connect.sessions.end(this.cookies[cookieNames.session]);
    this.setCookie(cookieNames.session, await this.connect.sessions.start(user.id), this.connect.sessions.lifetime);
  }

  redirect(location: string): ConnectResponse {
    return redirect(location, this.setCookies);
  }

  html(status: number, body: string): ConnectResponse {
    return html(status, body, this.setCookies);
  }

  json(status: number, data: unknown): ConnectResponse {
    return json(status, data, this.setCookies);
  }

  /** The error page; `backTo` is where its link leads (the home page unless the person came from elsewhere on the site). */
  error(status: number, message: string, code = 'failed', { params, backTo = '/' }: { params?: MessageParams; backTo?: string } = {}): ConnectResponse {
    return this.html(status, this.connect.pages.error({ status, code, message, backTo, ...(params ? { params } : {}) }, this.request));
  }

  apiError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): ConnectResponse {
    return this.json(status, { error: code, message, ...extra });
  }
}

/**
 * Form posts from other sites are refused (login CSRF, forced unbinding). Browsers send Origin on
 * every POST, and Sec-Fetch-Site too; a request with neither is no browser's cross-site request.
 */
function crossSite(connect: Connect, request: ConnectRequest): boolean {
  const origin = request.headers.origin;
  if (origin) return origin !== connect.origin;
  const site = request.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/** The longest value a form or JSON field may hold (passwords stop at 1024, return paths at 2048). */
export const maxFieldLength = 4096;
/** Query values reach the callback pages from providers; codes and error descriptions can be long. */
const maxQueryLength = 8192;

/**
 * Why a request's fields cannot be read, if they cannot: a NUL byte (PostgreSQL refuses it in
 * text, and no username, password or token holds one) or a value longer than any we accept. Every
 * route answers 400 for it before anything reads a field, so no such value reaches the store.
 */
function inputProblem(request: ConnectRequest): string | null {
  for (const [name, value] of Object.entries(request.body ?? {})) {
    if (typeof value !== 'string') continue;
    if (value.includes('\0')) return `The field "${name.slice(0, 64)}" holds a character that is not accepted.`;
    if (value.length > maxFieldLength) return `The field "${name.slice(0, 64)}" is longer than ${maxFieldLength} characters.`;
  }
  for (const [name, value] of Object.entries(request.query)) {
    if (typeof value !== 'string') continue;
    if (value.includes('\0')) return `The parameter "${name.slice(0, 64)}" holds a character that is not accepted.`;
    if (value.length > maxQueryLength) return `The parameter "${name.slice(0, 64)}" is longer than ${maxQueryLength} characters.`;
  }
  return null;
}

/** JSON only: a cross-site page cannot send it without a CORS preflight we never answer. */
function isJson(request: ConnectRequest): boolean {
  return /^application\/json\b/i.test(request.headers['content-type'] ?? '');
}

interface Explained {
  status: number;
  code: string;
  message: string;
  params: MessageParams;
}

/** What the person should read when a login fails; the details go to the site's log (see loginFailure), not the page. */
function explain(error: unknown, provider: string): Explained {
  const explained = explainInEnglish(error, provider);
  return { ...explained, params: { provider, ...(error instanceof ProviderError ? { providerError: error.code } : {}) } };
}

function explainInEnglish(error: unknown, provider: string): Omit<Explained, 'params'> {
  if (error instanceof ProviderError && error.code === 'access_denied') {
    return { status: 400, code: 'access_denied', message: `You did not allow ${provider} to log you in here.` };
  }
  if (error instanceof ProviderError) return { status: 502, code: 'provider_error', message: `${provider} refused the login (${error.code}). Please try again.` };
  if (error instanceof ConnectError && ['unknown_state', 'missing_state', 'browser_mismatch', 'expired_state', 'provider_mismatch'].includes(error.code)) {
    return { status: 400, code: error.code, message: `This login link is not valid here (${error.message}). Please start logging in again.` };
  }
  if (error instanceof ConnectError && error.code === 'link_session_ended') return { status: 400, code: error.code, message: `Binding ${provider} did not finish: ${error.message}.` };
  // A callback with no code, or naming no issuer or another one, is what the browser brought, not a
  // failure of the provider: refused like any malformed request, never a 5xx.
  if (error instanceof ConnectError && ['missing_code', 'missing_issuer', 'issuer_mismatch'].includes(error.code)) {
    return { status: 400, code: error.code, message: `Logging in with ${provider} failed: ${error.message}.` };
  }
  if (error instanceof ConnectError) return { status: 502, code: error.code, message: `Logging in with ${provider} failed: ${error.message}.` };
  throw error;
}

/**
 * A failed login explained to the person and, when the provider or the site's configuration is at
 * fault (a 5xx: the provider refused the token request, could not be reached, answered nonsense),
 * to the site's developer in its log. What the visitor caused (a denied consent, a stale link) is not logged.
 */
function loginFailure(exchange: Exchange, error: unknown, provider: LoggedProvider): Explained {
  const explained = explain(error, provider.name);
  if (explained.status >= 500) logLoginFailure(exchange.connect.logger, error, provider);
  return explained;
}

type Handler = (exchange: Exchange, params: Record<string, string>) => Promise<ConnectResponse>;
interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
  api: boolean;
}

/** A route's pattern: `:name` is one path segment (a provider id: see ../options.ts); the rest is literal, dots included. */
function route(method: string, path: string, handler: Handler, api = false): Route {
  const names: string[] = [];
  const source = path
    .split(/(:\w+)/)
    .map((part) => (part.startsWith(':') ? (names.push(part.slice(1)), '([a-z0-9._-]+)') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return { method, pattern: new RegExp(`^${source}$`), names, handler, api };
}

async function withProvider(exchange: Exchange, id: string, api: boolean, work: (provider: Provider) => Promise<ConnectResponse>): Promise<ConnectResponse> {
  let provider: Provider | undefined;
  try {
    provider = await exchange.connect.provider(id);
  } catch (error) {
    // A lazy provider that could not be loaded (its metadata unreachable or wrong).
    const name = exchange.connect.providerList().find((p) => p.id === id)?.name ?? id;
    const { status, code, message, params } = loginFailure(exchange, error, { id, name });
    return api ? exchange.apiError(status, code, message) : exchange.error(status, message, code, { params });
  }
  if (!provider) {
    return api ? exchange.apiError(404, 'unknown_provider', `No provider "${id}" here.`) : exchange.error(404, `No provider "${id}" here.`, 'unknown_provider', { params: { provider: id } });
  }
  return work(provider);
}

// ── server-rendered ─────────────────────────────────────────────────────────────────────────────

async function startLogin(exchange: Exchange, { provider: id }: Record<string, string>): Promise<ConnectResponse> {
  await exchange.connect.purgeExpired();
  return withProvider(exchange, id!, false, async (provider) => {
    const linking = exchange.field('link') === '1' ? await exchange.user() : undefined;
    const url = await beginLogin(exchange.connect.store, provider, {
      browserHash: exchange.browserHash(true)!,
      redirectUri: exchange.connect.redirectUri(provider.id),
      returnTo: safeReturnTo(exchange.field('returnTo')) ?? null,
      linkUserId: linking?.id ?? null,
    });
    return exchange.redirect(url);
  });
}

/** Completes a callback into one of the outcomes of ../binding/; shared by both ways. */
async function complete(exchange: Exchange, provider: Provider, params: Record<string, string | undefined>) {
  const browserHash = exchange.browserHash(false);
  const { completed, state } = await finishLogin(exchange.connect.store, provider, { params, browserHash });
  // Binding goes to the account that asked for it, and only while it is still signed in here.
  if (state.linkUserId && (await exchange.user())?.id !== state.linkUserId) {
    throw new ConnectError('link_session_ended', 'you were logged out before the binding finished; log in and bind again');
  }
  const outcome = await resolveCallback(exchange.connect.store, { tokenKey: exchange.connect.tokenKey, autoLinkVerifiedEmail: exchange.connect.options.autoLinkVerifiedEmail }, {
    identity: completed.identity,
    tokens: completed.tokens,
    browserHash: browserHash!,
    linkUserId: state.linkUserId,
    returnTo: state.returnTo,
  });
  return { outcome, state };
}

async function serverCallback(exchange: Exchange, { provider: id }: Record<string, string>): Promise<ConnectResponse> {
  return withProvider(exchange, id!, false, async (provider) => {
    let result: Awaited<ReturnType<typeof complete>>;
    try {
      result = await complete(exchange, provider, exchange.request.query);
    } catch (error) {
      const { status, code, message, params } = loginFailure(exchange, error, provider);
      return exchange.error(status, message, code, { params });
    }
    const { outcome, state } = result;
    // Checked again when used: a login state stored before this check was tightened may hold any path.
    const next = safeReturnTo(state.returnTo) ?? exchange.connect.options.afterLoginPath;
    switch (outcome.kind) {
      case 'signed-in':
        await exchange.signIn(outcome.user);
        return exchange.redirect(next);
      case 'linked':
        return exchange.redirect(next);
      case 'link-refused':
        return exchange.error(409, `This ${provider.name} account is bound to another account here, and stays there. Unbind it there first.`, 'identity_taken', {
          params: { provider: provider.name },
          backTo: exchange.connect.options.afterLoginPath,
        });
      case 'pending':
        exchange.setCookie(cookieNames.ticket, outcome.ticket, ticketLifetime);
        return exchange.redirect(`${exchange.connect.options.basePath}/pending`);
    }
  });
}

async function pendingIdentity(exchange: Exchange) {
  const ticket = exchange.cookies[cookieNames.ticket];
  const browserHash = exchange.browserHash(false);
  if (!ticket || !browserHash) return undefined;
  const identity = await peekTicket(exchange.connect.store, { ticket, browserHash });
  return identity && { ticket, browserHash, identity };
}

async function renderPending(exchange: Exchange, status: number, message?: string, code?: string, params?: MessageParams): Promise<ConnectResponse> {
  const pending = await pendingIdentity(exchange);
  if (!pending) return exchange.error(400, 'There is no login waiting to be finished in this browser, or it has expired. Please log in again.', 'no_pending_login');
  if (pending.identity.userId !== null && !message) {
    message = 'This login was bound to an account in the meantime. Log in with it again to use that account.';
    code = 'identity_taken';
    status = 409;
  }
  const providerName = exchange.connect.providerList().find((p) => p.id === pending.identity.provider)?.name ?? pending.identity.provider;
  const input = { basePath: exchange.connect.options.basePath, providerName, identity: pending.identity, message, code, ...(params ? { params } : {}), username: exchange.field('username') };
  return exchange.html(status, exchange.connect.pages.pending(input, exchange.request));
}

async function finishPending(exchange: Exchange, bind: (holder: { ticket: string; browserHash: string }) => ReturnType<typeof registerAndBind>): Promise<ConnectResponse> {
  const pending = await pendingIdentity(exchange);
  if (!pending) return renderPending(exchange, 400);
  const result = await bind(pending);
  if (!result.ok) return refused(await renderPending(exchange, result.code === 'invalid_credentials' ? 401 : result.code === 'invalid_field' ? 400 : 409, result.message, result.code, failureParams(result)), result);
  exchange.clearCookie(cookieNames.ticket);
  await exchange.signIn(result.user);
  // Where the login was started to return to, kept with the ticket on the server (never from this form).
  return exchange.redirect(safeReturnTo(result.returnTo) ?? exchange.connect.options.afterLoginPath);
}

/** What a binding or sign-up refusal's message was made of, for wording it in another language. */
/**
 * A refused password's status: 429 with Retry-After while the account or the address is locked
 * (as the provider's login answers), 401 for a wrong password, else the caller's.
 */
function refused(answer: ConnectResponse, failure: object): ConnectResponse {
  const { retryAfter } = failure as { retryAfter?: number };
  if (retryAfter === undefined) return answer;
  return { ...answer, status: 429, headers: { ...answer.headers, 'retry-after': String(retryAfter) } };
}

function failureParams(failure: object): MessageParams {
  const { retryAfter, field } = failure as { retryAfter?: number; field?: string };
  return { ...(retryAfter !== undefined ? { retryAfter } : {}), ...(field !== undefined ? { field } : {}) };
}

async function unbind(exchange: Exchange): Promise<ConnectResponse> {
  const user = await exchange.user();
  if (!user) return exchange.error(401, 'Please log in first.', 'not_signed_in');
  const result = await exchange.connect.unbind(user.id, exchange.field('identity'));
  // Refused (the only way to log in, or not this account's): back to the account page it came from.
  if (!result.ok) return exchange.error(409, result.message, result.code, { backTo: exchange.connect.options.afterLoginPath });
  return exchange.redirect(exchange.connect.options.afterLoginPath);
}

async function logout(exchange: Exchange): Promise<ConnectResponse> {
  await exchange.connect.sessions.end(exchange.cookies[cookieNames.session]);
  exchange.clearCookie(cookieNames.session);
  return exchange.request.path.startsWith(exchange.connect.options.apiPath) ? exchange.json(200, { status: 'signed_out' }) : exchange.redirect(exchange.connect.options.afterLogoutPath);
}

async function localRegister(exchange: Exchange): Promise<ConnectResponse> {
  const result = await registerLocalUser(exchange.connect.store, {
    username: exchange.field('username'), displayName: exchange.field('displayName') || exchange.field('username'), password: exchange.field('password'),
    address: exchange.request.address,
    policy: exchange.connect.options.login,
  });
  if (!result.ok) {
    if (result.code === 'too_many_signups') {
      const answer = exchange.error(429, result.message, result.code, { params: { retryAfter: result.retryAfter } });
      return { ...answer, headers: { ...answer.headers, 'retry-after': String(result.retryAfter) } };
    }
    return exchange.error(result.code === 'username_taken' ? 409 : 400, result.message, result.code, { params: failureParams(result) });
  }
  await exchange.signIn(result.user);
  return exchange.redirect(safeReturnTo(exchange.field('returnTo')) ?? exchange.connect.options.afterLoginPath);
}

async function localLogin(exchange: Exchange): Promise<ConnectResponse> {
  const login = await authenticateLocalUser(exchange.connect.store, exchange.field('username'), exchange.field('password'), { address: exchange.request.address, policy: exchange.connect.options.login });
  if (!login.ok) return refused(exchange.error(401, login.message, 'invalid_credentials', { params: failureParams(login) }), login);
  await exchange.signIn(login.user);
  return exchange.redirect(safeReturnTo(exchange.field('returnTo')) ?? exchange.connect.options.afterLoginPath);
}

// ── JSON, for single-page front ends ────────────────────────────────────────────────────────────

/** The user an API request's bearer token (the site's own) speaks for. */
async function bearerUser(exchange: Exchange): Promise<ConnectUser | undefined> {
  const token = /^Bearer (.+)$/i.exec(exchange.request.headers.authorization ?? '')?.[1];
  const userId = token ? await exchange.connect.sessions.verifyAccessToken(token) : null;
  return userId ? exchange.connect.store.findConnectUserById(userId) : undefined;
}

async function apiAuthorize(exchange: Exchange, { provider: id }: Record<string, string>): Promise<ConnectResponse> {
  await exchange.connect.purgeExpired();
  return withProvider(exchange, id!, true, async (provider) => {
    // With the site's access token, and link: true, the login adds this provider to that account.
    const linking = exchange.request.body?.link === true ? await bearerUser(exchange) : undefined;
    if (exchange.request.body?.link === true && !linking) return exchange.apiError(401, 'invalid_token', 'Binding another login needs a valid access token from this site.');
    const url = await beginLogin(exchange.connect.store, provider, {
      browserHash: exchange.browserHash(true)!,
      redirectUri: exchange.connect.spaRedirectUri(),
      returnTo: safeReturnTo(exchange.field('returnTo')) ?? null,
      linkUserId: linking?.id ?? null,
    });
    return exchange.json(200, { url });
  });
}

async function signedInAnswer(exchange: Exchange, user: ConnectUser, extra: Record<string, unknown> = {}): Promise<ConnectResponse> {
  // The session cookie only renews access tokens; the front end holds the short-lived token.
  await exchange.signIn(user);
  const token = await exchange.connect.sessions.issueAccessToken(user);
  return exchange.json(200, { status: 'signed_in', ...token, user: publicUser(user), ...extra });
}

function publicUser(user: ConnectUser) {
  return { id: user.id, username: user.username, displayName: user.displayName };
}

function pendingAnswer(exchange: Exchange, outcome: Extract<CallbackOutcome, { kind: 'pending' }>): ConnectResponse {
  const { profile, provider } = outcome.identity;
  return exchange.json(200, { status: 'pending', ticket: outcome.ticket, expiresIn: ticketLifetime, provider, profile: { name: profile.name, avatar: profile.avatar } });
}

async function apiCallback(exchange: Exchange, { provider: id }: Record<string, string>): Promise<ConnectResponse> {
  return withProvider(exchange, id!, true, async (provider) => {
    const params = { code: exchange.field('code') || undefined, state: exchange.field('state') || undefined, iss: exchange.field('iss') || undefined, error: exchange.field('error') || undefined };
    let result: Awaited<ReturnType<typeof complete>>;
    try {
      result = await complete(exchange, provider, params);
    } catch (error) {
      const { status, code, message } = loginFailure(exchange, error, provider);
      return exchange.apiError(status, code, message);
    }
    const { outcome, state } = result;
    if (outcome.kind === 'pending') return pendingAnswer(exchange, outcome);
    if (outcome.kind === 'signed-in') return signedInAnswer(exchange, outcome.user, { returnTo: safeReturnTo(state.returnTo) ?? null });
    if (outcome.kind === 'linked') return exchange.json(200, { status: 'linked', provider: outcome.identity.provider, identity: outcome.identity.id, returnTo: safeReturnTo(state.returnTo) ?? null });
    return exchange.apiError(409, 'link_refused', 'This login is bound to another account, and stays there.');
  });
}

function failureAnswer(exchange: Exchange, failure: BindingFailure): ConnectResponse {
  const status = failure.code === 'invalid_credentials' ? 401 : failure.code === 'invalid_field' ? 400 : 409;
  return refused(exchange.apiError(status, failure.code, failure.message, 'field' in failure ? { field: failure.field } : {}), failure);
}

async function apiFinish(exchange: Exchange, bind: (holder: { ticket: string; browserHash: string }) => ReturnType<typeof registerAndBind>): Promise<ConnectResponse> {
  const browserHash = exchange.browserHash(false);
  const ticket = exchange.field('ticket');
  if (!browserHash || !ticket) return exchange.apiError(400, 'ticket_invalid', 'No ticket, or not from this browser.');
  const result = await bind({ ticket, browserHash });
  return result.ok ? signedInAnswer(exchange, result.user, { returnTo: safeReturnTo(result.returnTo) ?? null }) : failureAnswer(exchange, result);
}

async function apiRenew(exchange: Exchange): Promise<ConnectResponse> {
  const user = await exchange.user();
  if (!user) return exchange.apiError(401, 'not_signed_in', 'The session has ended; please log in again.');
  return exchange.json(200, { status: 'signed_in', ...(await exchange.connect.sessions.issueAccessToken(user)), user: publicUser(user) });
}

async function apiUnbind(exchange: Exchange): Promise<ConnectResponse> {
  const user = await bearerUser(exchange);
  if (!user) return exchange.apiError(401, 'invalid_token', 'A valid access token from this site is needed.');
  const result = await exchange.connect.unbind(user.id, exchange.field('identity'));
  return result.ok ? exchange.json(200, { status: 'unbound' }) : exchange.apiError(result.code === 'not_found' ? 404 : 409, result.code, result.message);
}

async function apiMe(exchange: Exchange): Promise<ConnectResponse> {
  const user = await bearerUser(exchange);
  if (!user) return exchange.apiError(401, 'invalid_token', 'A valid access token from this site is needed.');
  const identities = await exchange.connect.identitiesOf(user.id);
  return exchange.json(200, {
    user: publicUser(user),
    identities: identities.map((identity) => ({ id: identity.id, provider: identity.provider, profile: identity.profile })),
  });
}

function routes(connect: Connect): Route[] {
  const base = connect.options.basePath;
  const api = connect.options.apiPath;
  const store = connect.store;
  return [
    route('GET', stylesheetPath(base), async () => stylesheet(connectStylesheet)),
    route('GET', `${base}/pending`, (x) => renderPending(x, 200)),
    route('POST', `${base}/pending/register`, (x) => finishPending(x, (holder) => registerAndBind(store, { ...holder, username: x.field('username'), displayName: x.field('displayName') || x.field('username') }))),
    route('POST', `${base}/pending/bind`, (x) => finishPending(x, (holder) => loginAndBind(store, { ...holder, username: x.field('username'), password: x.field('password'), address: x.request.address, policy: x.connect.options.login }))),
    route('POST', `${base}/unbind`, unbind),
    route('POST', `${base}/logout`, logout),
    route('POST', `${base}/local/register`, localRegister),
    route('POST', `${base}/local/login`, localLogin),
    route('POST', `${base}/:provider/login`, startLogin),
    route('GET', `${base}/:provider/callback`, serverCallback),
    route('POST', `${api}/register`, (x) => apiFinish(x, (holder) => registerAndBind(store, { ...holder, username: x.field('username'), displayName: x.field('displayName') || x.field('username') })), true),
    route('POST', `${api}/bind`, (x) => apiFinish(x, (holder) => loginAndBind(store, { ...holder, username: x.field('username'), password: x.field('password'), address: x.request.address, policy: x.connect.options.login })), true),
    route('POST', `${api}/renew`, apiRenew, true),
    route('POST', `${api}/logout`, logout, true),
    route('GET', `${api}/me`, apiMe, true),
    route('POST', `${api}/unbind`, apiUnbind, true),
    route('POST', `${api}/:provider/authorize`, apiAuthorize, true),
    route('POST', `${api}/:provider/callback`, apiCallback, true),
  ];
}

const routeTables = new WeakMap<Connect, Route[]>();

/** The paths the core answers, for adapters that register routes one by one. */
export function connectRoutes(connect: Connect): Array<{ method: string; pattern: RegExp }> {
  return getRoutes(connect).map(({ method, pattern }) => ({ method, pattern }));
}

function getRoutes(connect: Connect): Route[] {
  let table = routeTables.get(connect);
  if (!table) routeTables.set(connect, (table = routes(connect)));
  return table;
}

/** Answers a request if it is one of Connect's routes; null lets the site handle it. */
export async function handleConnectRequest(connect: Connect, request: ConnectRequest): Promise<ConnectResponse | null> {
  for (const candidate of getRoutes(connect)) {
    const match = candidate.pattern.exec(request.path);
    if (!match || candidate.method !== request.method) continue;
    const exchange = new Exchange(connect, request);
    if (request.method === 'POST' && crossSite(connect, request)) {
      return candidate.api ? exchange.apiError(403, 'cross_site', 'Cross-site requests are refused.') : exchange.error(403, 'This form was sent from another site.', 'cross_site');
    }
    if (candidate.api && request.method === 'POST' && !isJson(request)) {
      return exchange.apiError(415, 'json_required', 'Send application/json.');
    }
    const problem = inputProblem(request);
    if (problem) return candidate.api ? exchange.apiError(400, 'invalid_input', problem) : exchange.error(400, problem, 'invalid_input');
    const params = Object.fromEntries(candidate.names.map((name, index) => [name, match[index + 1]!]));
    return candidate.handler(exchange, params);
  }
  return null;
}
