import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { serverMetadata } from '../protocol/metadata.ts';

/** RFC 8414: GET /.well-known/oauth-authorization-server */
export async function metadataRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*');
    return serverMetadata(ctx.config);
  });
}
