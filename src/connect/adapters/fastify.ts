import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Connect } from '../connect.ts';
import { handleConnectRequest } from './core.ts';
import { flattenHeaders, parseBodyText, splitUrl } from './http.ts';

/**
 * Connect's routes in a Fastify app: `app.register(connectFastify, { connect })`. Encapsulated,
 * so its body parsing stays with its own routes.
 */
export const connectFastify: FastifyPluginAsync<{ connect: Connect }> = async (app: FastifyInstance, { connect }) => {
  // A Fastify app that logs (Fastify({ logger: … })) gets Connect's warnings in the same log. One
  // that does not has a silent stand-in with no level, which would swallow them: stderr stays then.
  if (typeof app.log.level === 'string' && app.log.level !== 'silent') connect.adoptFrameworkLogger(app.log);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
      done(null, parseBodyText(body as string, 'application/x-www-form-urlencoded'));
    });
  }
  const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { path, query } = splitUrl(request.url);
    const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : undefined;
    const answer = await handleConnectRequest(connect, { method: request.method, path, query, body, headers: flattenHeaders(request.headers), address: request.ip });
    if (!answer) return reply.callNotFound();
    reply.code(answer.status).headers(answer.headers);
    if (answer.cookies.length > 0) reply.header('set-cookie', answer.cookies);
    return reply.send(answer.body);
  };
  for (const prefix of [connect.options.basePath, connect.options.apiPath]) {
    app.route({ method: ['GET', 'POST'], url: `${prefix}/*`, handler });
  }
};
