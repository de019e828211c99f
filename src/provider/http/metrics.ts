import type { FastifyInstance, FastifyRequest } from 'fastify';
import { safeEqual } from '../../lib/crypto.ts';
import type { ProviderContext } from '../context.ts';
import type { ProviderMetrics } from '../metrics.ts';

// GET /metrics, in Prometheus' text format. Metrics tell an outsider the request rates, the login
// failures and the process' memory, so they are not public: with `metricsToken` configured, the
// scraper presents it as a bearer token; without one, only a caller on a loopback address whose
// request did not come through a proxy (no X-Forwarded-For) is answered — a proxy on the same
// host would otherwise make every visitor look local.

/** Counts every answered request; added on the root instance, so that it sees every route. */
export function countRequests(app: FastifyInstance, metrics: ProviderMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids and junk paths would make a label value each.
    metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
  });
}

export async function metricsRoutes(app: FastifyInstance, { ctx, metrics }: { ctx: ProviderContext; metrics: ProviderMetrics }): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const token = ctx.config.metricsToken;
    if (token !== null) {
      const presented = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (presented === undefined || !safeEqual(presented, token)) {
        return reply
          .code(401)
          .header('www-authenticate', `Bearer realm="metrics"${presented === undefined ? '' : ', error="invalid_token"'}`)
          .send({ error: 'invalid_token', error_description: 'GET /metrics needs the configured metrics token as a bearer token' });
      }
    } else if (!isLocal(request)) {
      return reply.code(403).send({
        error: 'access_denied',
        error_description: 'without a configured metricsToken, metrics are served to loopback callers only',
      });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

function isLocal(request: FastifyRequest): boolean {
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined) return false;
  const address = request.socket.remoteAddress ?? '';
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}
