import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';

/** GET /oauth2/jwks: the public keys that verify access tokens (RFC 7517), straight from the loaded ring. */
export async function jwksRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  const { signingKeyPublishBeforeUse, signingKeyReload } = ctx.config.lifetimes;
  // A new key is published signingKeyPublishBeforeUse seconds before it signs, and each server may
  // take up to signingKeyReload seconds to see it; caches must refresh well within what is left.
  const maxAge = Math.max(0, Math.floor((signingKeyPublishBeforeUse - signingKeyReload) / 2));
  app.get('/oauth2/jwks', async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${maxAge}`).header('access-control-allow-origin', '*');
    return ctx.keys.jwks();
  });
}
