import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { weibo } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import type { Double } from './doubles/server.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, startSite, TestBrowser, type TestSite } from './helpers.ts';

// The returnTo a login was started with survives the binding page: it is validated when the login
// starts, kept on the server with the login state and then with the pending ticket, and used once
// the person registers or binds — whatever the binding form itself says.

/** A JSON POST with the browser's cookies (TestBrowser sends forms only). */
async function postJson(browser: TestBrowser, path: string, data: unknown): Promise<{ status: number; body: any }> {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(new URL(path, browser.base), { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(data) });
  for (const header of response.headers.getSetCookie()) {
    const [name, ...value] = header.split(';')[0]!.split('=');
    browser.cookies.set(name!.trim(), value.join('='));
  }
  return { status: response.status, body: await response.json() };
}

for (const kind of storeKinds) {
  describe(`returnTo through the binding page on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: Double;
    let site: TestSite;
    let n = 0;
    const nextPerson = () => (double.nextUser = `back${++n}`);

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startWeibo();
      site = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })]);
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('first seen, "Create a new account": back to the returnTo the login started with, not to /account', async () => {
      nextPerson();
      const browser = new TestBrowser(site.url);
      const { callback } = await loginWith(browser, 'weibo', { returnTo: '/articles/42?tab=comments#reply' });
      assert.equal(callback.location, '/auth/pending', 'the first login of an unknown account ends on the pending page');
      assert.equal((await browser.get('/auth/pending')).status, 200, 'the pending page is shown');
      // A returnTo in the binding form is not read: only the one validated at the start counts.
      const done = await browser.post('/auth/pending/register', { username: `site-back${n}`, displayName: 'Back', returnTo: '/elsewhere' });
      assert.equal(done.status, 303, `registering from the pending page redirects with 303: ${done.text.slice(0, 300)}`);
      assert.equal(done.location, '/articles/42?tab=comments#reply', 'registering goes back to the returnTo the login started with, not the one in the form');
      assert.equal((await browser.get('/account')).json().signedIn, true, 'the new account is signed in');
    });

    test('"Bind to an account I have": back to the returnTo as well; a failed try keeps it for the next', async () => {
      await new TestBrowser(site.url).post('/auth/local/register', { username: `owner${n}`, displayName: 'Owner', password: 'owner password 1' });
      nextPerson();
      const browser = new TestBrowser(site.url);
      await loginWith(browser, 'weibo', { returnTo: '/settings/security' });
      const wrong = await browser.post('/auth/pending/bind', { username: `owner${n - 1}`, password: 'not the password' });
      assert.equal(wrong.status, 401, 'a wrong password on the binding page is refused with 401');
      const done = await browser.post('/auth/pending/bind', { username: `owner${n - 1}`, password: 'owner password 1' });
      assert.equal(done.location, '/settings/security', 'binding after a failed try goes back to the returnTo the login started with');
      const account = (await browser.get('/account')).json();
      assert.equal(account.user.username, `owner${n - 1}`, 'the identity is bound to the existing account');
      assert.deepEqual(account.identities.map((i: { provider: string }) => i.provider), ['weibo'], 'the account has the one Weibo identity');
    });

    test('a username taken on the first try keeps the returnTo for the second; no returnTo, or one off-site, lands on /account', async () => {
      await new TestBrowser(site.url).post('/auth/local/register', { username: 'taken-name', displayName: 'Taken', password: 'taken password 1' });
      nextPerson();
      const browser = new TestBrowser(site.url);
      await loginWith(browser, 'weibo', { returnTo: '/after/retry' });
      assert.equal((await browser.post('/auth/pending/register', { username: 'taken-name' })).status, 409, 'a username already taken is refused with 409');
      assert.equal((await browser.post('/auth/pending/register', { username: `retry${n}` })).location, '/after/retry', 'registering after a taken username goes back to the returnTo the login started with');

      for (const returnTo of [undefined, '//evil.example/x', 'https://evil.example/']) {
        nextPerson();
        const other = new TestBrowser(site.url);
        await loginWith(other, 'weibo', returnTo === undefined ? {} : { returnTo });
        assert.equal((await other.post('/auth/pending/register', { username: `plain${n}` })).location, '/account', String(returnTo));
      }
    });

    // An outside attack test found that a returnTo checked raw but answered normalised left the
    // site: `/.//evil.example/phish` came back as `//evil.example/phish`, which a browser follows
    // to http://evil.example/phish. Every route that answers with a returnTo must stay on the site.
    const dotted = ['/.//evil.example/phish', '/..//evil.example/phish', '/%2e%2e//evil.example/phish', '/a/..//evil.example/phish'];
    const onSite = (location: string | null, what: string) => {
      assert.ok(location, `${what}: the answer has a Location`);
      assert.equal(new URL(location, site.url).origin, new URL(site.url).origin, `${what}: Location ${location} stays on the site`);
      assert.doesNotMatch(location, /^\s*[\\/]{2}/, `${what}: Location ${location} is not scheme-relative`);
    };

    test('/auth/local/register and /auth/local/login never answer with a Location that leaves the site', async () => {
      for (const [i, returnTo] of dotted.entries()) {
        const browser = new TestBrowser(site.url);
        const registered = await browser.post('/auth/local/register', { username: `dotted${i}`, displayName: 'Dotted', password: 'dotted password 1', returnTo });
        assert.equal(registered.status, 303, `registering with returnTo ${returnTo} redirects with 303: ${registered.text.slice(0, 200)}`);
        onSite(registered.location, `register with returnTo ${returnTo}`);
        assert.equal(registered.location, '/account', `register with returnTo ${returnTo} lands on /account`);

        const login = await new TestBrowser(site.url).post('/auth/local/login', { username: `dotted${i}`, password: 'dotted password 1', returnTo });
        assert.equal(login.status, 303, `logging in with returnTo ${returnTo} redirects with 303: ${login.text.slice(0, 200)}`);
        onSite(login.location, `login with returnTo ${returnTo}`);
        assert.equal(login.location, '/account', `login with returnTo ${returnTo} lands on /account`);
      }
    });

    test('the provider callback and the binding page never answer with a Location that leaves the site', async () => {
      for (const returnTo of dotted) {
        // A Weibo account bound here already: its callback signs in and answers the returnTo.
        const bound = nextPerson();
        const setup = new TestBrowser(site.url);
        assert.equal((await loginWith(setup, 'weibo')).callback.location, '/auth/pending', `the first login of ${bound} ends on the pending page`);
        assert.equal((await setup.post('/auth/pending/register', { username: `dot-${bound}` })).location, '/account', `${bound} registers from the pending page`);
        double.nextUser = bound;
        const { callback } = await loginWith(new TestBrowser(site.url), 'weibo', { returnTo });
        assert.ok(callback.status >= 300 && callback.status < 400, `the callback of a bound account redirects: ${callback.status} ${callback.text.slice(0, 200)}`);
        onSite(callback.location, `callback with returnTo ${returnTo}`);
        assert.equal(callback.location, '/account', `callback with returnTo ${returnTo} lands on /account`);

        // A Weibo account seen for the first time: the binding page answers the returnTo.
        const fresh = nextPerson();
        const browser = new TestBrowser(site.url);
        assert.equal((await loginWith(browser, 'weibo', { returnTo })).callback.location, '/auth/pending', `the first login of ${fresh} ends on the pending page`);
        const done = await browser.post('/auth/pending/register', { username: `dot-${fresh}` });
        assert.equal(done.status, 303, `registering from the pending page redirects with 303: ${done.text.slice(0, 200)}`);
        onSite(done.location, `pending register with returnTo ${returnTo}`);
        assert.equal(done.location, '/account', `pending register with returnTo ${returnTo} lands on /account`);
      }
    });

    test('the JSON way: register and bind answer the returnTo given to authorize', async () => {
      for (const action of ['register', 'bind'] as const) {
        if (action === 'bind') await new TestBrowser(site.url).post('/auth/local/register', { username: `spa-owner${n}`, displayName: 'SPA owner', password: 'owner password 2' });
        const owner = `spa-owner${n}`;
        nextPerson();
        const browser = new TestBrowser(site.url);
        const authorize = await postJson(browser, '/api/auth/weibo/authorize', { returnTo: '/spa/inbox' });
        assert.equal(authorize.status, 200, `authorize answers 200: ${JSON.stringify(authorize.body)}`);
        const atProvider = await browser.get(authorize.body.url);
        const landing = new URL(atProvider.location!);
        assert.equal(landing.pathname, '/spa/callback', 'the provider sends the browser back to the SPA callback');
        const callback = await postJson(browser, '/api/auth/weibo/callback', { code: landing.searchParams.get('code'), state: landing.searchParams.get('state') });
        assert.equal(callback.body.status, 'pending', `the callback of an unknown account is pending: ${JSON.stringify(callback.body)}`);
        const fields = action === 'register' ? { username: `spa${n}` } : { username: owner, password: 'owner password 2' };
        const done = await postJson(browser, `/api/auth/${action}`, { ...fields, ticket: callback.body.ticket, returnTo: '/not/this' });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.status, 'signed_in', `${action} signs in`);
        assert.equal(done.body.returnTo, '/spa/inbox', `${action} answers the returnTo given to authorize, not the one it was sent`);
      }
    });
  });
}
