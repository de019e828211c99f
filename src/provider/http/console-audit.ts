import type { FastifyInstance } from 'fastify';
import { langCookie, pickLocale } from '../../i18n/index.ts';
import type { ProviderContext } from '../context.ts';
import { auditPage } from '../pages/audit.ts';
import { formText } from '../pages/html.ts';
import { pageBasics, requireUser, sendNotFound, sendPage } from './login.ts';

// GET /console/apps/:id/audit: an app's audit trail, for the app's owner only. Anyone else — signed
// in or not yet — learns nothing about whether the app exists: a stranger is sent to log in, and a
// signed-in non-owner gets the same 404 as for an app that does not exist.

const pageSize = 50;

export async function consoleAuditRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/console/apps/:id/audit', async (request, reply) => {
    const id = (request.params as { id?: string }).id ?? '';
    const user = await requireUser(ctx, request, reply, `/console/apps/${encodeURIComponent(id)}/audit`);
    if (!user) return reply;
    const client = /^[\x21-\x7e]{1,200}$/.test(id) ? await ctx.store.clients.find(id) : undefined;
    if (!client || client.ownerId !== user.id) return sendNotFound(ctx, request, reply);

    const beforeText = formText(request.query, 'before');
    const before = /^[1-9][0-9]{0,15}$/.test(beforeText) ? Number(beforeText) : undefined;
    // One more than a page, to know whether an "older" link leads anywhere.
    const rows = await ctx.store.audit.list({ clientId: client.id, limit: pageSize + 1, ...(before !== undefined ? { beforeId: before } : {}) });
    const events = rows.slice(0, pageSize);
    const locale = pickLocale({ cookie: request.cookies[langCookie], acceptLanguage: request.headers['accept-language'] });
    const basics = { ...(await pageBasics(ctx, request, reply)), locale, here: request.url };
    return sendPage(
      reply,
      auditPage({ ...basics, app: { id: client.id, name: client.name }, events, ...(rows.length > pageSize ? { olderThan: events.at(-1)!.id } : {}) }),
    );
  });
}
