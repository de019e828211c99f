import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * An HTTP server that listens before the app answering on it is built. With port 0 the system
 * picks a free port, and an app whose configuration names its own URL (a website's callback, for
 * instance) learns it first, with no window in which another process could take the port.
 * Fastify takes the server through its `serverFactory` option:
 *
 *   const early = await listenFirst('127.0.0.1', 0);
 *   const app = Fastify({ serverFactory: early.serverFactory });   // … routes that use early.port …
 *   await app.ready();
 *   // on shutdown: await app.close(); await early.close();
 */
export interface EarlyServer {
  port: number;
  serverFactory: (handler: RequestListener) => Server;
  close(): Promise<void>;
}

export async function listenFirst(host: string, port = 0): Promise<EarlyServer> {
  // Until the app is built on it, the server answers, rather than leave a request hanging.
  const notReady: RequestListener = (_request, response) => {
    response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end('starting');
  };
  const server = createServer(notReady);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`listening on ${host} gave no port`);
  return {
    port: address.port,
    serverFactory(handler) {
      server.off('request', notReady);
      server.on('request', handler);
      return server;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
