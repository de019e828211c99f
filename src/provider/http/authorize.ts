import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import {
  approveAuthorization,
  denyAuthorization,
  needsConsent,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from '../protocol/authorize/index.ts';
import { authorizationErrorPage, consentPage } from '../pages/consent.ts';
import { t } from '../../i18n/index.ts';
import { messagePage } from '../pages/html.ts';
import { scopeWords } from '../pages/scopes.ts';
import { pageBasics } from './login.ts';
import { authorizationParams } from './params.ts';
import { currentUser, currentUserWithConsent, verifyCsrf } from './session.ts';

// GET  /oauth2/authorize — validates the request, sends a stranger to log in, asks for consent
//                          unless it is remembered, and answers the app.
// POST /oauth2/authorize — the consent form: Allow or Deny, with the request carried through.

const requestParameters = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'prompt',
] as const;

export async function authorizeRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/oauth2/authorize', async (request, reply) => {
    const params = authorizationParams(request.query);
    const validation = await validateAuthorizationRequest(ctx, params);
    if (validation.outcome === 'show_error') return sendErrorPage(ctx, request, reply, validation.description);
    if (validation.outcome === 'redirect_error') return reply.redirect(validation.location, 302);

    const { user, consent } = await currentUserWithConsent(ctx, request, validation.request.client.id);
    if (!user || forcesLogin(validation.request)) {
      return reply.redirect(`/login?return_to=${encodeURIComponent(withoutPromptLogin(request.url))}`, 302);
    }
    if (!(await needsConsent(ctx, validation.request, user, { remembered: consent }))) {
      return reply.redirect(await approveAuthorization(ctx, validation.request, user, { remember: false }), 302);
    }
    return showConsent(ctx, request, reply, validation.request, user, params);
  });

  app.post('/oauth2/authorize', async (request, reply) => {
    // The consent form is a form: a JSON body is not what it sends.
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) return sendForbidden(ctx, request, reply);
    const body = authorizationParams(request.body);
    if (!verifyCsrf(ctx, request, body.csrf_token)) return sendForbidden(ctx, request, reply);
    const user = await currentUser(ctx, request);
    if (!user) return sendForbidden(ctx, request, reply);

    const params = Object.fromEntries(requestParameters.filter((name) => name in body).map((name) => [name, body[name]!]));
    const validation = await validateAuthorizationRequest(ctx, params);
    if (validation.outcome === 'show_error') return sendErrorPage(ctx, request, reply, validation.description);
    if (validation.outcome === 'redirect_error') return reply.redirect(validation.location, 303);

    const allowed = body.decision === 'allow';
    const location = allowed ? await approveAuthorization(ctx, validation.request, user, { remember: true }) : denyAuthorization(ctx, validation.request);
    if (allowed) {
      ctx.audit.record({ event: 'consent_granted', userId: user.id, clientId: validation.request.client.id, ip: request.ip, detail: { scope: validation.request.scope.join(' ') } });
    }
    return reply.redirect(location, 303);
  });
}

async function showConsent(
  ctx: ProviderContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authorization: AuthorizationRequest,
  user: { id: string; username: string; displayName: string },
  params: Record<string, string | string[]>,
) {
  const { client } = authorization;
  const owner = client.ownerId ? await ctx.store.users.findById(client.ownerId) : undefined;
  const carried = Object.fromEntries(
    requestParameters.filter((name) => typeof params[name] === 'string' && params[name] !== '').map((name) => [name, params[name] as string]),
  );
  // The consent form asks again only when it was asked for; a second ask would loop.
  if (carried.prompt) carried.prompt = carried.prompt.split(' ').filter((value) => value !== 'login').join(' ');
  if (!carried.prompt) delete carried.prompt;
  const basics = await pageBasics(ctx, request, reply);
  reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
  return consentPage({
    ...basics,
    user,
    client,
    ownerName: owner ? owner.displayName || owner.username : null,
    scopes: authorization.scope.map((name) => ({ name, description: scopeWords(basics.locale, name, ctx.config.scopes) })),
    redirectOrigin: originOf(authorization.redirectUri),
    params: carried,
  });
}

/**
 * prompt=login asks for a fresh login even when someone is signed in. The login page returns to
 * the request without it, so that it is asked once.
 */
function forcesLogin(authorization: AuthorizationRequest): boolean {
  return Boolean(authorization.prompt?.split(' ').includes('login'));
}

function withoutPromptLogin(url: string): string {
  const parsed = new URL(url, 'http://local');
  const prompt = parsed.searchParams.get('prompt');
  if (prompt) {
    const rest = prompt.split(' ').filter((value) => value !== 'login').join(' ');
    if (rest) parsed.searchParams.set('prompt', rest);
    else parsed.searchParams.delete('prompt');
  }
  return parsed.pathname + parsed.search;
}

/** Where the person will land: the origin, or for a private-use scheme (native apps) the scheme and what follows it. */
function originOf(uri: string): string {
  const url = new URL(uri);
  return url.origin !== 'null' ? url.origin : `${url.protocol}${url.host ? `//${url.host}` : ''}`;
}

async function sendErrorPage(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, description: string) {
  const page = authorizationErrorPage(await pageBasics(ctx, request, reply), description);
  return reply.code(400).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

async function sendForbidden(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply) {
  const basics = await pageBasics(ctx, request, reply);
  const page = messagePage({ ...basics, title: t(basics.locale, 'consentRefused.title'), message: t(basics.locale, 'consentRefused.message') });
  return reply.code(403).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}
