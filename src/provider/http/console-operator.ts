import { isPlausibleClientId } from '../protocol/client-documents.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { usernameKey } from '../../lib/username.ts';
import type { ProviderContext } from '../context.ts';
import { operatorPage } from '../pages/operator.ts';
import { formText } from '../pages/html.ts';
import type { User } from '../storage.ts';
import { pageBasics, passesCsrf, requireUser, sendNotFound, sendPage } from './login.ts';

// GET /console/operator and POST /console/operator/apps/:id/delete: the operator's page (see
// ../pages/operator.ts). An operator is a person whose username is in console.operators; to anyone
// else signed in the page does not exist (404), and a stranger is sent to log in first.

export async function consoleOperatorRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  /** The signed-in operator; otherwise the login redirect or the 404 has been sent. */
  const requireOperator = async (request: FastifyRequest, reply: FastifyReply, returnTo: string): Promise<User | null> => {
    const user = await requireUser(ctx, request, reply, returnTo);
    if (!user) return null;
    if (!isOperator(ctx, user)) {
      await sendNotFound(ctx, request, reply);
      return null;
    }
    return user;
  };

  app.get('/console/operator', async (request, reply) => {
    if (!(await requireOperator(request, reply, '/console/operator'))) return reply;
    const apps = await ctx.store.clients.list();
    const registered = apps.filter((client) => client.origin === 'registration');
    const documents = apps.filter((client) => client.origin === 'document');
    const resources = await ctx.store.resources.list();
    const basics = await pageBasics(ctx, request, reply);
    return sendPage(
      reply,
      operatorPage({ ...basics, registered, documents, resources, unusedClientDays: ctx.config.registration.unusedClientDays, deleted: formText(request.query, 'deleted') !== '' }),
    );
  });

  app.post('/console/operator/apps/:id/delete', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const operator = await requireOperator(request, reply, '/console/operator');
    if (!operator) return reply;
    const id = (request.params as { id?: string }).id ?? '';
    const client = /^[0-9a-f]{32}$/.test(id) ? await ctx.store.clients.find(id) : undefined;
    // Only self-registered apps are the operator page's to delete; a person's app is theirs (and the CLI's).
    if (!client || client.origin !== 'registration') return sendNotFound(ctx, request, reply);
    await ctx.store.clients.delete(client.id);
    ctx.audit.record({ event: 'app_deleted', clientId: client.id, userId: operator.id, ip: request.ip, detail: { name: client.name, origin: 'registration', by: 'operator' } });
    return reply.redirect('/console/operator?deleted=1', 303);
  });

  // An app known by its metadata document is named by a URL, which a path segment cannot carry: the form sends it.
  app.post('/console/operator/documents/delete', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const operator = await requireOperator(request, reply, '/console/operator');
    if (!operator) return reply;
    const id = formText(request.body, 'client_id');
    const client = isPlausibleClientId(id) && id !== '' ? await ctx.store.clients.find(id) : undefined;
    if (!client || client.origin !== 'document') return sendNotFound(ctx, request, reply);
    await ctx.store.clients.delete(client.id);
    ctx.audit.record({ event: 'app_deleted', clientId: client.id, userId: operator.id, ip: request.ip, detail: { name: client.name, origin: 'document', by: 'operator' } });
    return reply.redirect('/console/operator?deleted=1', 303);
  });
}

/** Whether this person is one of console.operators (names compared as logins compare them: case and width folded). */
export function isOperator(ctx: Pick<ProviderContext, 'config'>, user: Pick<User, 'username'>): boolean {
  const key = usernameKey(user.username);
  return ctx.config.console.operators.some((name) => usernameKey(name) === key);
}
