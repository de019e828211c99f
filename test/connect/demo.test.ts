import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemoSite, type DemoSite } from '../../src/demo/index.ts';
import type { Store } from '../../src/store/index.ts';
import { storeKinds } from '../helpers/stores.ts';
import { grantryClient, startGrantry, type GrantryDouble } from './doubles/grantry.ts';
import { loginWith, secret, TestBrowser } from './helpers.ts';
import { freePort } from '../helpers/ports.ts';

// The demo website as the CLI starts it, logging in with a Grantry provider (a double until the
// real provider's endpoints land).

for (const kind of storeKinds) {
  describe(`demo site on ${kind.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let double: GrantryDouble;
    let site: DemoSite;

    before(async () => {
      ({ store, dispose } = await kind.open());
      double = await startGrantry();
      site = await startDemoSite({ port: await freePort(), providerIssuer: double.url, ...grantryClient, store, secret });
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('local account, then "Log in with Grantry" bound to it, shown on the account page, unbound, logout', async () => {
      const browser = new TestBrowser(site.url);
      const home = await browser.get('/');
      assert.match(home.text, /Log in with Grantry/);
      assert.doesNotMatch(home.text, /Log in with Weibo/, 'no Weibo keys in the environment');
      assert.equal((await browser.post('/auth/local/register', { username: 'demo-local', displayName: 'Demo Local', password: 'demo password' })).location, '/account');
      double.nextUser = 'turing';
      const { callback } = await loginWith(browser, 'grantry', { link: '1' });
      assert.equal(callback.location, '/account');
      const account = await browser.get('/account');
      assert.match(account.text, /<strong>Grantry<\/strong><span>Grantry turing/);
      const identityId = /name="identity" value="([^"]+)"/.exec(account.text)![1]!;
      assert.equal((await browser.post('/auth/unbind', { identity: identityId })).location, '/account', 'a password remains');
      assert.ok(double.requests.some((r) => r.path === '/revoke' && r.body.token_type_hint === 'refresh_token'), 'the site\'s tokens for it were revoked');
      assert.equal((await browser.post('/auth/logout', {})).location, '/');
      assert.equal((await browser.get('/account')).location, '/');
    });

    test('a new Grantry user gets the binding page; the single-page part and its module are served', async () => {
      const browser = new TestBrowser(site.url);
      double.nextUser = 'noether';
      const { callback } = await loginWith(browser, 'grantry');
      assert.equal(callback.location, '/auth/pending');
      const pending = await browser.get('/auth/pending');
      assert.match(pending.text, /Grantry noether/);
      // Under no-referrer a browser would post this page's forms with `Origin: null`, refused as cross-site.
      assert.equal(pending.headers.get('referrer-policy'), 'same-origin');
      assert.equal((await browser.post('/auth/pending/register', { username: 'noether', displayName: 'Emmy' })).location, '/account');
      assert.match((await browser.get('/account')).text, /none \(you log in through other sites only\)/);
      assert.match((await browser.get('/spa')).text, /spa\.js/);
      assert.match((await browser.get('/connect/browser.js')).text, /export function readImplicitResponse/);
    });
  });
}
