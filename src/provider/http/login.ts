import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, type User } from '../../store/index.ts';
import { authenticateUser, hashPassword } from '../accounts/authenticate.ts';
import type { ProviderContext } from '../context.ts';
import { formText, messagePage } from '../pages/html.ts';
import { homePage, loginPage, signupPage, type SignupValues } from '../pages/login.ts';
import { csrfToken, currentUser, endSession, startSession, verifyCsrf } from './session.ts';

// GET /, the login and signup pages, and logout. Also the few helpers every people-facing page
// route shares (sending a page, the sign-in guard, the CSRF guard).

export async function loginRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = await currentUser(ctx, request);
    return sendPage(reply, homePage({ user, csrf: csrfToken(ctx, request, reply), allowSignup: ctx.config.allowSignup }));
  });

  app.get('/login', async (request, reply) => {
    const returnTo = safeReturnTo(queryText(request, 'return_to')) ?? '';
    return sendPage(reply, loginPage({ ...(await pageBasics(ctx, request, reply)), returnTo, username: '', allowSignup: ctx.config.allowSignup }));
  });

  app.post('/login', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const username = formText(request.body, 'username').trim();
    const password = formText(request.body, 'password');
    const returnTo = safeReturnTo(formText(request.body, 'return_to'));
    const again = async (status: number, error: string) =>
      sendPage(
        reply,
        loginPage({ ...(await pageBasics(ctx, request, reply)), returnTo: returnTo ?? '', username, error, allowSignup: ctx.config.allowSignup }),
        status,
      );

    if (!username || !password) return again(400, 'Enter your username and your password.');
    // No account has a name this long; refusing it here keeps oversized keys out of the throttle table.
    if (username.length > maxUsernameLength) return again(401, 'Wrong username or password.');
    const result = await authenticateUser(ctx.store, ctx.config, { username, password, address: request.ip });
    if (result.ok) {
      await startSession(ctx, request, reply, result.user);
      ctx.audit.record({ event: 'login_succeeded', userId: result.user.id, ip: request.ip, detail: { via: 'login_page' } });
      return reply.redirect(returnTo ?? '/console', 303);
    }
    ctx.audit.record({ event: 'login_failed', userId: result.reason === 'invalid_credentials' ? result.userId : undefined, ip: request.ip, detail: { via: 'login_page', reason: result.reason } });
    if (result.reason === 'locked') {
      reply.header('retry-after', String(result.retryAfter));
      return again(429, `Too many failed attempts. Try again later (in about ${minutes(result.retryAfter)}).`);
    }
    // The same words whether the username exists or not: the page tells nobody which names do.
    return again(401, 'Wrong username or password.');
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
    const again = async (error: string, status = 400) =>
      sendPage(reply, signupPage({ ...(await pageBasics(ctx, request, reply)), returnTo: returnTo ?? '', values, error }), status);

    const problem = signupProblem(values, password, formText(body, 'password_confirmation'));
    if (problem) return again(problem);
    let user: User;
    try {
      user = await ctx.store.createUser({
        username: values.username,
        passwordHash: await hashPassword(ctx.config, password),
        displayName: values.displayName || values.username,
        email: values.email || null,
      });
    } catch (error) {
      if (error instanceof ConflictError) return again(`The username “${values.username}” is taken. Choose another one.`, 409);
      throw error;
    }
    await ctx.store.recordEvent({ type: 'user_signed_up', userId: user.id });
    await startSession(ctx, request, reply, user);
    return reply.redirect(returnTo ?? '/console', 303);
  });
}

const maxUsernameLength = 256;

/** What is wrong with a signup form, in words for the person filling it in; undefined if nothing. */
export function signupProblem(values: SignupValues, password: string, confirmation: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(values.username)) {
    return 'A username is 3 to 32 characters: letters, digits, “_”, “.” and “-”.';
  }
  if (values.displayName.length > 100) return 'A display name is at most 100 characters.';
  if (values.email && (values.email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(values.email))) {
    return 'That email address does not look right. Leave it empty if you prefer.';
  }
  if (password.length < 8) return 'A password is at least 8 characters.';
  // Long enough for any passphrase; short enough that hashing it costs nothing unusual.
  if (password.length > 1024) return 'A password is at most 1024 characters.';
  if (password !== confirmation) return 'The two passwords are not the same.';
  return undefined;
}

/**
 * Where to send someone after they sign in: only a path on this site. `//host` and `/\host` are
 * other sites to a browser, and control characters or spaces let a browser rewrite the path into
 * one; anything but printable ASCII is refused as well, since it could not be a Location header.
 */
export function safeReturnTo(value: string): string | undefined {
  if (value.length > 2048) return undefined;
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : undefined;
}

// ── helpers shared by the people-facing routes ─────────────────────────────────────────────

/** Pages carry CSRF tokens, secrets or someone's data: never cached anywhere. */
export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

/** The signed-in user and the CSRF token that every page's forms (the logout button included) carry. */
export async function pageBasics(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply) {
  return { user: await currentUser(ctx, request), csrf: csrfToken(ctx, request, reply) };
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
  const message =
    'This form could not be accepted: it did not come from a page of this site, or it is too old. Nothing was changed. Go back, reload the page and try again.';
  sendPage(reply, messagePage({ title: 'Form refused', message, ...(await pageBasics(ctx, request, reply)) }), 403);
  return false;
}

export async function sendNotFound(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, message = 'There is nothing here.'): Promise<FastifyReply> {
  return sendPage(reply, messagePage({ title: 'Not found', message, ...(await pageBasics(ctx, request, reply)) }), 404);
}

export function queryText(request: FastifyRequest, name: string): string {
  return formText(request.query, name);
}

function minutes(seconds: number): string {
  const count = Math.max(1, Math.ceil(seconds / 60));
  return count === 1 ? '1 minute' : `${count} minutes`;
}
