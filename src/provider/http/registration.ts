import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { invalidRequest, isOAuthError } from '../protocol/errors.ts';
import { deleteRegistration, readRegistration, registerFromMetadata, replaceRegistration } from '../protocol/registration.ts';
import { sendOAuthError } from './reply.ts';

// POST /oauth2/register (RFC 7591 §3) and GET/PUT/DELETE /oauth2/register/:clientId (RFC 7592),
// answered only while registration.mode is not 'off'; thin adapters over ../protocol/registration.ts.
// JSON in and out, never cached (the answers carry secrets). Bodies are limited to
// registration.maxBodyBytes (413 beyond, in the server's error shape).

export async function registrationRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  const bodyLimit = ctx.config.registration.maxBodyBytes;
  const off = () => ctx.config.registration.mode === 'off';

  /** The same 404 as for a path the server has no route for: switched off, the endpoint is not there. */
  const notHere = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });

  const answer = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<{ status: number; body?: unknown }>) => {
    if (off()) return notHere(request, reply);
    try {
      const { status, body } = await work();
      reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache');
      return body === undefined ? reply.send() : reply.send(body);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      return sendOAuthError(reply, error);
    }
  };

  const clientIdOf = (request: FastifyRequest) => (request.params as { clientId?: string }).clientId ?? '';

  /** RFC 7591 §3.1 and RFC 7592 §2.2: client metadata comes as JSON; a form body (which Fastify would parse too) is refused. */
  const jsonBody = (request: FastifyRequest): unknown => {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw invalidRequest('the client metadata must be sent as application/json');
    return request.body;
  };

  app.post('/oauth2/register', { bodyLimit }, (request, reply) =>
    answer(request, reply, async () => ({
      status: 201,
      body: await registerFromMetadata(ctx, { authorization: request.headers.authorization, metadata: jsonBody(request), address: request.ip }),
    })),
  );

  app.get('/oauth2/register/:clientId', (request, reply) =>
    answer(request, reply, async () => ({ status: 200, body: await readRegistration(ctx, clientIdOf(request), request.headers.authorization) })),
  );

  app.put('/oauth2/register/:clientId', { bodyLimit }, (request, reply) =>
    answer(request, reply, async () => ({ status: 200, body: await replaceRegistration(ctx, clientIdOf(request), request.headers.authorization, jsonBody(request)) })),
  );

  app.delete('/oauth2/register/:clientId', (request, reply) =>
    answer(request, reply, async () => {
      await deleteRegistration(ctx, clientIdOf(request), request.headers.authorization);
      return { status: 204 };
    }),
  );
}
