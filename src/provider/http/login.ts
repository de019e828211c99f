import { isOperator } from './console-operator.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { throttledAddress } from '../../lib/address.ts';
import { bucketRetryAfter } from '../../lib/leaky-bucket.ts';
import { ConflictError, type User } from '../storage.ts';
import { authenticateUser, hashPassword } from '../accounts/authenticate.ts';
import type { ProviderContext } from '../context.ts';
import { isLocale, langCookie, langCookieMaxAge, pickLocale, t, type Locale, type MessageKey, type Params } from '../../i18n/index.ts';
import { formText, messagePage, type PageBasics } from '../pages/html.ts';
import { homePage, loginPage, signupPage, type SignupValues } from '../pages/login.ts';
import { pendingRequest } from '../protocol/authorization.ts';
import { continuePath } from './paths.ts';
import { safeReturnTo } from '../../lib/return-to.ts';
import { isUsernameSyntax } from '../../lib/username.ts';
import { browserId, csrfToken, currentUser, endSession, startSession, verifyCsrf } from './session.ts';

// GET /, the login and signup pages, logout, and /lang (the language switcher). Also the few
// helpers every people-facing page route shares (the page's language, sending a page, the sign-in
// guard, the CSRF guard).

/** On the login page's address: the person chose to sign in as someone else (see authorize.ts), so nothing is filled in. */
export const anotherAccountFlag = 'another_account';

export async function loginRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = await currentUser(ctx, request);
    return sendPage(reply, homePage({ ...basicsOf(request, user, csrfToken(ctx, request, reply)), allowSignup: ctx.config.allowSignup }));
  });

  app.get('/login', async (request, reply) => {
    const returnTo = safeReturnTo(queryText(request, 'return_to')) ?? '';
    const pending = await pendingAuthorization(ctx, request, reply, returnTo);
    const basics = await pageBasics(ctx, request, reply, { uiLocales: pending?.ui_locales });
    // An app's login_hint fills in the username; it proves nothing, and the person may change it.
    // Not for someone who chose "Use another account" (prompt=select_account): they are not the hint.
    const username = queryText(request, anotherAccountFlag) === '1' ? '' : (pending?.login_hint ?? '');
    return sendPage(reply, loginPage({ ...basics, returnTo, username, allowSignup: ctx.config.allowSignup }));
  });

  app.post('/login', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const username = formText(request.body, 'username').trim();
    const password = formText(request.body, 'password');
    const returnTo = safeReturnTo(formText(request.body, 'return_to'));
    const again = async (status: number, key: MessageKey, params?: Params) => {
      const basics = await pageBasics(ctx, request, reply);
      const error = t(basics.locale, key, params);
      return sendPage(reply, loginPage({ ...basics, returnTo: returnTo ?? '', username, error, allowSignup: ctx.config.allowSignup }), status);
    };

    if (!username || !password) return again(400, 'login.error.missing');
    // No account has a name this long; refusing it here keeps oversized keys out of the throttle table.
    if (username.length > maxUsernameLength) return again(401, 'login.error.wrong');
    const result = await authenticateUser(ctx.store, ctx.config, { username, password, address: request.ip });
    if (result.ok) {
      await startSession(ctx, request, reply, result.user);
      ctx.audit.record({ event: 'login_succeeded', userId: result.user.id, ip: request.ip, detail: { via: 'login_page' } });
      return reply.redirect(returnTo ?? '/console', 303);
    }
    ctx.audit.record({ event: 'login_failed', userId: result.reason === 'invalid_credentials' ? result.userId : undefined, ip: request.ip, detail: { via: 'login_page', reason: result.reason } });
    if (result.reason === 'locked') {
      reply.header('retry-after', String(result.retryAfter));
      return again(429, 'login.error.locked', { minutes: Math.max(1, Math.ceil(result.retryAfter / 60)) });
    }
    // The same words whether the username exists or not: the page tells nobody which names do.
    return again(401, 'login.error.wrong');
  });

  // The language switcher: a plain link that only sets a preference, so it needs no CSRF token,
  // and comes back only to a path on this site.
  app.get('/lang', async (request, reply) => {
    const to = queryText(request, 'to');
    if (isLocale(to)) {
      reply.setCookie(langCookie, to, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: ctx.config.issuer.startsWith('https:'),
        maxAge: langCookieMaxAge,
      });
    }
    return reply.header('cache-control', 'no-store').redirect(safeReturnTo(queryText(request, 'return_to')) ?? '/', 303);
  });

  app.post('/logout', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    await endSession(ctx, request, reply);
    return reply.redirect('/', 303);
  });

  app.get('/signup', async (request, reply) => {
    if (!ctx.config.allowSignup) return sendNotFound(ctx, request, reply);
    const returnTo = safeReturnTo(queryText(request, 'return_to')) ?? '';
    const values: SignupValues = { username: '', displayName: '', email: '' };
    return sendPage(reply, signupPage({ ...(await pageBasics(ctx, request, reply)), returnTo, values }));
  });

  app.post('/signup', async (request, reply) => {
    if (!ctx.config.allowSignup) return sendNotFound(ctx, request, reply);
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const body = request.body;
    const values: SignupValues = {
      username: formText(body, 'username').trim(),
      displayName: formText(body, 'display_name').trim(),
      email: formText(body, 'email').trim(),
    };
    const password = formText(body, 'password');
    const returnTo = safeReturnTo(formText(body, 'return_to'));
    const again = async (problem: Problem, status = 400) => {
      const basics = await pageBasics(ctx, request, reply);
      const error = t(basics.locale, problem.key, problem.params);
      return sendPage(reply, signupPage({ ...basics, returnTo: returnTo ?? '', values, error }), status);
    };

    const problem = signupProblem(values, password, formText(body, 'password_confirmation'));
    if (problem) return again(problem);
    // An operator's name (console.operators) is never for a stranger to take, even before the operator's
    // account exists: answered as a name already taken, so that the page does not say who operates.
    if (isOperator(ctx, { username: values.username })) return again({ key: 'signup.error.taken', params: { username: values.username } }, 409);
    // Counted before the password is hashed: that hash is what a flood of sign-ups would cost.
    const wait = await signupWait(ctx, request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return again({ key: 'signup.error.tooMany', params: { minutes: Math.max(1, Math.ceil(wait / 60)) } }, 429);
    }
    let user: User;
    try {
      user = await ctx.store.users.create({
        username: values.username,
        passwordHash: await hashPassword(ctx.config, password),
        displayName: values.displayName || values.username,
        email: values.email || null,
      });
    } catch (error) {
      if (error instanceof ConflictError) return again({ key: 'signup.error.taken', params: { username: values.username } }, 409);
      throw error;
    }
    ctx.audit.record({ event: 'user_signed_up', userId: user.id, ip: request.ip });
    await startSession(ctx, request, reply, user);
    return reply.redirect(returnTo ?? '/console', 303);
  });
}

