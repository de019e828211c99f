import { readFileSync } from 'node:fs';
import { canonicalLocation } from '../lib/canonical-host.ts';
import { listenFirst, type EarlyServer } from '../lib/listen-first.ts';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { connectFastify, cookieNames, createConnect, parseCookies, type ConnectOptions, type ConnectRequest } from '../connect/index.ts';
import { serializeCookie } from '../connect/adapters/http.ts';
import { safeReturnTo } from '../connect/binding/index.ts';
import { defaults } from '../config/defaults.ts';
import { isLocale, langCookie, langCookieMaxAge, pickLocale } from '../i18n/index.ts';
import type { ConnectStore } from '../connect/storage.ts';
import { openConnectStore } from '../store/connect/index.ts';
import { accountPage, errorPage, homePage, implicitPage, pendingPage, reloginPage, spaPage, type LiveProfile, type PageContext } from './pages.ts';
import { forgetProviderToken, readProviderProfile } from './profile.ts';
import { demoProviders } from './providers.ts';

export interface DemoSiteOptions {
  /** 0: a free port the system picks (on host, 127.0.0.1 unless given); the site's url says which. */
  port: number;
  /** A server already listening (see listenFirst), to build the site on; `port` is then its port. */
  listening?: EarlyServer;
  /** The Grantry provider the site logs in with (its metadata is read from there). */
  providerIssuer: string;
  clientId: string;
  clientSecret: string;
  /** A `spa` app at the provider with the implicit grant allowed, for the browser-only page (/implicit). */
  implicitClientId?: string;
  /** Either Connect's store to use, or a database URL to open one from (it may be the provider's database: the tables differ). */
  store?: ConnectStore;
  databaseUrl?: string;
  secret: string;
  host?: string;
  /** The site's login and sign-up limits (Grantry's defaults unless given). */
  login?: ConnectOptions['login'];
}

export interface DemoSite {
  url: string;
  close(): Promise<void>;
}

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
const browserModule = asset('../connect/adapters/browser.js');
const scripts: Record<string, string> = { '/spa.js': asset('./assets/spa.js'), '/implicit.js': asset('./assets/implicit.js') };
const stylesheet = asset('./assets/demo.css');

/** The page's language and path, from the request (the switcher's cookie, then Accept-Language). */
function contextOf(request: { url?: string; path?: string; headers: Record<string, string | string[] | undefined> }): PageContext {
  const cookie = typeof request.headers.cookie === 'string' ? request.headers.cookie : undefined;
  const acceptLanguage = request.headers['accept-language'];
  const locale = pickLocale({ cookie: parseCookies(cookie)[langCookie], acceptLanguage: typeof acceptLanguage === 'string' ? acceptLanguage : undefined });
  return { locale, path: request.path ?? request.url ?? '/' };
}

