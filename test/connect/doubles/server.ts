import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';

// A provider double: a Fastify server on a loopback port, recording what it was sent so that tests
// can assert on the requests as well as on the outcome.

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  body: Record<string, string>;
}

export interface Double {
  url: string;
  app: FastifyInstance;
  requests: Recorded[];
  /** The person the next authorization logs in as. */
  nextUser: string;
  /** Makes the next token request fail in this provider's way. */
  failNextToken: boolean;
  close(): Promise<void>;
}

export async function startDouble(routes: (app: FastifyInstance, double: Double) => void): Promise<Double> {
  const app = Fastify();
  await app.register(formbody);
  const double = { requests: [] as Recorded[], nextUser: 'u1', failNextToken: false, app } as unknown as Double;
  app.addHook('onRequest', async (request) => {
    double.requests.push({
      method: request.method,
      path: request.url.split('?')[0]!,
      headers: request.headers,
      query: request.query as Record<string, string>,
      body: {},
    });
  });
  app.addHook('preHandler', async (request) => {
    const last = double.requests.at(-1);
    if (last && request.body && typeof request.body === 'object') last.body = request.body as Record<string, string>;
  });
  routes(app, double);
  double.url = await app.listen({ host: '127.0.0.1', port: 0 });
  double.close = () => app.close();
  return double;
}

/** The authorization endpoint every double shares: it consents at once and sends the browser back. */
export function issueCode(double: Double, codes: Map<string, { user: string; challenge?: string; redirectUri: string }>, query: Record<string, string>, redirectParam = 'redirect_uri'): string {
  const code = `code-${codes.size + 1}-${Math.random().toString(36).slice(2)}`;
  codes.set(code, { user: double.nextUser, challenge: query.code_challenge, redirectUri: query[redirectParam]! });
  const target = new URL(query[redirectParam]!);
  target.searchParams.set('code', code);
  if (query.state) target.searchParams.set('state', query.state);
  return target.href;
}
