import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeConfig } from '../../src/config/config.ts';
import { randomToken, s256, sha256 } from '../../src/lib/crypto.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { registerThroughForm, rotateThroughForm } from '../helpers/console.ts';
import { dumpDatabase } from '../helpers/dump.ts';
import { startDemoFor } from '../helpers/demo.ts';
import { testSecret } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth } from '../provider/token-fixtures.ts';

// Every flow, run over HTTP against `grantry start` logging at info: every secret that crossed
// HTTP (passwords, client secrets, codes, code verifiers, access and refresh tokens, session and
// CSRF cookies, CSRF tokens, state) is collected from the exchanges themselves, then searched for
// in a dump of every table and in the provider's log. Zero hits.

const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Names under which a value is a secret, wherever it appears: form, query, fragment, JSON, cookie. */
const secretNames = /^(code|code_verifier|client_secret|password|password_confirmation|refresh_token|access_token|id_token|token|csrf_token|state|cookie|secret|ticket)$/;

class Collector {
  private readonly seen = new Set<string>();
  /** Values sent under a name that is public by design (code_challenge is a hash, meant to be stored). */
  private readonly public = new Set<string>();
  exchanges = 0;

  get secrets(): Set<string> {
    return new Set([...this.seen].filter((value) => !this.public.has(value)));
  }

  add(name: string, value: unknown): void {
    if (typeof value !== 'string') return;
    if (secretNames.test(name) && value.length >= 8) this.seen.add(value);
    else if (name !== 'secret') this.public.add(value);
  }

  addParams(params: URLSearchParams): void {
    for (const [name, value] of params) this.add(name, value);
  }

  addUrl(url: string): void {
    const parsed = new URL(url, 'http://x');
    this.addParams(parsed.searchParams);
    if (parsed.hash) this.addParams(new URLSearchParams(parsed.hash.slice(1)));
  }

  addJson(value: unknown, name = ''): void {
    if (Array.isArray(value)) for (const item of value) this.addJson(item, name);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) this.addJson(v, k);
    else this.add(name, value);
  }

  addAuthorization(header: string | null): void {
    if (!header) return;
    const [scheme, credentials = ''] = header.split(' ');
    if (/^basic$/i.test(scheme!)) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      this.add('client_secret', decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1).replace(/\+/g, ' ')));
    } else this.add('access_token', credentials);
  }

  /** A Cookie header is all name=value pairs; a Set-Cookie line is one, then attributes (Path, Max-Age…) that are not secret. */
  addCookies(header: string | null | string[], kind: 'cookie' | 'set-cookie'): void {
    for (const line of [header ?? []].flat()) {
      const pairs = line.split(';');
      for (const pair of kind === 'cookie' ? pairs : pairs.slice(0, 1)) {
        const index = pair.indexOf('=');
        if (index > 0) this.add('cookie', decodeURIComponent(pair.slice(index + 1).trim()));
      }
    }
  }

  addBody(text: string, contentType: string): void {
    if (/json/.test(contentType)) {
      try {
        this.addJson(JSON.parse(text));
      } catch {}
    } else if (/x-www-form-urlencoded/.test(contentType)) this.addParams(new URLSearchParams(text));
    else if (/html/.test(contentType)) {
      for (const [, name, value] of text.matchAll(/name="([^"]+)"[^>]*?value="([^"]*)"/g)) this.add(name!, value!.replace(/&amp;/g, '&'));
      // A secret shown once on a page (an app's secret) is 32 random bytes in base64url.
      for (const [token] of text.matchAll(/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g)) this.add('secret', token!);
    }
  }

  /** Wraps the global fetch: the test browsers, the demo site and its Connect client all use it. */
  install(): () => void {
    const original = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      this.exchanges++;
      this.addUrl(request.url);
      this.addAuthorization(request.headers.get('authorization'));
      this.addCookies(request.headers.get('cookie'), 'cookie');
      const body = await request.clone().text();
      if (body) this.addBody(body, request.headers.get('content-type') ?? '');
      const response = await original(request);
      this.addCookies(response.headers.getSetCookie(), 'set-cookie');
      const location = response.headers.get('location');
      if (location) this.addUrl(location);
      this.addBody(await response.clone().text(), response.headers.get('content-type') ?? '');
      return response;
    };
    return () => {
      globalThis.fetch = original;
    };
  }
}

