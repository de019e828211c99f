import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';

// GET /healthz — the process is up and serving HTTP; it touches nothing else, so that a slow
//                database never gets a healthy process restarted.
// GET /readyz  — whether this instance should get traffic: the store answers one cheap query within
//                a short time and its migrations are current. (While the server closes, Fastify itself
//                answers 503 to requests arriving on connections still open.)
//                503 with a JSON reason otherwise, which load balancers and people can both read.

export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const reason = await storeProblem(ctx);
    if (reason) return reply.code(503).send({ status: 'unavailable', reason });
    return reply.send({ status: 'ready' });
  });
}

async function storeProblem(ctx: ProviderContext): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the store did not answer within ${ctx.config.readyTimeoutMs} ms`), ctx.config.readyTimeoutMs);
  });
  try {
    const answer = ctx.store.readiness().then(
      (readiness) => (readiness.ready ? undefined : readiness.reason),
      (error: Error) => `the store is unreachable: ${error.message}`,
    );
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
