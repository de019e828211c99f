// The ceilings every figure is read against: a bare node:http server and a bare Fastify server,
// each answering a fixed token-sized JSON body.
import { createServer } from 'node:http';
import Fastify from 'fastify';
import type { RunningTarget } from './types.ts';

const answer = JSON.stringify({ access_token: 'x'.repeat(200), token_type: 'Bearer', expires_in: 3600 });

const fixed = { method: 'GET' as const, path: '/', headers: {} };

export async function startBareNode(): Promise<RunningTarget> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    scenarios: ['fixed'],
    prepare: async () => fixed,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function startBareFastify(): Promise<RunningTarget> {
  const app = Fastify();
  app.all('/*', async () => answer);
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), scenarios: ['fixed'], prepare: async () => fixed, close: () => app.close() };
}
