import Fastify from 'fastify';
import { createConnect, connectFastify, type Connect, type ConnectOptions } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { TestBrowser, type BrowserResponse } from '../helpers/browser.ts';
import { listenFirst } from '../../src/lib/listen-first.ts';

export const secret = 'connect-test-secret-0123456789abcdef';

export interface TestSite {
  url: string;
  connect: Connect;
  /** What Connect warned the site's developer about (its logger), unless the test gave its own logger. */
  warnings: Array<{ details: Record<string, unknown>; message: string }>;
  close(): Promise<void>;
}

/** A website using Connect through its Fastify plugin, with an account page to land on. */
export async function startSite(
  store: ConnectStore,
  providers: ConnectOptions['providers'] | ((siteUrl: string) => ConnectOptions['providers'] | Promise<ConnectOptions['providers']>),
  options: Partial<ConnectOptions> = {},
): Promise<TestSite> {
  // The site listens before it is built, so that its URL (and so its callback) is known to the providers first.
  const early = await listenFirst('127.0.0.1', options.siteUrl ? Number(new URL(options.siteUrl).port) : 0);
  const url = `http://127.0.0.1:${early.port}`;
  const warnings: TestSite['warnings'] = [];
  const logger = { warn: (details: Record<string, unknown>, message: string) => void warnings.push({ details, message }) };
  // Tests sign people up from 127.0.0.1 again and again: the sign-up limit is lifted unless a test sets it.
  const connect = createConnect({
    store, secret, siteUrl: url, providers: typeof providers === 'function' ? await providers(url) : providers, logger, ...options, login: { signupsPerAddress: 10_000, ...options.login },
  });
  const app = Fastify({ serverFactory: early.serverFactory });
  await app.register(connectFastify, { connect });
  app.get('/account', async (request, reply) => {
    const cookie = /connect_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    const user = await connect.currentUser(cookie ? decodeURIComponent(cookie) : undefined);
    if (!user) return reply.code(401).send({ signedIn: false });
    return { signedIn: true, user, identities: await connect.identitiesOf(user.id) };
  });
  await app.ready();
  return {
    url,
    connect,
    warnings,
    async close() {
      await app.close();
      await early.close();
    },
  };
}

/**
 * Starts a login on the site and follows the redirects through the provider and back, stopping at
 * the first answer from the site that is not a redirect to the provider.
 */
export async function loginWith(browser: TestBrowser, provider: string, form: Record<string, string> = {}): Promise<{ authorizeUrl: string; callback: BrowserResponse }> {
  const start = await browser.post(`/auth/${provider}/login`, form);
  if (start.status !== 303 || !start.location) throw new Error(`login did not start: ${start.status} ${start.text}`);
  const authorizeUrl = start.location;
  const atProvider = await browser.get(authorizeUrl);
  if (!atProvider.location) throw new Error(`the provider did not redirect back: ${atProvider.status} ${atProvider.text}`);
  return { authorizeUrl, callback: await browser.get(atProvider.location) };
}

/** Everything a browser saw, for asserting that a provider token never reached it. */
export function visible(response: BrowserResponse): string {
  return `${response.text}\n${[...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
}

export { TestBrowser };