const maxUsernameLength = 256;

/**
 * Seconds to wait before another account may be created from this address: at most
 * login.signupsPerAddress per login.signupWindowSeconds, in a bucket that drains; 0 when one may be now.
 */
async function signupWait(ctx: ProviderContext, address: string): Promise<number> {
  const { signupsPerAddress: limit, signupWindowSeconds: windowSeconds } = ctx.config.login;
  const level = await ctx.store.throttle.charge(`signup:${throttledAddress(address)}`, { limit, windowSeconds });
  return level <= limit ? 0 : bucketRetryAfter(level, limit, windowSeconds);
}

interface Problem {
  key: MessageKey;
  params?: Params;
}

/** What is wrong with a signup form, as a catalogue message; undefined if nothing. */
export function signupProblem(values: SignupValues, password: string, confirmation: string): Problem | undefined {
  if (!isUsernameSyntax(values.username)) return { key: 'signup.error.username' };
  if (values.displayName.length > 100) return { key: 'signup.error.displayName' };
  if (values.email && (values.email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(values.email))) return { key: 'signup.error.email' };
  if (password.length < 8) return { key: 'signup.error.passwordShort' };
  // Long enough for any passphrase; short enough that hashing it costs nothing unusual.
  if (password.length > 1024) return { key: 'signup.error.passwordLong' };
  if (password !== confirmation) return { key: 'signup.error.mismatch' };
  return undefined;
}

// ── helpers shared by the people-facing routes ─────────────────────────────────────────────

