import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaults } from '../../config/defaults.ts';
import { deriveKey, hmac, randomToken, safeEqual, sha256 } from '../../lib/crypto.ts';
import type { ProviderContext } from '../context.ts';
import type { SignedIn } from '../protocol/authorization.ts';
import { noticeLogout } from '../protocol/backchannel-logout.ts';
import type { User } from '../storage.ts';

// The signed-in user's session (a random id in an HttpOnly cookie; its hash in the store) and the
// CSRF token every form carries (an HMAC of a second random cookie, so it is bound to the browser
// that loaded the form, before and after login alike).

const sessionCookie = defaults.cookies.session;
const csrfCookie = defaults.cookies.csrf;
const browserCookie = defaults.cookies.browser;

/** Who is signed in on a browser, and since when (seconds since the epoch). */
export interface BrowserSignIn {
  user: User;
  signedInAt: number;
}

const loaded = new WeakMap<FastifyRequest, BrowserSignIn | null>();

function cookieOptions(ctx: ProviderContext, maxAge?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.issuer.startsWith('https:'),
    ...(maxAge !== undefined ? { maxAge } : {}),
  };
}

/** The user signed in on this request's browser, or null. One query, once per request. */
export async function currentUser(ctx: ProviderContext, request: FastifyRequest): Promise<User | null> {
  return (await currentSignIn(ctx, request))?.user ?? null;
}

/** The user signed in on this request's browser and when they signed in, or null. The same one query. */
export async function currentSignIn(ctx: ProviderContext, request: FastifyRequest): Promise<BrowserSignIn | null> {
  if (loaded.has(request)) return loaded.get(request)!;
  const id = request.cookies[sessionCookie];
  const found = id ? await ctx.store.sessions.find(sha256(id)) : undefined;
  const signIn = found ? { user: found.user, signedInAt: found.session.createdAt } : null;
  loaded.set(request, signIn);
  return signIn;
}

/**
 * The signed-in user, when they signed in, and the consent they gave this app (undefined when
 * none): the authorization endpoint's one read, instead of two.
 */
export async function signedInWithConsent(ctx: ProviderContext, request: FastifyRequest, clientId: string): Promise<SignedIn | null> {
  const id = request.cookies[sessionCookie];
  const found = id ? await ctx.store.sessions.findWithConsent(sha256(id), clientId) : undefined;
  loaded.set(request, found ? { user: found.user, signedInAt: found.session.createdAt } : null);
  // Every session begins at the login page, with a password (RFC 8176 pwd); a session that records its method comes with passkeys and second factors.
  return found ? { user: found.user, authTime: found.session.createdAt, sessionHash: found.session.sessionHash, amr: ['pwd'], consent: found.consent } : null;
}

// A random id per browser, to which stored authorization requests are bound (never the session:
// a request begins before login, and login replaces the session). Made on first need.
const browserIdSetOnReply = new WeakMap<FastifyReply, string>();

export function browserId(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply): string {
  const known = browserIdSetOnReply.get(reply) ?? request.cookies[browserCookie];
  if (known && /^[A-Za-z0-9_-]{43}$/.test(known)) return known;
  const id = randomToken(32);
  reply.setCookie(browserCookie, id, cookieOptions(ctx));
  browserIdSetOnReply.set(reply, id);
  return id;
}

/** Signs a user in: a fresh session id and a fresh CSRF secret (no fixation of either). */
export async function startSession(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, user: User): Promise<void> {
  const previous = request.cookies[sessionCookie];
  if (previous) {
    // The session a new sign-in replaces has ended too: its apps are told (Back-Channel Logout §2.7).
    const before = await currentSignIn(ctx, request);
    await ctx.store.sessions.delete(sha256(previous));
    if (before) await noticeLogout(ctx, before.user.id, { sessionHash: sha256(previous) });
  }
  const id = randomToken(32);
  const at = Math.floor(Date.now() / 1000);
  await ctx.store.sessions.create({ sessionHash: sha256(id), userId: user.id, createdAt: at, expiresAt: at + ctx.config.lifetimes.session });
  reply.setCookie(sessionCookie, id, cookieOptions(ctx, ctx.config.lifetimes.session));
  setCsrfCookie(ctx, reply);
  loaded.set(request, { user, signedInAt: at });
}

/**
 * Ends this browser's session, and has the apps of its person that asked for back-channel logout
 * told (protocol/backchannel-logout.ts): a stored notice each, sent after the answer.
 */
export async function endSession(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = request.cookies[sessionCookie];
  const signIn = id ? await currentSignIn(ctx, request) : null;
  if (id) await ctx.store.sessions.delete(sha256(id));
  reply.clearCookie(sessionCookie, { path: '/' });
  reply.clearCookie(csrfCookie, { path: '/' });
  loaded.set(request, null);
  if (id && signIn) await noticeLogout(ctx, signIn.user.id, { sessionHash: sha256(id) });
}

// A CSRF secret set on a response that has not reached the browser yet: forms on that same
// response must be signed with it, not with the cookie the request came with.
const csrfSetOnReply = new WeakMap<FastifyReply, string>();

function setCsrfCookie(ctx: ProviderContext, reply: FastifyReply): string {
  const secret = randomToken(32);
  reply.setCookie(csrfCookie, secret, cookieOptions(ctx));
  csrfSetOnReply.set(reply, secret);
  return secret;
}

const csrfKeys = new WeakMap<ProviderContext, Buffer>();
function csrfKey(ctx: ProviderContext): Buffer {
  let key = csrfKeys.get(ctx);
  if (!key) csrfKeys.set(ctx, (key = deriveKey(ctx.config.secret, 'csrf')));
  return key;
}

/** The CSRF token to put in a form on this response; sets the browser's CSRF cookie if it has none. */
export function csrfToken(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply): string {
  let secret = csrfSetOnReply.get(reply) ?? request.cookies[csrfCookie];
  if (!secret) secret = setCsrfCookie(ctx, reply);
  return hmac(csrfKey(ctx), secret);
}

/** Whether the form's csrf_token was made for this browser. */
export function verifyCsrf(ctx: ProviderContext, request: FastifyRequest, submitted: unknown): boolean {
  const secret = request.cookies[csrfCookie];
  if (!secret || typeof submitted !== 'string' || submitted.length === 0) return false;
  return safeEqual(hmac(csrfKey(ctx), secret), submitted);
}
