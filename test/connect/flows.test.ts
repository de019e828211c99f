import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { decodeProtectedHeader } from 'jose';
import { connectExpress, createConnect, unsealTokens, weibo } from '../../src/connect/index.ts';
import { sha256 } from '../../src/lib/crypto.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import type { Double } from './doubles/server.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, secret, startSite, TestBrowser, visible, type TestSite } from './helpers.ts';

// Login states (bound to browser and provider, single-use, ten minutes), login CSRF, returnTo, the
// JSON way for single-page front ends, and the Express adapter.

async function postJson(browser: TestBrowser, path: string, data: unknown, headers: Record<string, string> = {}) {
  return browser.request('POST', path, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(data) } as never);
}

// TestBrowser sends forms only; teach it JSON bodies for these tests.
const originalRequest = TestBrowser.prototype.request;
TestBrowser.prototype.request = async function (this: TestBrowser, method: string, path: string, options: { form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}) {
  if (options.body === undefined) return originalRequest.call(this, method, path, options);
  const url = new URL(path, this.base);
  const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(url, { method, headers: { ...options.headers, ...(cookie ? { cookie } : {}) }, body: options.body, redirect: 'manual' });
  for (const header of response.headers.getSetCookie()) {
    const [pair, ...attributes] = header.split(';');
    const [name, ...value] = pair!.split('=');
    if (attributes.some((a) => /max-age=0/i.test(a)) || value.join('=') === '') this.cookies.delete(name!.trim());
    else this.cookies.set(name!.trim(), value.join('='));
  }
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, location: response.headers.get('location'), json: () => JSON.parse(text) };
} as typeof originalRequest;

