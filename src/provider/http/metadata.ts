import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { serverMetadata } from '../protocol/metadata.ts';

/** RFC 8414's GET /.well-known/oauth-authorization-server and OpenID Connect Discovery's GET /.well-known/openid-configuration: one document. */
export async function metadataRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*');
      return serverMetadata(ctx.config);
    });
  }
}
