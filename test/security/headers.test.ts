import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { s256 } from '../../src/lib/crypto.ts';
import { TestBrowser, csrfFrom, type BrowserResponse, consentDecision } from '../helpers/browser.ts';
import { registerThroughForm } from '../helpers/console.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds, sqliteKind } from '../helpers/stores.ts';

// What protects a person's browser: clickjacking and sniffing headers, cookie flags, a CSRF token
// on every form that changes anything (consent included, so that no other site can give consent
// for someone), and escaping of whatever an app's owner or a request puts on a page. Asserted on
// behaviour — headers, statuses, what changed in the store, what text is absent — not on markup.

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

function directives(csp: string | null): Map<string, string[]> {
  return new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!.toLowerCase(), values]));
}

function assertBrowserHeaders(response: BrowserResponse, what: string) {
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(response.headers.get('x-frame-options'), 'DENY', what);
  const csp = directives(response.headers.get('content-security-policy'));
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], what);
  assert.deepEqual(csp.get('default-src'), ["'none'"], what);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], what);
  for (const name of ['script-src', 'default-src']) {
    for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:']) assert.ok(!(csp.get(name) ?? []).includes(unsafe), `${what}: ${name} ${unsafe}`);
  }
}

const hostile = {
  name: '<script>alert("name")</script>',
  description: '"><img src=x onerror=alert("description")>',
  homepage: 'https://evil.example/?q="><svg onload=alert("homepage")>',
  redirectUri: 'https://evil.example/cb?x="><script>alert("redirect")</script>',
  state: '"><script>alert("state")</script>',
};
/** Markup that must never appear as it was sent: each would run or inject if it did. */
const dangerous = ['<script>alert(', '<img src=x', '<svg onload', '"><script', "'><img"];

function assertEscaped(page: BrowserResponse, what: string) {
  for (const fragment of dangerous) assert.ok(!page.text.includes(fragment), `${what} shows ${fragment} unescaped`);
}

