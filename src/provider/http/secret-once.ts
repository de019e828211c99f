import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaults } from '../../config/defaults.ts';
import { deriveKey, seal, unseal } from '../../lib/crypto.ts';
import type { ProviderContext } from '../context.ts';

// A new App Secret is shown once, on the app's page, after the POST that made it (registering the
// app, rotating the secret) redirects there: reloading that page then neither registers a second
// app nor rotates again. The secret crosses the redirect in a cookie sealed under GRANTRY_SECRET
// (bound to the app's id), limited to the app's page, strict same-site, and short-lived; the page
// that shows it clears it, so it is shown once.

const cookie = defaults.cookies.newSecret;
const keys = new WeakMap<ProviderContext, Buffer>();

function key(ctx: ProviderContext): Buffer {
  let derived = keys.get(ctx);
  if (!derived) keys.set(ctx, (derived = deriveKey(ctx.config.secret, 'new-secret-once')));
  return derived;
}

const pathOf = (clientId: string) => `/console/apps/${clientId}`;
const now = () => Math.floor(Date.now() / 1000);

/** Sets the cookie that carries a new secret to the app's page. */
export function carrySecret(ctx: ProviderContext, reply: FastifyReply, clientId: string, secret: string): void {
  const sealed = seal(key(ctx), JSON.stringify({ secret, at: now() }), clientId);
  reply.setCookie(cookie, sealed, {
    path: pathOf(clientId),
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.config.issuer.startsWith('https:'),
    maxAge: defaults.newSecretCarrySeconds,
  });
}

/** The secret carried to this app's page, if one is waiting; the cookie is cleared either way. */
export function takeCarriedSecret(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, clientId: string): string | undefined {
  const sealed = request.cookies[cookie];
  if (sealed === undefined) return undefined;
  reply.clearCookie(cookie, { path: pathOf(clientId) });
  try {
    const { secret, at } = JSON.parse(unseal(key(ctx), sealed, clientId)) as { secret: string; at: number };
    return now() - at <= defaults.newSecretCarrySeconds ? secret : undefined;
  } catch {
    // Another app's cookie, one sealed under another GRANTRY_SECRET, or a forged one: nothing to show.
    return undefined;
  }
}
