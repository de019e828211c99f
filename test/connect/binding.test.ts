import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { github, qq, registerAndBind, issueTicketForTest, weibo } from './binding-support.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { startGitHub, githubClient } from './doubles/github.ts';
import { startQQ, qqClient } from './doubles/qq.ts';
import type { Double } from './doubles/server.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, startSite, TestBrowser, type TestSite } from './helpers.ts';

// Every outcome of seed step 5, through the site's pages, on both stores.

for (const kind of storeKinds) {
  describe(`binding on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let weiboDouble: Double;
    let qqDouble: Double;
    let githubDouble: Double;
    let site: TestSite;
    let autoLinkSite: TestSite;
    let userCounter = 0;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      [weiboDouble, qqDouble, githubDouble] = await Promise.all([startWeibo(), startQQ(), startGitHub()]);
      const providers = () => [
        weibo({ ...weiboClient, baseUrl: weiboDouble.url }),
        qq({ ...qqClient, baseUrl: qqDouble.url }),
        github({ ...githubClient, webUrl: githubDouble.url, apiUrl: githubDouble.url }),
      ];
      // Every test here logs in from 127.0.0.1: the per-address bucket (test/connect/hardening.test.ts) is lifted, so that the account's own lock is what is tested.
      site = await startSite(store, providers(), { login: { addressFailures: 10_000 } });
      autoLinkSite = await startSite(store, providers(), { autoLinkVerifiedEmail: true });
    });
    after(async () => {
      await site.close();
      await autoLinkSite.close();
      await Promise.all([weiboDouble.close(), qqDouble.close(), githubDouble.close()]);
      await dispose();
    });
    beforeEach(() => {
      userCounter += 1;
      for (const double of [weiboDouble, qqDouble, githubDouble]) double.nextUser = `person${userCounter}`;
    });

    async function account(browser: TestBrowser) {
      const page = await browser.get('/account');
      return page.status === 200 ? page.json() : null;
    }

    async function pendingWeibo(browser: TestBrowser) {
      const { callback } = await loginWith(browser, 'weibo');
      assert.equal(callback.location, '/auth/pending', 'a Weibo login not yet bound goes to the binding page');
      return callback;
    }

    test('first seen: stored at once, unbound; "create a new account" signs in; next time it logs in at once', async () => {
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      const created = await browser.post('/auth/pending/register', { username: `new${userCounter}`, displayName: 'New Person' });
      assert.equal(created.status, 303, '"create a new account" redirects with 303');
      assert.equal(created.location, '/account', '"create a new account" signs in and goes to the account page');
      const me = await account(browser);
      assert.equal(me.user.username, `new${userCounter}`, 'the new account has the username chosen');
      assert.equal(me.identities.length, 1, 'the new account has one identity');
      assert.equal(me.identities[0].provider, 'weibo', 'the identity of the new account is the Weibo one');

      // A later login with the same Weibo account, in a fresh browser: known and bound.
      const later = new TestBrowser(site.url);
      const { callback } = await loginWith(later, 'weibo');
      assert.equal(callback.status, 303, 'a later login with the bound Weibo account redirects with 303');
      assert.equal(callback.location, '/account', 'a later login with the bound Weibo account signs in at once');
      assert.equal((await account(later)).user.id, me.user.id, 'the later login signs in to the same account');
    });

    test('known but not bound: back to the binding page', async () => {
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      // Walked away; logs in again later.
      const again = new TestBrowser(site.url);
      await pendingWeibo(again);
      const page = await again.get('/auth/pending');
      assert.equal(page.status, 200, 'a known but unbound identity is back on the binding page');
      assert.equal(await account(again), null, 'a known but unbound identity signs nobody in');
    });

    test('a taken username rolls everything back; the same ticket works with another name', async () => {
      await store.createConnectUser({ username: `taken${userCounter}`, displayName: 'Taken', passwordHash: null, email: null });
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      const refused = await browser.post('/auth/pending/register', { username: `taken${userCounter}`, displayName: 'Second' });
      assert.equal(refused.status, 409, 'a taken username is refused with 409');
      assert.match(refused.text, /username is taken/, 'the page says the username is taken');
      assert.match(refused.text, /Create a new account/, 'back on the form');
      assert.equal(await account(browser), null, 'a taken username signs nobody in');
      const retried = await browser.post('/auth/pending/register', { username: `free${userCounter}`, displayName: 'Second' });
      assert.equal(retried.location, '/account', 'the same ticket works with another name');
      assert.equal((await account(browser)).user.username, `free${userCounter}`, 'the account has the other name');
    });

    test('bound by someone else meanwhile: nothing is created, the person is told', async () => {
      const first = new TestBrowser(site.url);
      const second = new TestBrowser(site.url);
      await pendingWeibo(first);
      await pendingWeibo(second);
      assert.equal(
        (await first.post('/auth/pending/register', { username: `first${userCounter}`, displayName: 'First' })).location,
        '/account',
        'the first registration binds the identity and signs in',
      );
      const late = await second.post('/auth/pending/register', { username: `second${userCounter}`, displayName: 'Second' });
      assert.equal(late.status, 409, 'a registration for an identity bound meanwhile is refused with 409');
      assert.match(late.text, /bound to another account in the meantime; nothing was created/, 'the page says the identity was bound to another account meanwhile and nothing was created');
      assert.equal(await store.findConnectUserByUsername(`second${userCounter}`), undefined, 'the user was rolled back');
    });

    test('two concurrent registrations binding one identity: exactly one wins, the other leaves no user', async () => {
      const identity = await store.recordIdentity({ provider: 'race', subject: `s${userCounter}`, profile: { name: null, email: null, emailVerified: false, avatar: null } });
      const tickets = await Promise.all(Array.from({ length: 6 }, (_, i) => issueTicketForTest(store, identity.id, `browser-${i}`)));
      const results = await Promise.all(
        tickets.map((ticket, i) => registerAndBind(store, { ticket, browserHash: `browser-${i}`, username: `racer${userCounter}x${i}`, displayName: 'Racer' })),
      );
      assert.equal(results.filter((r) => r.ok).length, 1, 'exactly one of the concurrent registrations wins');
      assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'identity_taken'), 'every other registration fails with identity_taken');
      const winner = results.find((r) => r.ok)!;
      assert.ok(winner.ok, 'the winner is a success');
      assert.equal((await store.findIdentity(identity.id))!.userId, winner.user.id, "the identity is bound to the winner's user");
      for (let i = 0; i < tickets.length; i += 1) {
        const user = await store.findConnectUserByUsername(`racer${userCounter}x${i}`);
        assert.equal(Boolean(user), user?.id === winner.user.id, `racer${userCounter}x${i} exists only if it is the winner`);
      }
    });

    test('"bind to an account I have" needs that account\'s password', async () => {
      const owner = new TestBrowser(site.url);
      const registered = await owner.post('/auth/local/register', { username: `local${userCounter}`, password: 'correct horse battery', displayName: 'Local' });
      assert.equal(registered.location, '/account', 'a local registration signs in and goes to the account page');
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      const wrong = await browser.post('/auth/pending/bind', { username: `local${userCounter}`, password: 'wrong password' });
      assert.equal(wrong.status, 401, 'a wrong password is refused with 401');
      assert.match(wrong.text, /Wrong username or password/, 'the page says the username or password is wrong');
      const right = await browser.post('/auth/pending/bind', { username: `local${userCounter}`, password: 'correct horse battery' });
      assert.equal(right.location, '/account', "binding with the account's password signs in and goes to the account page");
      const me = await account(browser);
      assert.equal(me.user.username, `local${userCounter}`, 'the person is signed in to the account they bound to');
      assert.deepEqual(me.identities.map((i: { provider: string }) => i.provider), ['weibo'], 'the account has the Weibo identity bound');
    });

    test('wrong passwords for one account lock it for a while', async () => {
      const browser = new TestBrowser(site.url);
      await browser.post('/auth/local/register', { username: `locked${userCounter}`, password: 'the right one', displayName: 'L' });
      for (let i = 0; i < 10; i += 1) assert.equal((await browser.post('/auth/local/login', { username: `locked${userCounter}`, password: `wrong ${i}` })).status, 401, `wrong password ${i} is refused`);
      const locked = await browser.post('/auth/local/login', { username: `locked${userCounter}`, password: 'the right one' });
      assert.equal(locked.status, 429, 'the right password is refused with 429 while the account is locked, as the provider answers');
      assert.match(locked.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'with Retry-After in seconds');
      assert.match(locked.text, /Too many wrong passwords/, 'the page says there were too many wrong passwords');
    });

    test('a ticket is bound to its browser and used once', async () => {
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      const thief = new TestBrowser(site.url);
      thief.cookies.set('connect_ticket', browser.cookies.get('connect_ticket')!);
      const stolen = await thief.post('/auth/pending/register', { username: `thief${userCounter}`, displayName: 'Thief' });
      assert.equal(stolen.status, 400, 'a ticket used from another browser is refused with 400');
      assert.equal(await store.findConnectUserByUsername(`thief${userCounter}`), undefined, 'a ticket used from another browser creates no user');
      const ticket = browser.cookies.get('connect_ticket')!;
      assert.equal((await browser.post('/auth/pending/register', { username: `owner${userCounter}`, displayName: 'Owner' })).location, '/account', 'the ticket works in its own browser');
      browser.cookies.set('connect_ticket', ticket);
      const replay = await browser.post('/auth/pending/register', { username: `again${userCounter}`, displayName: 'Again' });
      assert.equal(replay.status, 400, 'a ticket used a second time is refused with 400');
    });

    test('signed in: bind more providers, unbind; the last way to log in cannot be unbound', async () => {
      const browser = new TestBrowser(site.url);
      await pendingWeibo(browser);
      await browser.post('/auth/pending/register', { username: `multi${userCounter}`, displayName: 'Multi' });
      const { callback } = await loginWith(browser, 'qq', { link: '1', returnTo: '/account?linked=qq' });
      assert.equal(callback.location, '/account?linked=qq', 'binding QQ while signed in returns to the page asked for');
      const me = await account(browser);
      assert.deepEqual(me.identities.map((i: { provider: string }) => i.provider).sort(), ['qq', 'weibo'], 'the account has both Weibo and QQ bound');
      const [first, second] = me.identities;
      assert.equal((await browser.post('/auth/unbind', { identity: first.id })).location, '/account', 'unbinding one of two identities goes back to the account page');
      const refused = await browser.post('/auth/unbind', { identity: second.id });
      assert.equal(refused.status, 409, 'unbinding the last way to log in is refused with 409');
      assert.match(refused.text, /only way to log in/, 'the page says it is the only way to log in');
      assert.equal((await account(browser)).identities.length, 1, 'the last identity stays bound');
    });

    test('a binding started by a signed-in person does not finish after they logged out', async () => {
      const browser = new TestBrowser(site.url);
      await browser.post('/auth/local/register', { username: `leaver${userCounter}`, password: 'leaver password', displayName: 'Leaver' });
      const start = await browser.post('/auth/qq/login', { link: '1' });
      const back = (await browser.get(start.location!)).location!;
      await browser.post('/auth/logout', {});
      const late = await browser.get(back);
      assert.equal(late.status, 400, 'a binding that finishes after logout is refused with 400');
      assert.match(late.text, /logged out before the binding finished/, 'the page says they logged out before the binding finished');
      const leaver = (await store.findConnectUserByUsername(`leaver${userCounter}`))!;
      assert.equal((await store.listIdentitiesOfUser(leaver.id)).length, 0, 'nothing is bound to the account that logged out');
    });

    test('an identity bound to another account is never moved', async () => {
      const alice = new TestBrowser(site.url);
      await pendingWeibo(alice);
      await alice.post('/auth/pending/register', { username: `alice${userCounter}`, displayName: 'Alice' });
      const bob = new TestBrowser(site.url);
      await bob.post('/auth/local/register', { username: `bob${userCounter}`, password: 'bobs password 1', displayName: 'Bob' });
      // Bob, signed in, logs in with Alice's Weibo account (same person at the double).
      const { callback } = await loginWith(bob, 'weibo', { link: '1' });
      assert.equal(callback.status, 409, 'an identity bound to another account is refused with 409');
      assert.match(callback.text, /bound to another account/, 'the page says the identity is bound to another account');
      assert.equal((await account(alice)).identities.length, 1, "Alice's identity stays bound to Alice");
      assert.equal((await account(bob)).identities.length, 0, 'nothing is bound to Bob');
    });

    test('no binding by email unless the site turns it on and the provider verified the address', async () => {
      const email = `person${userCounter}@verified.example`;
      await store.createConnectUser({ username: `mail${userCounter}`, displayName: 'Mail', passwordHash: null, email });
      const off = await loginWith(new TestBrowser(site.url), 'github');
      assert.equal(off.callback.location, '/auth/pending', 'off by default');
      // The identity is now known and unbound; on a site with auto-linking, a verified match binds it.
      const onBrowser = new TestBrowser(autoLinkSite.url);
      const on = await loginWith(onBrowser, 'github');
      assert.equal(on.callback.location, '/account', 'with auto-linking on, a verified email match binds and signs in');
      assert.equal((await account(onBrowser)).user.username, `mail${userCounter}`, 'the verified email match signs in to the account with that email');
    });

    test('auto-linking ignores unverified addresses', async () => {
      await store.createConnectUser({ username: `unv${userCounter}`, displayName: 'U', passwordHash: null, email: `person${userCounter}@public.example` });
      // GitHub's double says person@public.example is not verified (and not primary); Weibo sends no email at all.
      const { callback } = await loginWith(new TestBrowser(autoLinkSite.url), 'weibo');
      assert.equal(callback.location, '/auth/pending', 'an unverified address does not bind: the person goes to the binding page');
    });
  });
}
