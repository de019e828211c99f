import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { script, stylesheet } from '../pages/assets.ts';

// GET /assets/grantry.css and /assets/grantry.js: the pages' only stylesheet and script. Their
// links carry a content hash (?v=), so a year of caching never serves a stale file.

const longCache = 'public, max-age=31536000, immutable';

export async function assetRoutes(app: FastifyInstance, _options: { ctx: ProviderContext }): Promise<void> {
  app.get('/assets/grantry.css', async (_request, reply) => reply.header('cache-control', longCache).type('text/css; charset=utf-8').send(stylesheet));
  app.get('/assets/grantry.js', async (_request, reply) =>
    reply.header('cache-control', longCache).type('text/javascript; charset=utf-8').send(script),
  );
}