/** Pages carry CSRF tokens, secrets or someone's data: never cached anywhere. */
export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

/** The page's language, the signed-in user and the CSRF token that every page's forms (the logout button included) carry. */
export async function pageBasics(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, hints: LocaleHints = {}): Promise<PageBasics & { user: User | null }> {
  return basicsOf(request, await currentUser(ctx, request), csrfToken(ctx, request, reply), hints);
}

/** What an authorization request says of the person's languages (its ui_locales), for the pages on its way. */
interface LocaleHints {
  uiLocales?: string;
}

function basicsOf<U extends PageBasics['user']>(request: FastifyRequest, user: U, csrf: string, hints: LocaleHints = {}): PageBasics & { user: U } {
  return { locale: localeOf(request, hints), user, csrf, here: herePath(request) };
}

/** The language this request's pages speak: the switcher's cookie, else the request's ui_locales, else Accept-Language, else English. */
export function localeOf(request: FastifyRequest, hints: LocaleHints = {}): Locale {
  return pickLocale({ cookie: request.cookies[langCookie], uiLocales: hints.uiLocales, acceptLanguage: request.headers['accept-language'] });
}

/** The authorization request a login page was sent from, when it is still waiting in this browser. */
async function pendingAuthorization(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, returnTo: string) {
  if (!returnTo.startsWith(`${continuePath}?`)) return undefined;
  const requestId = new URLSearchParams(returnTo.slice(continuePath.length + 1)).get('request_id');
  return requestId ? pendingRequest(ctx, requestId, browserId(ctx, request, reply)) : undefined;
}

/** Query flags that announce what a form just did ("Saved.", the secret shown once): not worth coming back to. */
const oneTimeNotices = ['registered', 'rotated', 'saved', 'deleted'];

/**
 * Where the language switcher comes back to: this page, or for a page that answered a form post,
 * the page that form lives on (a GET of a POST-only path would be a 404).
 */
function herePath(request: FastifyRequest): string {
  const path = request.url;
  if (request.method === 'GET') {
    const url = new URL(path, 'http://here');
    for (const notice of oneTimeNotices) url.searchParams.delete(notice);
    return safeReturnTo(`${url.pathname}${url.search}`) ?? '/';
  }
  const app = /^\/console\/apps\/([^/?]+)\/(?:basic|advanced|rotate-secret)$/.exec(path.split('?')[0]!);
  if (app) return `/console/apps/${app[1]}`;
  // A page of a stored authorization request (the account chooser, consent) answering a form: the
  // request taken up again shows it anew, in the language chosen.
  const requestId = formText(request.body, 'request_id');
  if (/^\/oauth2\/authorize(\/select)?$/.test(path.split('?')[0]!) && requestId && /^[A-Za-z0-9_-]{1,100}$/.test(requestId)) return `${continuePath}?request_id=${requestId}`;
  return safeReturnTo(path.split('?')[0]!) ?? '/';
}

/** The signed-in user; or, when nobody is, a redirect to the login page (then back to `returnTo`) and null. */
export async function requireUser(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, returnTo: string): Promise<User | null> {
  const user = await currentUser(ctx, request);
  if (!user) reply.redirect(`/login?return_to=${encodeURIComponent(returnTo)}`, 303);
  return user;
}

/** Whether a posted form carries this browser's CSRF token; if not, the 403 page has been sent. */
export async function passesCsrf(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (verifyCsrf(ctx, request, formText(request.body, 'csrf_token'))) return true;
  const basics = await pageBasics(ctx, request, reply);
  sendPage(reply, messagePage({ ...basics, title: t(basics.locale, 'csrf.title'), message: t(basics.locale, 'csrf.message') }), 403);
  return false;
}

export async function sendNotFound(
  ctx: ProviderContext,
  request: FastifyRequest,
  reply: FastifyReply,
  message: MessageKey = 'notFound.message',
): Promise<FastifyReply> {
  const basics = await pageBasics(ctx, request, reply);
  return sendPage(reply, messagePage({ ...basics, title: t(basics.locale, 'notFound.title'), message: t(basics.locale, message) }), 404);
}

export function queryText(request: FastifyRequest, name: string): string {
  return formText(request.query, name);
}

