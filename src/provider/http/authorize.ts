import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { t } from '../../i18n/index.ts';
import type { ProviderContext } from '../context.ts';
import {
  beginAuthorization,
  chooseAccount,
  continueAuthorization,
  decideAuthorization,
  type AuthorizationInput,
  type AuthorizationStep,
} from '../protocol/authorization.ts';
import { claimsBeyondScopes } from '../protocol/claims.ts';
import { authorizationErrorPage, consentPage } from '../pages/consent.ts';
import { formText, messagePage } from '../pages/html.ts';
import { claimWords, scopeWords } from '../pages/scopes.ts';
import { selectAccountPage } from '../pages/select-account.ts';
import { anotherAccountFlag, pageBasics, queryText } from './login.ts';
import { authorizationParams } from './params.ts';
import { continuePath } from './paths.ts';
import { browserId, currentUser, signedInWithConsent, verifyCsrf } from './session.ts';

// GET  /oauth2/authorize          — a new authorization request: checked, then answered at once
//                                   (a signed-in person who already allowed it), or stored and
//                                   sent on to login or consent with only its id.
// GET  /oauth2/authorize/continue — where login returns to: the stored request, taken up again.
// POST /oauth2/authorize/select   — the account chooser of prompt=select_account: go on as the
//                                   person signed in, or sign in as someone else.
// POST /oauth2/authorize          — the consent form: Allow or Deny, naming the stored request;
//                                   or, with no request_id, an authorization request sent as a
//                                   form (OpenID Connect Core §3.1.2.1: GET and POST alike).


/** The longest posted request sent on as a GET: well under the 16 KiB a client takes in a header. */
export const maxForwardedRequestLength = 8192;

export async function authorizeRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  const inputOf = (request: FastifyRequest, reply: FastifyReply): AuthorizationInput => ({
    signedIn: (clientId) => signedInWithConsent(ctx, request, clientId),
    browserId: () => browserId(ctx, request, reply),
  });

  app.get('/oauth2/authorize', async (request, reply) => {
    const step = await beginAuthorization(ctx, authorizationParams(request.query), inputOf(request, reply));
    return answer(ctx, request, reply, step, 302);
  });

  app.get(continuePath, async (request, reply) => {
    const step = await continueAuthorization(ctx, queryText(request, 'request_id'), inputOf(request, reply));
    return answer(ctx, request, reply, step, 302);
  });

  app.post('/oauth2/authorize', async (request, reply) => {
    // The consent form is a form: a JSON body is not what it sends.
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) return sendForbidden(ctx, request, reply);
    const body = authorizationParams(request.body);
    // An authorization request posted as a form (Core §3.1.2.1). What names a decision or a stored
    // request is the consent form, which needs its CSRF token.
    if (body.request_id === undefined && body.decision === undefined && body.client_id !== undefined) {
      // Sent on as the same request by GET: posted from the app's site, the request arrives without
      // Grantry's cookies (SameSite=Lax), and would see nobody signed in; the GET, a top-level
      // navigation, carries them.
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(body)) for (const item of [value].flat()) query.append(name, item);
      // What does not fit in a Location header (clients refuse headers over 16 KiB) is not sent on.
      if (query.toString().length > maxForwardedRequestLength) return sendErrorPage(ctx, request, reply, 'the authorization request is too large');
      return reply.header('cache-control', 'no-store').redirect(`/oauth2/authorize?${query}`, 303);
    }
    if (!verifyCsrf(ctx, request, body.csrf_token)) return sendForbidden(ctx, request, reply);
    const user = await currentUser(ctx, request);
    if (!user) return sendForbidden(ctx, request, reply);
    const requestId = typeof body.request_id === 'string' ? body.request_id : '';
    const step = await decideAuthorization(ctx, requestId, { ...inputOf(request, reply), allow: body.decision === 'allow' });
    if (step.approved) {
      ctx.audit.record({ event: 'consent_granted', userId: user.id, clientId: step.approved.client.id, ip: request.ip, detail: { scope: step.approved.scope.join(' ') } });
    }
    return answer(ctx, request, reply, step, 303);
  });

  app.post('/oauth2/authorize/select', async (request, reply) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) return sendForbidden(ctx, request, reply);
    if (!verifyCsrf(ctx, request, formText(request.body, 'csrf_token'))) return sendForbidden(ctx, request, reply);
    const choice = formText(request.body, 'choice');
    if (choice !== 'continue' && choice !== 'another') return sendErrorPage(ctx, request, reply, 'choice must be "continue" or "another"');
    const step = await chooseAccount(ctx, formText(request.body, 'request_id'), { ...inputOf(request, reply), choice, userId: formText(request.body, 'account') });
    return answer(ctx, request, reply, step, 303);
  });
}

async function answer(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, step: AuthorizationStep, redirectStatus: 302 | 303) {
  switch (step.step) {
    case 'error_page':
      return sendErrorPage(ctx, request, reply, step.description);
    case 'redirect':
      return reply.redirect(step.location, redirectStatus);
    case 'login': {
      const returnTo = encodeURIComponent(`${continuePath}?request_id=${step.requestId}`);
      return reply.redirect(`/login?return_to=${returnTo}${step.anotherAccount ? `&${anotherAccountFlag}=1` : ''}`, redirectStatus);
    }
    case 'consent':
      return showConsent(ctx, request, reply, step);
    case 'select_account':
      return showAccountChooser(ctx, request, reply, step);
  }
}

async function showAccountChooser(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, step: Extract<AuthorizationStep, { step: 'select_account' }>) {
  const basics = await pageBasics(ctx, request, reply, { uiLocales: step.request.parameters.ui_locales });
  const { id, username, displayName } = step.user;
  const page = selectAccountPage({ ...basics, account: { id, username, displayName }, appName: step.request.client.name, requestId: step.requestId });
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

async function showConsent(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, step: Extract<AuthorizationStep, { step: 'consent' }>) {
  const { requestId, request: authorization, user, confirmOnly } = step;
  const { client } = authorization;
  const owner = client.ownerId ? await ctx.store.users.findById(client.ownerId) : undefined;
  const basics = await pageBasics(ctx, request, reply, { uiLocales: authorization.parameters.ui_locales });
  reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
  return consentPage({
    ...basics,
    user,
    client,
    ownerUsername: client.ownerId === null ? null : (owner?.username ?? '?'),
    confirmOnly,
    scopes: authorization.scope.map((name) => ({ name, description: scopeWords(basics.locale, name, ctx.config.scopes) })),
    resources: await namedResources(ctx, authorization.facts.audience),
    claims: claimsBeyondScopes(authorization.scope, authorization.facts.claims).map((name) => ({ name, description: claimWords(basics.locale, name) })),
    redirectOrigin: originOf(authorization.redirectUri),
    requestId,
  });
}

/** The registered APIs a request names (its audience), as the consent page shows them. */
async function namedResources(ctx: ProviderContext, audience: readonly string[] | undefined): Promise<{ name: string; uri: string }[]> {
  if (!audience?.length) return [];
  const registered = await ctx.store.resources.listCached(ctx.config.clientCacheSeconds);
  return audience.map((uri) => ({ uri, name: registered.find((resource) => resource.uri === uri)?.name ?? uri }));
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
