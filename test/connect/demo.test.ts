import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemoSite, type DemoSite } from '../../src/demo/index.ts';
import { sealTokens } from '../../src/connect/index.ts';
import { deriveKey } from '../../src/lib/crypto.ts';
import { t } from '../../src/i18n/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { grantryClient, startGrantry, type GrantryDouble } from './doubles/grantry.ts';
import { loginWith, secret, TestBrowser } from './helpers.ts';

// The demo website as the CLI starts it, logging in with a Grantry provider (a double until the
// real provider's endpoints land).

for (const kind of storeKinds) {
  describe(`demo site on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: GrantryDouble;
    let site: DemoSite;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startGrantry();
      site = await startDemoSite({ port: 0, providerIssuer: double.url, ...grantryClient, store, secret, login: { signupsPerAddress: 10_000 } });
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('local account, then "Log in with Grantry" bound to it, shown on the account page, unbound, logout', async () => {
      const browser = new TestBrowser(site.url);
      const home = await browser.get('/');
      assert.match(home.text, /Log in with Grantry/, 'the home page offers "Log in with Grantry"');
      assert.doesNotMatch(home.text, /Log in with Weibo/, 'no Weibo keys in the environment');
      assert.equal(
        (await browser.post('/auth/local/register', { username: 'demo-local', displayName: 'Demo Local', password: 'demo password' })).location,
        '/account',
        'a local registration signs in and goes to the account page',
      );
      double.nextUser = 'turing';
      const { callback } = await loginWith(browser, 'grantry', { link: '1' });
      assert.equal(callback.location, '/account', 'binding Grantry while signed in returns to the account page');
      const account = await browser.get('/account');
      assert.match(account.text, /<strong>Grantry<\/strong><span>Grantry turing/, 'the account page shows the bound Grantry identity with its name');
      const identityId = /name="identity" value="([^"]+)"/.exec(account.text)![1]!;
      assert.equal((await browser.post('/auth/unbind', { identity: identityId })).location, '/account', 'a password remains');
      assert.ok(double.requests.some((r) => r.path === '/revoke' && r.body.token_type_hint === 'refresh_token'), 'the site\'s tokens for it were revoked');
      assert.equal((await browser.post('/auth/logout', {})).location, '/', 'logging out goes to the home page');
      assert.equal((await browser.get('/account')).location, '/', 'after logout the account page sends the visitor home');
    });

    test('a new Grantry user gets the binding page; the single-page part and its module are served', async () => {
      const browser = new TestBrowser(site.url);
      double.nextUser = 'noether';
      const { callback } = await loginWith(browser, 'grantry');
      assert.equal(callback.location, '/auth/pending', 'a new Grantry user goes to the binding page');
      const pending = await browser.get('/auth/pending');
      assert.match(pending.text, /Grantry noether/, "the binding page shows the Grantry user's name");
      // Under no-referrer a browser would post this page's forms with `Origin: null`, refused as cross-site.
      assert.equal(pending.headers.get('referrer-policy'), 'same-origin', 'the binding page keeps the referrer on this site, so that its forms post with an Origin');
      assert.equal((await browser.post('/auth/pending/register', { username: 'noether', displayName: 'Emmy' })).location, '/account', '"create a new account" signs in and goes to the account page');
      const account = await browser.get('/account');
      assert.match(account.text, /none \(you log in through other sites only\)/, 'the account page says the account has no password');
      // The only way to log in is not offered for unbinding; posted anyway, Connect refuses and the page says why.
      assert.doesNotMatch(account.text, /action="\/auth\/unbind"/, 'the only login has no Unbind button');
      assert.match(account.text, new RegExp(`data-testid="only-login">${t('en', 'demo.account.onlyLogin')}</span>`), 'the account page says it is the only way to log in');
      const identity = (await store.listIdentitiesOfUser((await store.findConnectUserByUsername('noether'))!.id))[0]!;
      const refused = await browser.post('/auth/unbind', { identity: identity.id }, { 'accept-language': 'zh-CN' });
      assert.equal(refused.status, 409, 'unbinding the only login is refused with 409');
      assert.match(refused.text, new RegExp(`<h1>${t('zh-CN', 'demo.error.unbindTitle')}</h1>`), 'the refusal is titled about the account, not about a failed login');
      assert.match(refused.text, new RegExp(`data-code="last_login_method">${t('zh-CN', 'demo.error.last_login_method')}</p>`), 'the refusal says why, in Chinese');
      assert.match(refused.text, /<a href="\/account">/, 'the refusal leads back to the account page');
      assert.match((await browser.get('/spa')).text, /spa\.js/, 'the single-page part loads spa.js');
      assert.match((await browser.get('/connect/browser.js')).text, /export function readImplicitResponse/, 'the browser module is served');
    });

    test('pages in the language of Accept-Language, unless the switcher\'s cookie says otherwise; the switcher sets it and goes back', async () => {
      const browser = new TestBrowser(site.url);
      const chinese = await browser.get('/', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' });
      assert.match(chinese.text, /^<!doctype html><html lang="zh-CN">/, 'Accept-Language zh-CN gives the page in Chinese');
      assert.match(chinese.text, new RegExp(`<h1>${t('zh-CN', 'demo.home.title')}</h1>`), 'the home page title is in Chinese');
      assert.match(chinese.text, /<button class="provider" type="submit">使用 Grantry 登录<\/button>/, 'the Grantry button is in Chinese');
      assert.match(
        chinese.headers.get('content-security-policy')!,
        /^default-src 'self'; connect-src 'self' http:\/\/127\.0\.0\.1:\d+;/,
        "the Content-Security-Policy lets the page connect to the provider's origin",
      );

      const switched = await browser.get('/lang/en?back=%2Fspa');
      assert.equal(switched.status, 302, 'the language switcher redirects with 302');
      assert.equal(switched.location, '/spa', 'the language switcher goes back to the page it was asked from');
      assert.equal(switched.headers.get('set-cookie'), 'grantry_lang=en; Path=/; Max-Age=31536000; SameSite=Lax', "the language switcher sets the language cookie for a year");
      assert.match((await browser.get('/', { 'accept-language': 'zh-CN' })).text, /^<!doctype html><html lang="en">/, 'the cookie wins');

      const unknown = await browser.get('/lang/fr?back=%2Fspa');
      assert.equal(unknown.location, '/spa', 'an unknown language still goes back');
      assert.equal(unknown.headers.get('set-cookie'), null, 'an unknown language sets no cookie');
      assert.equal((await browser.get('/lang/zh-CN?back=%2F%2Fevil.example%2F')).location, '/', 'only a path on this site');
    });

    test('the language switcher never answers with a Location that leaves the site (/.//evil.example normalises to //evil.example)', async () => {
      const browser = new TestBrowser(site.url);
      for (const back of ['/.//evil.example/phish', '/..//evil.example/phish', '/%2e%2e//evil.example/phish', encodeURIComponent('/.//evil.example/phish')]) {
        const answer = await browser.get(`/lang/en?back=${back}`);
        assert.equal(answer.status, 302, `the switcher with back=${back} redirects with 302`);
        assert.ok(answer.location, `the switcher with back=${back} answers with a Location`);
        assert.equal(new URL(answer.location, site.url).origin, new URL(site.url).origin, `back=${back}: Location ${answer.location} stays on the site`);
        assert.equal(answer.location, '/', `back=${back} goes to the home page`);
      }
    });

    test('Connect\'s binding and error pages come in the demo\'s look and language; a refused login says so', async () => {
      const browser = new TestBrowser(site.url);
      const start = await browser.post('/auth/grantry/login', {});
      const state = new URL(start.location!).searchParams.get('state')!;
      const denied = await browser.get(`/auth/grantry/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(double.url)}`, { 'accept-language': 'zh-CN' });
      assert.equal(denied.status, 400, 'a refused login ends on a 400 page');
      assert.match(denied.text, /^<!doctype html><html lang="zh-CN">/, 'the error page is in the language of Accept-Language');
      assert.match(
        denied.text,
        new RegExp(`<p role="alert" class="error" data-code="access_denied">${t('zh-CN', 'demo.error.access_denied')}</p>`),
        'the error page says, in Chinese, that the login was refused',
      );
      assert.match(denied.text, /<link rel="stylesheet" href="\/demo.css">/, "the error page has the demo's stylesheet");

      double.nextUser = 'hamilton';
      await loginWith(browser, 'grantry');
      const pending = await browser.get('/auth/pending', { 'accept-language': 'zh-CN' });
      assert.match(pending.text, /<h1>完成 Grantry 登录<\/h1>/, 'the binding page title is in Chinese');
      assert.match(pending.text, /<form method="post" action="\/auth\/pending\/register" aria-labelledby="pending-create">/, 'the binding page has the create-account form, labelled');
      const taken = await browser.post('/auth/pending/register', { username: 'demo-local', displayName: 'Margaret' }, { 'accept-language': 'zh-CN' });
      assert.equal(taken.status, 409, 'a taken username is refused with 409');
      assert.match(taken.text, new RegExp(`<p role="alert" class="error">${t('zh-CN', 'demo.error.username_taken')}</p>`), 'the page says, in Chinese, that the username is taken');
    });

    test('when the provider refuses the site\'s token, the account page forgets it, ends the session and asks to log in again', async () => {
      const browser = new TestBrowser(site.url);
      double.nextUser = 'lamarr';
      const { callback } = await loginWith(browser, 'grantry');
      assert.equal(callback.location, '/auth/pending', 'a new Grantry user goes to the binding page');
      assert.equal((await browser.post('/auth/pending/register', { username: 'lamarr', displayName: 'Hedy' })).location, '/account', '"create a new account" signs in and goes to the account page');
      assert.match((await browser.get('/account')).text, /<dd data-field="uid">uid-lamarr<\/dd>/, 'read from the provider\'s /api/me');

      const identity = (await store.findIdentityBySubject('grantry', 'uid-lamarr'))!;
      const key = deriveKey(secret, 'connect-provider-tokens');
      const unknownToken = { accessToken: 'no-longer-valid', tokenType: 'Bearer', expiresAt: null, refreshToken: null, idToken: null, scope: null, raw: {} };
      await store.saveIdentityTokens(identity.id, sealTokens(key, identity.id, unknownToken), null);
      const refused = await browser.get('/account');
      assert.equal(refused.status, 401, "the account page asks to log in again with 401 when the provider refuses the site's token");
      assert.match(refused.text, /<h1>Please log in again<\/h1>/, 'the page says to log in again');
      assert.match(
        refused.text,
        /<form class="inline" method="post" action="\/auth\/grantry\/login"><button class="provider" type="submit">Log in with Grantry<\/button><\/form>/,
        'the page offers to log in with Grantry again',
      );
      assert.equal(refused.headers.get('set-cookie'), 'connect_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax', 'the session cookie is cleared');
      assert.equal((await store.findIdentityBySubject('grantry', 'uid-lamarr'))!.sealedTokens, null, 'the refused token is forgotten');
      assert.equal((await browser.get('/account')).location, '/', 'after the refusal the account page sends the visitor home');

      // An expired token whose refresh the provider turns down (invalid_grant) is refused the same way.
      double.nextUser = 'lamarr';
      assert.equal((await loginWith(browser, 'grantry')).callback.location, '/account', 'logging in again signs in and goes to the account page');
      assert.match((await browser.get('/account')).text, /<dd data-field="uid">uid-lamarr<\/dd>/, 'a new login brings a new token');
      const expired = { ...unknownToken, expiresAt: Math.floor(Date.now() / 1000) - 60, refreshToken: 'not-a-refresh-token' };
      await store.saveIdentityTokens(identity.id, sealTokens(key, identity.id, expired), expired.expiresAt);
      assert.equal((await browser.get('/account')).status, 401, 'an expired token whose refresh is turned down asks to log in again with 401');
      assert.equal((await store.findIdentityBySubject('grantry', 'uid-lamarr'))!.sealedTokens, null, 'the token whose refresh was turned down is forgotten');
    });

    test('the browser-only page says so when no implicit app is configured', async () => {
      const page = await new TestBrowser(site.url).get('/implicit');
      assert.equal(page.status, 200, 'the browser-only page is served');
      assert.match(page.text, new RegExp(`<p class="notice">${t('en', 'demo.implicit.notConfigured')}</p>`), 'the browser-only page says no implicit app is configured');
      assert.doesNotMatch(page.text, /implicit\.js/, 'without an implicit app the page loads no implicit.js');
    });
  });
}