/** `grantry start` in its own process on a port the system picks; resolves with its issuer once it listens. */
async function startChild(databaseUrl: string): Promise<{ issuer: string; child: ChildProcess; log: () => string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainTs, 'start', '--port', '0', '--host', '127.0.0.1', '--issuer', 'http://127.0.0.1:0', '--database-url', databaseUrl], {
    cwd: root,
    env: { ...process.env, GRANTRY_SECRET: testSecret, GRANTRY_LOG: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const url = /listening on (http:\/\/[^\s"]+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    void exited.then(() => reject(new Error(`the provider did not start:\n${output}`)));
  });
  return {
    issuer,
    child,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function authorize(browser: TestBrowser, params: Record<string, string>): Promise<URL> {
  const page = await browser.get(`/oauth2/authorize?${new URLSearchParams(params)}`);
  let location = page.location;
  if (page.status === 200) {
    const allowed = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
    location = allowed.location;
  }
  assert.ok(location, `no redirect from the authorization endpoint: ${page.status} ${page.text.slice(0, 300)}`);
  return new URL(location!);
}

for (const kind of storeKinds) {
  describe(`secrets at rest on ${kind.name}`, () => {
    test('after every flow, no secret that crossed HTTP is in the database or the log', async (t) => {
      const opened = await kind.open();
      const provider = await startChild(opened.url);
      const { issuer } = provider;
      const collector = new Collector();
      const uninstall = collector.install();
      const config = makeConfig({ secret: testSecret });
      // What only an operator can make (a trusted app for the password grant, the demo site's app) is made on the store.
      const trusted = await registerClient(opened.store, config, { appType: 'web', name: 'First party', trusted: true, grantTypes: ['password', 'refresh_token'] });
      const spa = await registerClient(opened.store, config, { appType: 'spa', name: 'Browser app', redirectUris: ['https://spa.example/cb'], grantTypes: ['authorization_code', 'implicit', 'refresh_token'] });
      const { site: demo, app: demoApp } = await startDemoFor({ store: opened.store, config, issuer, databaseUrl: opened.url });
      try {
        const browser = new TestBrowser(issuer);
        const password = `pw-${randomToken(16)}`;

        // signup, logout, login
        const signupPage = await browser.get('/signup');
        const signedUp = await browser.post('/signup', { username: 'ada', display_name: 'Ada', email: 'ada@example.com', password, password_confirmation: password, csrf_token: csrfFrom(signupPage.text) });
        assert.equal(signedUp.status, 303, signedUp.text.slice(0, 500));
        assert.equal((await browser.post('/logout', { csrf_token: csrfFrom((await browser.get('/console')).text) })).status, 303, 'logging out redirects with 303');
        assert.equal((await browser.login('ada', password)).status, 303, 'ada signs in with her password');
        assert.equal((await browser.login('ada', `${password}-wrong`)).status, 401, 'a wrong password is refused with 401');

        // console: a web app and a service app registered, the web app's secret rotated
        const user = (await opened.store.users.findByUsername('ada'))!;
        const register = async (form: Record<string, string>) => {
          const created = await registerThroughForm(browser, form);
          assert.equal(created.status, 200, created.text.slice(0, 500));
          return created.text;
        };
        const secretOn = async (page: string, clientId: string) => {
          const client = (await opened.store.clients.find(clientId))!;
          const shown = [...page.matchAll(/[A-Za-z0-9_-]{43}/g)].map(([m]) => m).find((candidate) => sha256(candidate) === client.secretHash);
          assert.ok(shown, 'the page shows the app secret once');
          return shown!;
        };
        const webPage = await register({ name: 'Web app', app_type: 'web', redirect_uris: 'https://web.example/cb', description: '', homepage: '' });
        const servicePage = await register({ name: 'Service app', app_type: 'service', redirect_uris: '', description: '', homepage: '' });
        const owned = await opened.store.clients.list(user.id);
        const web = owned.find((c) => c.name === 'Web app')!;
        const service = owned.find((c) => c.name === 'Service app')!;
        await secretOn(webPage, web.id);
        const serviceSecret = await secretOn(servicePage, service.id);
        const appPage = await browser.get(`/console/apps/${web.id}`);
        const rotated = await rotateThroughForm(browser, web.id, csrfFrom(appPage.text));
        assert.equal(rotated.status, 200, `rotating the web app's secret shows the new one: ${rotated.text.slice(0, 500)}`);
        const webSecret = await secretOn(rotated.text, web.id);
        const webAuth = basicAuth(web.id, webSecret);
        const serviceAuth = basicAuth(service.id, serviceSecret);

        const token = async (form: Record<string, string>, headers: Record<string, string>) => {
          const reply = await browser.request('POST', '/oauth2/token', { form, headers });
          assert.equal(reply.status, 200, reply.text);
          return reply.json();
        };

        // authorization code with PKCE, refresh, /api/me, introspection, revocation
        const verifier = randomToken(32);
        const codeRedirect = await authorize(browser, { response_type: 'code', client_id: web.id, redirect_uri: 'https://web.example/cb', scope: 'profile email', state: randomToken(16), code_challenge: s256(verifier), code_challenge_method: 'S256' });
        const tokens = await token({ grant_type: 'authorization_code', code: codeRedirect.searchParams.get('code')!, redirect_uri: 'https://web.example/cb', code_verifier: verifier }, webAuth);
        const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, webAuth);
        assert.equal((await browser.get('/api/me', { authorization: `Bearer ${refreshed.access_token}` })).status, 200, '/api/me accepts the refreshed access token');
        const introspected = await browser.request('POST', '/oauth2/introspect', { form: { token: refreshed.access_token }, headers: serviceAuth });
        assert.equal(introspected.json().active, true, 'the service app introspects the refreshed access token as active');
        assert.equal((await browser.request('POST', '/oauth2/revoke', { form: { token: refreshed.refresh_token, token_type_hint: 'refresh_token' }, headers: webAuth })).status, 200, 'the web app revokes its refresh token');
        // a replayed code (which revokes its grant) and a reused refresh token
        await browser.request('POST', '/oauth2/token', { form: { grant_type: 'authorization_code', code: codeRedirect.searchParams.get('code')!, redirect_uri: 'https://web.example/cb', code_verifier: verifier }, headers: webAuth });

        // client credentials, password (client_secret_post), implicit
        await token({ grant_type: 'client_credentials' }, serviceAuth);
        const byPassword = await token({ grant_type: 'password', username: 'ada', password, scope: 'profile', client_id: trusted.client.id, client_secret: trusted.clientSecret! }, {});
        await token({ grant_type: 'refresh_token', refresh_token: byPassword.refresh_token, client_id: trusted.client.id, client_secret: trusted.clientSecret! }, {});
        const implicit = await authorize(browser, { response_type: 'token', client_id: spa.client.id, redirect_uri: 'https://spa.example/cb', scope: 'profile', state: randomToken(16) });
        const fragment = new URLSearchParams(implicit.hash.slice(1));
        assert.ok(fragment.get('access_token'), 'the implicit grant puts an access token in the fragment');
        // a public app's code flow (PKCE, no secret)
        const spaVerifier = randomToken(32);
        const spaRedirect = await authorize(browser, { response_type: 'code', client_id: spa.client.id, redirect_uri: 'https://spa.example/cb', scope: 'profile', state: randomToken(16), code_challenge: s256(spaVerifier), code_challenge_method: 'S256' });
        await token({ grant_type: 'authorization_code', code: spaRedirect.searchParams.get('code')!, redirect_uri: 'https://spa.example/cb', code_verifier: spaVerifier, client_id: spa.client.id }, {});

        // Connect: the demo site's own account, then "Log in with Grantry" bound to it
        const site = new TestBrowser(demo.url.replace('localhost', '127.0.0.1'));
        const sitePassword = `site-${randomToken(16)}`;
        assert.equal((await site.post('/auth/local/register', { username: 'ada-site', displayName: 'Ada', password: sitePassword })).location, '/account', 'the demo site\'s own account is registered and signed in');
        const started = await site.post('/auth/grantry/login', { link: '1' });
        assert.equal(started.status, 303, 'the demo site starts "Log in with Grantry"');
        const back = await authorize(browser, Object.fromEntries(new URL(started.location!).searchParams));
        const callback = await site.get(`${back.pathname}${back.search}`);
        assert.equal(callback.location, '/account', callback.text.slice(0, 300));
        assert.match((await site.get('/account')).text, /ada/i, 'the demo site\'s account page shows ada');
        assert.equal((await site.post('/auth/local/login', { username: 'ada-site', password: sitePassword })).status, 303, 'ada signs in to the demo site with her site password');

        // the account page: access removed
        const apps = await browser.get('/account/apps');
        assert.equal((await browser.post(`/account/apps/${web.id}/revoke`, { csrf_token: csrfFrom(apps.text) })).status, 303, 'removing the web app\'s access on the account page redirects with 303');

        uninstall();
        await provider.stop();
        const dump = await dumpDatabase(opened.url);
        const log = provider.log();
        assert.ok(log.includes('"level":30'), 'the provider logged at info');
        const secrets = collector.secrets;
        for (const known of [password, sitePassword, webSecret, serviceSecret, trusted.clientSecret!, demoApp.clientSecret!, verifier, tokens.refresh_token, tokens.access_token]) {
          assert.ok(secrets.has(known), 'the collector saw each secret the test knows of');
        }
        const found = [...secrets].filter((secret) => dump.includes(secret) || log.includes(secret) || dump.includes(JSON.stringify(secret).slice(1, -1)));
        const message = `secrets at rest on ${kind.name}: ${secrets.size} secrets from ${collector.exchanges} HTTP exchanges searched in ${dump.length} bytes of database dump and ${log.length} bytes of log: ${found.length} found`;
        t.diagnostic(message);
        const where = (secret: string) => {
          const text = dump.includes(secret) ? dump : log;
          const at = text.indexOf(secret);
          return `${secret.slice(0, 6)}… in ${text === dump ? 'the database' : 'the log'}: …${text.slice(Math.max(0, at - 120), at).replace(secret, '<secret>')}<secret>`;
        };
        assert.deepEqual(found.map(where), [], message);
      } finally {
        uninstall();
        await demo.close();
        await provider.stop();
        await opened.dispose();
      }
    });
  });
}

