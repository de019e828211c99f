import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { isBearerError } from '../protocol/resource.ts';
import { userInfo } from '../protocol/userinfo.ts';
import { sendBearerError } from './api.ts';

/** OpenID Connect's UserInfo endpoint: GET or POST with the Bearer header, or POST with access_token in a form body. */
export async function userInfoRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  // Browser apps call it cross-origin with an Authorization header, which needs a preflight.
  app.options('/oauth2/userinfo', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'authorization, content-type')
      .header('access-control-max-age', '600')
      .send(),
  );

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
    const query = request.query as Record<string, unknown> | undefined;
    const body = request.body as Record<string, unknown> | undefined;
    // RFC 6750 §2.2: in a form-encoded body only, not JSON.
    const formBody = request.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '');
    const bodyToken = formBody && body && typeof body === 'object' ? body.access_token : undefined;
    try {
      return await userInfo(ctx, {
        authorization: request.headers.authorization,
        bodyToken: typeof bodyToken === 'string' ? bodyToken : Array.isArray(bodyToken) ? '' : undefined,
        queryToken: query !== undefined && query !== null && 'access_token' in query,
      });
    } catch (error) {
      if (!isBearerError(error)) throw error;
      return sendBearerError(reply, error, 'openid');
    }
  };
  app.get('/oauth2/userinfo', handler);
  app.post('/oauth2/userinfo', handler);
}
