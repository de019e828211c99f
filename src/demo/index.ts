import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { connectFastify, createConnect } from '../connect/index.ts';
import { defaults } from '../config/defaults.ts';
import { openStore, type Store } from '../store/index.ts';
import { accountPage, homePage, spaPage, spaScript } from './pages.ts';
import { demoProviders } from './providers.ts';

export interface DemoSiteOptions {
  port: number;
  /** The Grantry provider the site logs in with (its metadata is read from there). */
  providerIssuer: string;
  clientId: string;
  clientSecret: string;
  /** Either a store to share, or a database URL to open one from. */
  store?: Store;
  databaseUrl?: string;
  secret: string;
  host?: string;
}

export interface DemoSite {
  url: string;
  close(): Promise<void>;
}

const browserModule = readFileSync(new URL('../connect/adapters/browser.js', import.meta.url), 'utf8');

/** A small website using grantry/connect: local accounts, "Log in with Grantry" (and others), binding, a single-page part. */
export async function startDemoSite(options: DemoSiteOptions): Promise<DemoSite> {
  const ownStore = options.store ? undefined : await openStore(options.databaseUrl ?? defaults.databaseUrl);
  const store = options.store ?? ownStore!;
  // localhost, not 127.0.0.1: the demo app's redirect URIs are registered that way.
  const url = `http://localhost:${options.port}`;
  const connect = createConnect({ store, secret: options.secret, siteUrl: url, providers: demoProviders(options), afterLoginPath: '/account' });
  const app = Fastify();
  await app.register(connectFastify, { connect });

  const page = (body: string) => (_: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  app.get('/', async (request, reply) => page(homePage(connect.providerList(), await connect.userFromCookies(request.headers.cookie)))(request, reply));
  app.get('/account', async (request, reply) => {
    const user = await connect.userFromCookies(request.headers.cookie);
    if (!user) return reply.redirect('/');
    return page(accountPage(user, await connect.identitiesOf(user.id), connect.providerList()))(request, reply);
  });
  app.get('/spa', async (request, reply) => page(spaPage(connect.providerList()))(request, reply));
  app.get('/spa/callback', async (request, reply) => page(spaPage(connect.providerList()))(request, reply));
  app.get('/spa.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(spaScript));
  app.get('/connect/browser.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(browserModule));

  // Both ::1 and 127.0.0.1, whichever "localhost" resolves to first.
  await app.listen({ host: options.host ?? 'localhost', port: options.port });
  return {
    url,
    async close() {
      await app.close();
      await ownStore?.close();
    },
  };
}