/** A small website using grantry/connect: local accounts, "Log in with Grantry" (and others), binding, two single-page parts. */
export async function startDemoSite(options: DemoSiteOptions): Promise<DemoSite> {
  const ownStore = options.store ? undefined : await openConnectStore(options.databaseUrl ?? defaults.databaseUrl);
  const store = options.store ?? ownStore!;
  // Port 0: the system picks a free port, known before the site's own URL is (see listenFirst).
  const early = options.listening ?? (options.port === 0 ? await listenFirst(options.host ?? '127.0.0.1', 0) : undefined);
  // localhost, not 127.0.0.1: the demo app's redirect URIs are registered that way.
  const url = `http://localhost:${early?.port ?? options.port}`;
  const issuerOrigin = new URL(options.providerIssuer).origin;
  const connect = createConnect({
    store,
    secret: options.secret,
    siteUrl: url,
    providers: demoProviders(options),
    afterLoginPath: '/account',
    ...(options.login ? { login: options.login } : {}),
    pages: {
      pending: (input, request: ConnectRequest) => pendingPage(contextOf(request), input),
      // A failed callback's address cannot be shown again: the switcher leads home from there.
      error: (input, request: ConnectRequest) => errorPage({ ...contextOf(request), path: '/' }, input),
    },
  });
  const providerName = (id: string) => connect.providerList().find((p) => p.id === id)?.name ?? id;
  const app = Fastify(early ? { serverFactory: early.serverFactory } : {});
  // A page opened under another name of this host (127.0.0.1 for localhost) goes to the site's
  // own: its cookies, and the origin that Connect's login forms must post from, are the site's.
  app.addHook('onRequest', (request, reply, done) => {
    const canonical = canonicalLocation(url, { method: request.method, host: request.host, url: request.url, accept: request.headers.accept, protocol: request.protocol });
    if (canonical) {
      reply.header('cache-control', 'no-store').redirect(canonical, 308);
      return;
    }
    done();
  });
  // Everything is served from here; the browser-only page also talks to the provider's API.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', `default-src 'self'; connect-src 'self' ${issuerOrigin}; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`);
      reply.header('x-content-type-options', 'nosniff');
    }
    return payload;
  });
  await app.register(connectFastify, { connect });

  const send = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const sessionOf = (request: FastifyRequest) => parseCookies(request.headers.cookie)[cookieNames.session];

  app.get('/', async (request, reply) => send(reply, homePage(contextOf(request), connect.providerList(), await connect.userFromCookies(request.headers.cookie))));

  app.get('/account', async (request, reply) => {
    const user = await connect.userFromCookies(request.headers.cookie);
    if (!user) return reply.redirect('/');
    const c = contextOf(request);
    const identities = await connect.identitiesOf(user.id);
    // The demo's one call to the provider's API on the visitor's behalf: Grantry's /api/me.
    const live: LiveProfile[] = [];
    for (const identity of identities.filter((i) => i.provider === 'grantry')) {
      const reading = await readProviderProfile(connect, options.providerIssuer, identity);
      const name = providerName(identity.provider);
      if (reading.kind === 'refused') {
        await forgetProviderToken(connect, identity, sessionOf(request));
        reply.header('set-cookie', serializeCookie(cookieNames.session, '', { maxAge: 0, secure: connect.secure }));
        return send(reply, reloginPage(c, connect.providerList(), name), 401);
      }
      live.push(reading.kind === 'ok' ? { kind: 'ok', providerName: name, me: reading.me } : reading.kind === 'no-token' ? { kind: 'no-token', providerName: name } : { kind: 'unreachable', providerName: name, reason: reading.reason });
    }
    return send(reply, accountPage(c, user, identities, connect.providerList(), live));
  });

  // Logging out here ends the person's Grantry session too (OpenID Connect RP-Initiated Logout):
  // the site's session ends, then the browser goes to Grantry's end_session_endpoint with the ID
  // token Connect keeps for them, and Grantry sends it back to this site's home page (registered
  // as the demo app's logout return URL). Someone without a Grantry login here is only logged out here.
  await app.register(async (scope) => {
    // The logout form sends nothing the route reads (Connect parses forms for its own routes only).
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, _body, done) => done(null, {}));
    scope.post('/logout', async (request, reply) => {
      // A form posted from another site (a forced logout) is refused, as Connect refuses its own.
      const origin = request.headers.origin;
      const fetchSite = request.headers['sec-fetch-site'];
      if (origin ? origin !== url : fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
        return send(reply, errorPage({ ...contextOf(request), path: '/' }, { status: 403, code: 'cross_site', message: 'This form was sent from another site.', backTo: '/' }), 403);
      }
      const user = await connect.userFromCookies(request.headers.cookie);
      const endSession = user ? await connect.endSessionUrl(user.id, 'grantry', { postLogoutRedirectUri: `${url}/`, uiLocales: contextOf(request).locale }) : undefined;
      await connect.sessions.end(sessionOf(request));
      reply.header('set-cookie', serializeCookie(cookieNames.session, '', { maxAge: 0, secure: connect.secure }));
      return reply.header('cache-control', 'no-store').redirect(endSession ?? '/', 303);
    });
  });

  app.get('/spa', async (request, reply) => send(reply, spaPage(contextOf(request), connect.providerList())));
  app.get('/spa/callback', async (request, reply) => send(reply, spaPage({ ...contextOf(request), path: '/spa' }, connect.providerList())));
  app.get('/implicit', async (request, reply) =>
    send(reply, implicitPage(contextOf(request), { issuer: options.providerIssuer, clientId: options.implicitClientId, providerName: providerName('grantry') })),
  );

  // The language switcher: remembered in a cookie, then back to the page it was used on.
  app.get('/lang/:locale', async (request, reply) => {
    const { locale } = request.params as { locale: string };
    const back = safeReturnTo((request.query as { back?: unknown }).back) ?? '/';
    if (!isLocale(locale)) return reply.redirect(back);
    reply.header('set-cookie', `${langCookie}=${encodeURIComponent(locale)}; Path=/; Max-Age=${langCookieMaxAge}; SameSite=Lax${connect.secure ? '; Secure' : ''}`);
    return reply.redirect(back);
  });

  for (const [path, source] of Object.entries(scripts)) app.get(path, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(source));
  app.get('/connect/browser.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(browserModule));
  app.get('/demo.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(stylesheet));

  // Both ::1 and 127.0.0.1, whichever "localhost" resolves to first.
  if (early) await app.ready();
  else await app.listen({ host: options.host ?? 'localhost', port: options.port });
  return {
    url,
    async close() {
      await app.close();
      await early?.close();
      await ownStore?.close();
    },
  };
}