for (const kind of storeKinds) {
  describe(`login flows on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: Double;
    let site: TestSite;
    let n = 0;
    const nextPerson = () => (double.nextUser = `flow${++n}`);

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startWeibo();
      site = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url }), { ...weibo({ ...weiboClient, baseUrl: double.url }), id: 'weibo2', name: 'Weibo again' }]);
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('a callback is accepted once', async () => {
      nextPerson();
      const browser = new TestBrowser(site.url);
      const start = await browser.post('/auth/weibo/login', {});
      const back = (await browser.get(start.location!)).location!;
      assert.equal((await browser.get(back)).status, 303, 'the first callback is accepted');
      const replay = await browser.get(back);
      assert.equal(replay.status, 400, 'the same callback a second time is refused with 400');
      assert.match(replay.text, /already completed|not started here/, 'the page says the login was already completed or not started here');
    });

    test('a state from another browser, or for another provider, is refused', async () => {
      nextPerson();
      const victim = new TestBrowser(site.url);
      const attacker = new TestBrowser(site.url);
      // Login CSRF: the attacker starts a login and sends the callback to the victim.
      const start = await attacker.post('/auth/weibo/login', {});
      const back = (await attacker.get(start.location!)).location!;
      const forced = await victim.get(back);
      assert.equal(forced.status, 400, 'a callback with a state from another browser is refused with 400');
      assert.match(forced.text, /another browser|not started here/, 'the page says the login was started in another browser or not here');

      const other = await attacker.post('/auth/weibo/login', {});
      const otherBack = new URL((await attacker.get(other.location!)).location!);
      otherBack.pathname = '/auth/weibo2/callback';
      const crossed = await attacker.get(otherBack.href);
      assert.equal(crossed.status, 400, 'a callback with a state for another provider is refused with 400');
      assert.match(crossed.text, /started with weibo, not weibo2/, 'the page says the login was started with weibo, not weibo2');
    });

    test('the person saying no at the provider is told so', async () => {
      const browser = new TestBrowser(site.url);
      const start = await browser.post('/auth/weibo/login', {});
      const state = new URL(start.location!).searchParams.get('state')!;
      const denied = await browser.get(`/auth/weibo/callback?error=access_denied&state=${state}`);
      assert.equal(denied.status, 400, 'saying no at the provider ends on a 400 page');
      assert.match(denied.text, /You did not allow Weibo to log you in here/, 'the page says the person did not allow Weibo to log them in');
    });

    test('a state older than ten minutes is refused', async () => {
      const browser = new TestBrowser(site.url);
      await browser.post('/auth/weibo/login', {});
      const browserId = decodeURIComponent(browser.cookies.get('connect_browser')!);
      const past = Math.floor(Date.now() / 1000) - 601;
      await store.saveLoginState({
        stateHash: sha256('old-state'), browserHash: sha256(browserId), provider: 'weibo', codeVerifier: 'v', nonce: null,
        redirectUri: `${site.url}/auth/weibo/callback`, returnTo: null, linkUserId: null, createdAt: past, expiresAt: past + 600,
      });
      const late = await browser.get('/auth/weibo/callback?code=x&state=old-state');
      assert.equal(late.status, 400, 'a state older than ten minutes is refused with 400');
      assert.match(late.text, /more than ten minutes/, 'the page says the login took more than ten minutes');
    });

    test('login starts by POST only, from this site only; returnTo stays on this site', async () => {
      const browser = new TestBrowser(site.url);
      assert.equal((await browser.get('/auth/weibo/login')).status, 404, 'a login cannot start by GET');
      const crossSite = await browser.post('/auth/weibo/login', {}, { origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403, 'a login started from another origin is refused with 403');
      assert.equal((await browser.post('/auth/weibo/login', {}, { 'sec-fetch-site': 'cross-site' })).status, 403, 'a login started cross-site (Sec-Fetch-Site) is refused with 403');

      for (const [returnTo, expected] of [['//evil.example/x', '/account'], ['/\\evil.example', '/account'], ['https://evil.example/', '/account'], ['/inbox?tab=2', '/inbox?tab=2']]) {
        nextPerson();
        const login = new TestBrowser(site.url);
        await loginWith(login, 'weibo');
        await login.post('/auth/pending/register', { username: `ret${n}`, displayName: 'R' });
        await login.post('/auth/logout', {});
        const { callback } = await loginWith(login, 'weibo', { returnTo: returnTo! });
        assert.equal(callback.location, expected, returnTo);
      }
    });

    test('the JSON way: authorize URL, code and state posted back, a ticket, register, the site\'s own token, renew', async () => {
      nextPerson();
      const browser = new TestBrowser(site.url);
      const authorize = await postJson(browser, '/api/auth/weibo/authorize', {});
      assert.equal(authorize.status, 200, `the JSON authorize route answers 200: ${authorize.text}`);
      assert.ok(browser.cookies.has('connect_browser'), 'state bound through a cookie on that response');
      const url = new URL(authorize.json().url);
      assert.equal(url.searchParams.get('redirect_uri'), `${site.url}/spa/callback`, "the authorize URL returns to the single-page front end's callback");
      const landing = new URL((await browser.get(url.href)).location!);
      assert.equal(landing.pathname, '/spa/callback', "the provider sends the person back to the single-page front end's callback");
      const params = { code: landing.searchParams.get('code'), state: landing.searchParams.get('state') };

      const pending = await postJson(browser, '/api/auth/weibo/callback', params);
      assert.equal(pending.status, 200, `the JSON callback answers 200: ${pending.text}`);
      const body = pending.json();
      assert.equal(body.status, 'pending', 'a first login through JSON is pending');
      assert.ok(body.ticket, 'a pending JSON login answers with a ticket');
      const identity = (await store.findTicket(sha256(body.ticket)))!;
      const stored = (await store.findIdentity(identity.identityId))!;
      const providerToken = unsealTokens(site.connect.tokenKey, stored.id, stored.sealedTokens!).accessToken;
      assert.ok(!visible(pending).includes(providerToken), 'the platform token is not in the answer');

      const thief = new TestBrowser(site.url);
      await postJson(thief, '/api/auth/weibo/authorize', {});
      const stolen = await postJson(thief, '/api/auth/register', { ticket: body.ticket, username: `thief${n}` });
      assert.equal(stolen.status, 409, 'a ticket used from another browser is refused with 409');
      assert.equal(stolen.json().error, 'ticket_invalid', 'a ticket used from another browser is ticket_invalid');

      const registered = await postJson(browser, '/api/auth/register', { ticket: body.ticket, username: `spa${n}`, displayName: 'Spa' });
      assert.equal(registered.status, 200, `the JSON registration answers 200: ${registered.text}`);
      const signedIn = registered.json();
      assert.equal(signedIn.status, 'signed_in', 'registering through JSON signs in');
      assert.equal(decodeProtectedHeader(signedIn.accessToken).typ, 'at+jwt', "the site's own token is typed at+jwt");
      assert.ok(!visible(registered).includes(providerToken), 'the platform token is not in the registration answer');
      const me = await browser.get('/api/auth/me', { authorization: `Bearer ${signedIn.accessToken}` });
      assert.equal(me.json().user.username, `spa${n}`, "the site's own token works at /api/auth/me");
      assert.equal((await browser.get('/api/auth/me', { authorization: `Bearer ${providerToken}` })).status, 401, 'the platform token does not work at /api/auth/me');

      const renewed = await postJson(browser, '/api/auth/renew', {});
      assert.equal(renewed.json().status, 'signed_in', "renew signs in again with the site's session");
      assert.ok(renewed.json().accessToken, 'renew answers with a new access token');

      // Known and bound: the next login answers with the site's token at once.
      const second = new TestBrowser(site.url);
      const secondUrl = (await postJson(second, '/api/auth/weibo/authorize', {})).json().url;
      const secondLanding = new URL((await second.get(secondUrl)).location!);
      const direct = await postJson(second, '/api/auth/weibo/callback', { code: secondLanding.searchParams.get('code'), state: secondLanding.searchParams.get('state') });
      assert.equal(direct.json().status, 'signed_in', "a known and bound identity answers with the site's token at once");
      assert.equal(direct.json().user.username, `spa${n}`, 'the JSON login signs in to the bound account');

      // Signed in through the API: bind a second provider with the site's token, then unbind one.
      const token = direct.json().accessToken;
      const linkUrl = (await postJson(second, '/api/auth/weibo2/authorize', { link: true }, { authorization: `Bearer ${token}` })).json().url;
      const linkLanding = new URL((await second.get(linkUrl)).location!);
      const linked = await postJson(second, '/api/auth/weibo2/callback', { code: linkLanding.searchParams.get('code'), state: linkLanding.searchParams.get('state') });
      assert.equal(linked.json().status, 'linked', "a second provider is linked with the site's token");
      assert.equal((await postJson(second, '/api/auth/weibo2/authorize', { link: true })).status, 401, 'linking needs the token');
      const logins = (await second.get('/api/auth/me', { authorization: `Bearer ${token}` })).json().identities;
      assert.deepEqual(logins.map((i: { provider: string }) => i.provider).sort(), ['weibo', 'weibo2'], 'the account has both weibo and weibo2 bound');
      assert.equal(
        (await postJson(second, '/api/auth/unbind', { identity: logins[0].id }, { authorization: `Bearer ${token}` })).json().status,
        'unbound',
        'unbinding one of two identities through JSON succeeds',
      );
      const last = await postJson(second, '/api/auth/unbind', { identity: logins[1].id }, { authorization: `Bearer ${token}` });
      assert.equal(last.status, 409, 'unbinding the last way to log in through JSON is refused with 409');
      assert.equal(last.json().error, 'last_login_method', 'the refusal is last_login_method');

      assert.equal((await postJson(second, '/api/auth/logout', {})).json().status, 'signed_out', 'logging out through JSON signs out');
      assert.equal((await postJson(second, '/api/auth/renew', {})).status, 401, 'renew after logout is refused with 401');
    });

    test('the JSON routes want JSON from this site', async () => {
      const browser = new TestBrowser(site.url);
      assert.equal((await browser.post('/api/auth/weibo/authorize', {})).status, 415, 'a form post to a JSON route is refused with 415');
      assert.equal((await postJson(browser, '/api/auth/weibo/authorize', {}, { origin: 'https://evil.example' })).status, 403, 'a JSON route called from another origin is refused with 403');
      assert.equal((await postJson(browser, '/api/auth/nope/authorize', {})).status, 404, 'an unknown provider is 404');
    });

    test('the Express middleware drives the same core', async () => {
      const app = express();
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const connect = createConnect({ store, secret, siteUrl: url, providers: [weibo({ ...weiboClient, baseUrl: double.url })] });
      app.use(connectExpress(connect));
      app.get('/account', (_req, res) => { res.send('account'); });
      try {
        nextPerson();
        const browser = new TestBrowser(url);
        const { callback } = await loginWith(browser, 'weibo');
        assert.equal(callback.location, '/auth/pending', 'through Express, a first login goes to the binding page');
        assert.match((await browser.get('/auth/pending')).text, /Create a new account/, 'through Express, the binding page offers to create a new account');
        const created = await browser.post('/auth/pending/register', { username: `express${n}`, displayName: 'Express' });
        assert.equal(created.location, '/account', 'through Express, "create a new account" goes to the account page');
        assert.ok(browser.cookies.has('connect_session'), 'through Express, "create a new account" signs in with a session cookie');
        assert.equal((await browser.get('/elsewhere')).status, 404, 'other paths fall through');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
}