for (const kind of storeKinds) {
  describe(`browser-side protections on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    async function signedIn() {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      assert.equal((await browser.login(user.username, user.password)).status, 303, 'a person with the right password is signed in with a 303');
      return { user, browser };
    }

    test('every page and endpoint: nosniff, no-referrer, DENY and a CSP that forbids framing, inline script and other origins', async () => {
      const { user, browser } = await signedIn();
      const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const consent = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: 'https://app.example/callback', state: 's', code_challenge: s256(verifier), code_challenge_method: 'S256' })}`);
      assert.equal(consent.status, 200, `a signed-in person is shown the consent page: ${consent.text.slice(0, 300)}`);
      assertBrowserHeaders(consent, 'consent');
      const stranger = new TestBrowser(provider.url);
      for (const [what, response] of [
        ['login', await stranger.get('/login')],
        ['signup', await stranger.get('/signup')],
        ['home', await stranger.get('/')],
        ['console', await browser.get('/console')],
        ['app page', await browser.get(`/console/apps/${client.id}`)],
        ['account', await browser.get('/account/apps')],
        ['authorize error page', await browser.get('/oauth2/authorize?client_id=nobody')],
        ['token endpoint', await browser.post('/oauth2/token', { grant_type: 'client_credentials' })],
        ['metadata', await browser.get('/.well-known/oauth-authorization-server')],
        ['jwks', await browser.get('/oauth2/jwks')],
        ['api', await browser.get('/api/me')],
        ['not found', await browser.get('/nowhere')],
      ] as const) {
        assertBrowserHeaders(response, what);
      }
      assert.equal(consent.headers.get('cache-control'), 'no-store', 'the consent page is not cached (Cache-Control: no-store)');
      assert.equal((await stranger.get('/login')).headers.get('cache-control'), 'no-store', 'the login page is not cached (Cache-Control: no-store)');
    });

    test('cookies are HttpOnly, SameSite=Lax, on path /, and not Secure on an http issuer', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      const page = await browser.get('/login');
      const response = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(page.text) });
      const cookies = [...page.headers.getSetCookie(), ...response.headers.getSetCookie()];
      assert.ok(
        cookies.some((c) => c.startsWith('grantry_session=')) && cookies.some((c) => c.startsWith('grantry_csrf=')),
        `the login sets both the session and the CSRF cookie: ${cookies.join(' | ')}`,
      );
      for (const cookie of cookies) {
        assert.match(cookie, /;\s*HttpOnly/i, cookie);
        assert.match(cookie, /;\s*SameSite=Lax/i, cookie);
        assert.match(cookie, /;\s*Path=\//i, cookie);
        assert.doesNotMatch(cookie, /;\s*Secure/i, cookie);
      }
    });

    describe('every state-changing form needs its CSRF token', () => {
      /** Each form, with what a forged post must leave unchanged. */
      async function forms() {
        const { user, browser } = await signedIn();
        const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id, name: 'Mine' });
        const before = (await provider.store.clients.find(client.id))!;
        const grantId = randomUUID();
        await provider.store.grants.create({ id: grantId, clientId: client.id, userId: user.id, scope: 'profile', createdAt: 1_700_000_000 });
        const authorization = { response_type: 'code', client_id: client.id, redirect_uri: 'https://app.example/callback', state: 's', code_challenge: s256(verifier), code_challenge_method: 'S256' };
        const unchanged = async () => {
          const now = (await provider.store.clients.find(client.id))!;
          assert.equal(now.name, before.name, 'a forged post leaves the app name unchanged');
          assert.equal(now.secretHash, before.secretHash, 'a forged post leaves the client secret unchanged');
          assert.deepEqual(now.redirectUris, before.redirectUris, 'a forged post leaves the redirect URIs unchanged');
          assert.equal((await provider.store.grants.find(grantId))!.revokedAt, null, 'a forged post leaves the grant unrevoked');
          assert.equal((await provider.store.clients.list(user.id)).length, 1, 'a forged post registers no new app');
          assert.equal(await provider.store.users.findByUsername('forged'), undefined, 'a forged signup creates no user');
        };
        const list: [string, string, Record<string, string>][] = [
          ['login', '/login', { username: user.username, password: user.password }],
          ['signup', '/signup', { username: 'forged', display_name: 'F', email: 'f@example.com', password: 'a long enough password', password_confirmation: 'a long enough password' }],
          ['logout', '/logout', {}],
          ['consent: allow', '/oauth2/authorize', { ...authorization, decision: 'allow' }],
          ['consent: deny', '/oauth2/authorize', { ...authorization, decision: 'deny' }],
          ['console: register', '/console/apps/new', { name: 'Forged', app_type: 'service', description: '', homepage: '', redirect_uris: '' }],
          ['console: basic settings', `/console/apps/${client.id}/basic`, { name: 'Renamed', description: '', homepage: '' }],
          ['console: advanced settings', `/console/apps/${client.id}/advanced`, { redirect_uris: 'https://evil.example/cb', scopes: 'profile', token_format: 'jwt', pkce_required: 'on' }],
          ['console: rotate secret', `/console/apps/${client.id}/rotate-secret`, {}],
          ['account: remove access', `/account/apps/${client.id}/revoke`, {}],
        ];
        return { browser, user, list, unchanged };
      }

      test('missing, empty, forged or another browser\'s token: 403, nothing changes, no session, no redirect to the app', async () => {
        const { browser, list, unchanged } = await forms();
        const other = new TestBrowser(provider.url);
        const othersToken = csrfFrom((await other.get('/login')).text);
        for (const [what, path, form] of list) {
          for (const [how, token] of [['missing', undefined], ['empty', ''], ['forged', 'x'.repeat(43)], ["another browser's", othersToken]] as const) {
            const sessionBefore = browser.cookies.get('grantry_session');
            const response = await browser.post(path, token === undefined ? form : { ...form, csrf_token: token });
            assert.equal(response.status, 403, `${what}, ${how} token`);
            assert.equal(response.location, null, `${what}, ${how} token`);
            assert.equal(browser.cookies.get('grantry_session'), sessionBefore, `${what} changed the session`);
            assert.match(response.headers.get('content-type') ?? '', /text\/html/, `${what}, ${how} token: the refusal is an HTML page`);
          }
        }
        await unchanged();
        // The same browser, still signed in: the session survived every forged logout.
        assert.equal((await browser.get('/console')).status, 200, 'the same browser is still signed in: the session survived every forged logout');
      });

      test('a cross-site POST to the consent form (no cookies: SameSite=Lax keeps them home) gives no consent', async () => {
        const { browser, list } = await forms();
        const [, , allow] = list.find(([what]) => what === 'consent: allow')!;
        const page = await browser.get(`/oauth2/authorize?${new URLSearchParams({ ...allow, decision: '' })}`);
        const token = csrfFrom(page.text);
        // Another site can make the browser post the form, but without the cookies…
        const crossSite = await fetch(`${provider.url}/oauth2/authorize`, {
          method: 'POST', redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
          body: new URLSearchParams({ ...allow, csrf_token: token }),
        });
        assert.equal(crossSite.status, 403, 'a cross-site post without cookies gives no consent (403)');
        assert.equal(crossSite.headers.get('location'), null, 'a cross-site post without cookies is not redirected to the app');
        // …and with the session cookie alone (a browser without SameSite) the token is not bound to it.
        const withSession = await fetch(`${provider.url}/oauth2/authorize`, {
          method: 'POST', redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', cookie: `grantry_session=${browser.cookies.get('grantry_session')}` },
          body: new URLSearchParams({ ...allow, csrf_token: token }),
        });
        assert.equal(withSession.status, 403, 'a cross-site post with the session cookie alone gives no consent: the token is bound to the CSRF cookie');
        assert.equal(withSession.headers.get('location'), null, 'a cross-site post with the session cookie alone is not redirected to the app');
        // A text/plain body (what a cross-site form may send without a preflight) is refused too.
        const plain = await fetch(`${provider.url}/oauth2/authorize`, {
          method: 'POST', redirect: 'manual',
          headers: { 'content-type': 'text/plain', cookie: [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; ') },
          body: new URLSearchParams({ ...allow, csrf_token: token }).toString(),
        });
        assert.equal(plain.status, 403, 'a text/plain body (a cross-site form without preflight) is refused with 403');
        // The page itself cannot be framed by that site.
        assert.deepEqual(
          directives(page.headers.get('content-security-policy')).get('frame-ancestors'),
          ["'none'"],
          'the consent page cannot be framed by another site (frame-ancestors none)',
        );
      });
    });

    test('hostile app names, descriptions, homepages and redirect URIs are shown escaped on the console, consent and account pages', async () => {
      const { user, browser } = await signedIn();
      const created = await registerThroughForm(browser, {
        name: hostile.name, description: hostile.description, homepage: hostile.homepage, app_type: 'web', redirect_uris: hostile.redirectUri,
      });
      assert.equal(created.status, 200, created.text.slice(0, 400));
      assertEscaped(created, "the app's page after registering");
      const [client] = await provider.store.clients.list(user.id);
      assert.equal(client!.name, hostile.name, 'stored as entered');
      assert.deepEqual(client!.redirectUris, [hostile.redirectUri], 'the hostile redirect URI is stored as entered');
      assertEscaped(await browser.get('/console'), 'the console');
      assertEscaped(await browser.get(`/console/apps/${client!.id}`), 'the app page');

      // A second person sees the consent page for it, then the account page.
      const { browser: visitor } = await signedIn();
      const request = { response_type: 'code', client_id: client!.id, redirect_uri: hostile.redirectUri, state: hostile.state, code_challenge: s256(verifier), code_challenge_method: 'S256' };
      const consent = await visitor.get(`/oauth2/authorize?${new URLSearchParams(request)}`);
      assert.equal(consent.status, 200, `a second person is shown the consent page for the hostile app: ${consent.text.slice(0, 300)}`);
      assertEscaped(consent, 'the consent page');
      assert.ok(consent.text.includes('&lt;script&gt;alert('), 'the name is shown, escaped');
      const allowed = await visitor.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.equal(allowed.status, 303, `allowing sends the browser back to the app: ${allowed.text.slice(0, 300)}`);
      const location = new URL(allowed.location!);
      assert.equal(location.origin, 'https://evil.example', 'the browser is sent back to the registered redirect URI');
      assert.equal(location.searchParams.get('state'), hostile.state, 'state goes back to the app as given, URL-encoded');
      assert.ok(!allowed.location!.includes('<'), `the redirect back to the app carries no raw markup: ${allowed.location}`);
      assertEscaped(await visitor.get('/account/apps'), 'the account page');

      // A homepage must be http or https: a javascript: link is refused, and nothing is stored.
      const refused = await browser.post('/console/apps/new', { name: 'x', description: '', homepage: 'javascript:alert(1)', app_type: 'service', redirect_uris: '', csrf_token: csrfFrom((await browser.get('/console/apps/new')).text) });
      assert.equal(refused.status, 400, 'a javascript: homepage is refused with 400');
      assert.ok(!refused.text.includes('href="javascript:'), 'the refusal page does not render the javascript: link');
      assert.equal((await provider.store.clients.list(user.id)).length, 1, 'a refused registration stores no app');
    });

    test('request parameters reflected on pages are escaped: return_to, state, scope, error pages', async () => {
      const { user, browser } = await signedIn();
      const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      for (const [what, path] of [
        ['login return_to', `/login?return_to=${encodeURIComponent(`/console"><script>alert(1)</script>`)}`],
        ['login return_to (javascript:)', `/login?return_to=${encodeURIComponent('javascript:alert(1)')}`],
        ['signup return_to', `/signup?return_to=${encodeURIComponent(`/x'><img src=x onerror=alert(1)>`)}`],
        ['consent state', `/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: 'https://app.example/callback', state: hostile.state, code_challenge: s256(verifier), code_challenge_method: 'S256' })}`],
        ['error page client_id', `/oauth2/authorize?client_id=${encodeURIComponent('<script>alert(1)</script>')}`],
        ['error page redirect_uri', `/oauth2/authorize?${new URLSearchParams({ client_id: client.id, redirect_uri: hostile.redirectUri })}`],
        ['unknown app page', `/console/apps/${encodeURIComponent('<img src=x onerror=alert(1)>')}`],
      ] as const) {
        const page = await (what.startsWith('login') || what.startsWith('signup') ? new TestBrowser(provider.url) : browser).get(path);
        assert.ok(page.status < 500, what);
        assertEscaped(page, what);
        assert.ok(!page.text.includes('href="javascript:'), what);
      }
    });
  });
}

describe('under an https issuer', () => {
  test('every cookie is Secure and responses carry Strict-Transport-Security', async () => {
    const provider = await startProvider(sqliteKind, { issuer: 'https://id.example' });
    try {
      const user = await provider.createUser();
      const port = (provider.app.server.address() as AddressInfo).port;
      const browser = new TestBrowser(`http://127.0.0.1:${port}`);
      const page = await browser.get('/login');
      const response = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(page.text) });
      assert.equal(response.status, 303, 'a person with the right password is signed in with a 303');
      const cookies = [...page.headers.getSetCookie(), ...response.headers.getSetCookie()];
      assert.ok(cookies.length >= 2, `the login sets at least the session and the CSRF cookie: ${cookies.join(' | ')}`);
      for (const cookie of cookies) {
        assert.match(cookie, /;\s*Secure/i, cookie);
        assert.match(cookie, /;\s*HttpOnly/i, cookie);
        assert.match(cookie, /;\s*SameSite=Lax/i, cookie);
      }
      assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/, 'the login answer under an https issuer carries HSTS with a long max-age');
      assert.match(page.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/, 'the login page under an https issuer carries HSTS with a long max-age');
    } finally {
      await provider.close();
    }
  });
});
