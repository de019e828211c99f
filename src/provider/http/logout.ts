import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { t } from '../../i18n/index.ts';
import type { ProviderContext } from '../context.ts';
import { messagePage } from '../pages/html.ts';
import { logoutErrorPage, logoutQuestionPage } from '../pages/logout.ts';
import { checkLogoutRequest, type LogoutParameters } from '../protocol/logout.ts';
import { maxForwardedRequestLength } from './authorize.ts';
import { pageBasics } from './login.ts';
import { endSession, currentUser, verifyCsrf } from './session.ts';

// GET/POST /oauth2/logout — OpenID Connect RP-Initiated Logout 1.0's end_session_endpoint. A
// POST that carries `confirm` is the person's answer to the question page (with its CSRF token);
// any other GET or POST is an app's logout request.

const parameterNames = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales'] as const;

function logoutParameters(source: unknown): LogoutParameters {
  const values = (source ?? {}) as Record<string, unknown>;
  const params: Record<string, string> = {};
  // A repeated parameter (a list) is taken as absent, and then fails where it is needed.
  for (const name of parameterNames) if (typeof values[name] === 'string' && values[name] !== '') params[name] = values[name] as string;
  return params;
}

export async function logoutRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  const handle = async (request: FastifyRequest, reply: FastifyReply, source: unknown, confirmed: boolean) => {
    const params = logoutParameters(source);
    const user = await currentUser(ctx, request);
    const step = await checkLogoutRequest(ctx, params, user?.id ?? null);
    const basics = await pageBasics(ctx, request, reply, { uiLocales: params.ui_locales });
    reply.header('cache-control', 'no-store');
    if (step.step === 'error') return reply.code(400).type('text/html; charset=utf-8').send(logoutErrorPage(basics, step.description));
    if (step.step === 'confirm' && !confirmed) {
      return reply.type('text/html; charset=utf-8').send(logoutQuestionPage(basics, { appName: step.client?.name, parameters: { ...params } }));
    }
    if (user) {
      await endSession(ctx, request, reply);
      ctx.audit.record({ event: 'logged_out', userId: user.id, ...(step.client ? { clientId: step.client.id } : {}), ip: request.ip });
    }
    if (step.redirect) return reply.redirect(step.redirect, 303);
    const done = await pageBasics(ctx, request, reply, { uiLocales: params.ui_locales });
    return reply.type('text/html; charset=utf-8').send(messagePage({ ...done, user: null, title: t(done.locale, 'logout.done.title'), message: t(done.locale, 'logout.done.message') }));
  };

  app.get('/oauth2/logout', async (request, reply) => handle(request, reply, request.query, false));
  app.post('/oauth2/logout', async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (body && body.confirm !== undefined) {
      // The person's answer: only from Grantry's own question page.
      if (!verifyCsrf(ctx, request, body.csrf_token)) {
        const basics = await pageBasics(ctx, request, reply);
        return reply.code(403).type('text/html; charset=utf-8').header('cache-control', 'no-store')
          .send(messagePage({ ...basics, title: t(basics.locale, 'consentRefused.title'), message: t(basics.locale, 'consentRefused.message') }));
      }
      return handle(request, reply, body, true);
    }
    // An app's logout request posted from its own site arrives without Grantry's session cookie
    // (SameSite=Lax keeps it home on a cross-site POST): answered as is, it would end nothing and
    // say otherwise. The same request as a GET, a top-level navigation, carries the cookie.
    const query = new URLSearchParams(logoutParameters(body) as Record<string, string>).toString();
    if (query.length > maxForwardedRequestLength) {
      const basics = await pageBasics(ctx, request, reply);
      return reply.code(400).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(logoutErrorPage(basics, 'the logout request is too large'));
    }
    return reply.header('cache-control', 'no-store').redirect(`/oauth2/logout?${query}`, 303);
  });
}
