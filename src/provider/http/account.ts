import type { FastifyInstance } from 'fastify';
import { t } from '../../i18n/index.ts';
import type { ProviderContext } from '../context.ts';
import { connectedAppsPage } from '../pages/account.ts';
import { noticeLogout } from '../protocol/backchannel-logout.ts';
import { formText } from '../pages/html.ts';
import { pageBasics, passesCsrf, requireUser, sendPage } from './login.ts';

// GET /account/apps: the apps a person allowed; POST /account/apps/:clientId/revoke takes every
// grant of that person to that app back at once, and forgets the consent, so that the app has to
// ask again instead of being let through silently next time.

export async function accountRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/account/apps', async (request, reply) => {
    const user = await requireUser(ctx, request, reply, '/account/apps');
    if (!user) return reply;
    const apps = await ctx.store.grants.listAuthorizedApps(user.id);
    const basics = await pageBasics(ctx, request, reply);
    const notice = formText(request.query, 'revoked') ? t(basics.locale, 'account.revoked') : undefined;
    return sendPage(reply, connectedAppsPage({ ...basics, user, apps, scopes: ctx.config.scopes, notice }));
  });

  app.post('/account/apps/:clientId/revoke', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const user = await requireUser(ctx, request, reply, '/account/apps');
    if (!user) return reply;
    const clientId = (request.params as { clientId?: string }).clientId ?? '';
    // An id no app could have (a NUL byte, which PostgreSQL refuses) has no grants to revoke either.
    if (/^[\x21-\x7e]{1,200}$/.test(clientId)) {
      const grantIds = await revokeApp(ctx, user.id, clientId);
      if (grantIds.length > 0) {
        ctx.audit.record({ event: 'app_access_revoked', userId: user.id, clientId, ip: request.ip, detail: { grant_ids: grantIds } });
        // The app is told too, if it asked to be (Back-Channel Logout 1.0): it ends every session it made for this person.
        await noticeLogout(ctx, user.id, { clientId });
      }
    }
    return reply.redirect('/account/apps?revoked=1', 303);
  });
}

/** The ids of the grants taken back. */
async function revokeApp(ctx: ProviderContext, userId: string, clientId: string): Promise<string[]> {
  return ctx.store.transaction(async (store) => {
    const grantIds = (await store.grants.listAuthorizedApps(userId)).find((app) => app.client.id === clientId)?.grantIds ?? [];
    await store.grants.revokeAllOf(userId, clientId, 'revoked_by_user');
    await store.consents.delete(userId, clientId);
    return grantIds;
  });
}
