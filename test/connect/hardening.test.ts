import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { github, weibo } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { githubClient, startGitHub } from './doubles/github.ts';
import type { Double } from './doubles/server.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, startSite, TestBrowser, type TestSite } from './helpers.ts';

// Findings of the security review of Connect, through real HTTP on both stores: parallel password
// guesses lock the account; NUL bytes and over-long values are a 400, never a 500; the site's
// access tokens still sign and verify with the key imported once.

/** A JSON POST carrying the browser's cookies, as a single-page front end sends it. */
async function postJson(browser: TestBrowser, path: string, data: unknown, headers: Record<string, string> = {}) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(new URL(path, browser.base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers },
    body: JSON.stringify(data),
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** A form body sent as is, so that %00 reaches the server undecoded by the test. */
async function postRawForm(browser: TestBrowser, path: string, body: string) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(new URL(path, browser.base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body,
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text() };
}

for (const kind of storeKinds) {
  describe(`Connect hardening on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let weiboDouble: Double;
    let githubDouble: Double;
    let site: TestSite;
    let gitHubSite: TestSite;
    let n = 0;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      weiboDouble = await startWeibo();
      // These tests are about the account's counter: every request comes from 127.0.0.1, so the
      // per-address limit is lifted here and tested on a site of its own below.
      site = await startSite(store, [weibo({ ...weiboClient, baseUrl: weiboDouble.url })], { login: { addressFailures: 10_000 } });
      githubDouble = await startGitHub();
      gitHubSite = await startSite(store, [github({ ...githubClient, webUrl: githubDouble.url, apiUrl: githubDouble.url })]);
    });
    after(async () => {
      await site.close();
      await gitHubSite.close();
      await weiboDouble.close();
      await githubDouble.close();
      await dispose();
    });

    async function pendingBrowser(): Promise<TestBrowser> {
      n += 1;
      weiboDouble.nextUser = `hardening${n}`;
      const browser = new TestBrowser(site.url);
      const { callback } = await loginWith(browser, 'weibo');
      assert.equal(callback.location, '/auth/pending', `a first login with Weibo lands on the binding page: ${callback.text.slice(0, 300)}`);
      return browser;
    }

    test('30 wrong passwords sent in parallel lock the account: each attempt is counted', async () => {
      const browser = new TestBrowser(site.url);
      const username = `parallel${kind.name}`;
      assert.equal(
        (await browser.post('/auth/local/register', { username, password: 'the right password', displayName: 'P' })).status,
        303,
        'registering a local account signs in with a 303',
      );
      const guesses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => new TestBrowser(site.url).post('/auth/local/login', { username, password: `wrong guess ${i}` })),
      );
      // The attempts up to the limit are checked (401); each one past it is refused unchecked, 429 with Retry-After.
      assert.deepEqual(guesses.map((g) => g.status).sort(), [...Array(10).fill(401), ...Array(20).fill(429)], 'of 30 parallel wrong passwords 10 are checked and refused with 401, and 20 are refused unchecked with 429');
      assert.ok(guesses.filter((g) => g.status === 429).every((g) => /^[1-9]\d*$/.test(g.headers.get('retry-after') ?? '')), 'each 429 says when to try again');
      const [failure] = await store.findLoginFailures([`connect:user:${username}`]);
      assert.equal(failure?.failures, 30, 'each of the 30 parallel attempts is counted as a failure');
      assert.ok((failure?.lockedUntil ?? 0) > Date.now() / 1000, '30 failures lock the account until a time in the future');

      const right = await new TestBrowser(site.url).post('/auth/local/login', { username, password: 'the right password' });
      assert.equal(right.status, 429, 'the right password is refused with 429 while the account is locked');
      assert.match(right.text, /Too many wrong passwords/, 'the locked-out login page says there were too many wrong passwords');
    });

    test('30 wrong passwords in parallel through "bind to an account I have" lock it as well', async () => {
      const owner = new TestBrowser(site.url);
      const username = `parallelbind${kind.name}`;
      assert.equal(
        (await owner.post('/auth/local/register', { username, password: 'the right password', displayName: 'P' })).status,
        303,
        'registering a local account signs in with a 303',
      );
      const browser = await pendingBrowser();
      const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => postJson(browser, '/api/auth/bind', { ticket: 'no-such-ticket', username, password: `wrong ${i}` })));
      assert.ok(guesses.every((g) => g.status === 401 || g.status === 400 || g.status === 429), `every guess is refused (401, 400 or, once locked, 429): ${guesses.map((g) => g.status).join(',')}`);
      const bind = await browser.post('/auth/pending/bind', { username, password: 'the right password' });
      assert.equal(bind.status, 429, 'binding with the right password is refused with 429 while the account is locked');
      assert.match(bind.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'with Retry-After');
      assert.match(bind.text, /Too many wrong passwords/, 'the refused bind page says there were too many wrong passwords');
    });

    test('a right password before the limit still logs in and clears the count', async () => {
      const browser = new TestBrowser(site.url);
      const username = `recovers${kind.name}`;
      await browser.post('/auth/local/register', { username, password: 'the right password', displayName: 'R' });
      for (let i = 0; i < 9; i += 1)
        assert.equal(
          (await browser.post('/auth/local/login', { username, password: `wrong ${i}` })).status,
          401,
          'a wrong password below the limit is an ordinary 401',
        );
      const right = await browser.post('/auth/local/login', { username, password: 'the right password' });
      assert.equal(right.status, 303, `the right password before the limit still logs in: ${right.text.slice(0, 300)}`);
      assert.deepEqual(await store.findLoginFailures([`connect:user:${username}`]), [], 'a successful login clears the failure count');
    });

    test('usernames are unique without regard to case and Unicode form, and count as one in the throttle', async () => {
      const browser = new TestBrowser(site.url);
      const username = `Casey${kind.name}`;
      assert.equal((await browser.post('/auth/local/register', { username, password: 'the right password', displayName: 'C' })).status, 303, 'the first spelling registers');
      const taken = await new TestBrowser(site.url).post('/auth/local/register', { username: username.toUpperCase(), password: 'another password', displayName: 'D' });
      assert.equal(taken.status, 409, `the same name in other case is taken: ${taken.text.slice(0, 200)}`);
      // Typed in fullwidth letters (a Chinese keyboard's full-width mode), it is still the same name (NFKC).
      const fullwidth = username.replace(/[A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
      assert.equal((await new TestBrowser(site.url).post('/auth/local/login', { username: fullwidth, password: 'the right password' })).status, 303, 'its fullwidth form signs in to the same account');
      const login = await new TestBrowser(site.url).post('/auth/local/login', { username: username.toLowerCase(), password: 'the right password' });
      assert.equal(login.status, 303, 'the account signs in by its name in any case');
      await new TestBrowser(site.url).post('/auth/local/login', { username: username.toUpperCase(), password: 'wrong' });
      const [counted] = await store.findLoginFailures([`connect:user:${username.toLowerCase()}`]);
      assert.equal(counted?.failures, 1, 'a failure under another case counts against the one account');
    });

    test('a NUL byte in a form field is a 400, never a 500: login, register, bind, unbind, login start', async () => {
      const browser = new TestBrowser(site.url);
      for (const [path, body] of [
        ['/auth/local/login', 'username=a%00b&password=whatever1'],
        ['/auth/local/login', 'username=someone&password=pass%00word'],
        ['/auth/local/register', 'username=a%00b&password=a+long+password&displayName=X'],
        ['/auth/local/register', 'username=validname&password=a+long+password&displayName=X%00Y'],
        ['/auth/unbind', 'identity=x%00y'],
        ['/auth/weibo/login', 'returnTo=%2Fa%00b'],
      ] as const) {
        const answer = await postRawForm(browser, path, body);
        assert.equal(answer.status, 400, `${path} ${body}: ${answer.status} ${answer.text}`);
        assert.match(answer.text, /not accepted/, `${path} ${body}: the 400 page says the value is not accepted`);
      }
      assert.equal(await store.findConnectUserByUsername('validname'), undefined, 'a register refused for a NUL byte in the display name creates no user');

      const pending = await pendingBrowser();
      for (const path of ['/auth/pending/register', '/auth/pending/bind']) {
        const answer = await postRawForm(pending, path, 'username=a%00b&password=whatever1&displayName=Z');
        assert.equal(answer.status, 400, `${path}: ${answer.status} ${answer.text}`);
        assert.match(answer.text, /not accepted/, `${path}: the 400 page says the value is not accepted`);
      }
      // The ticket was not used up by the refused posts.
      assert.equal(
        (await pending.post('/auth/pending/register', { username: `afternul${n}`, displayName: 'After' })).location,
        '/account',
        'the ticket survives the refused posts: registering afterwards signs in to /account',
      );
    });

    test('a NUL byte in a JSON field is a 400 invalid_input on every JSON route', async () => {
      const pending = await pendingBrowser();
      for (const [path, data] of [
        ['/api/auth/register', { ticket: 'x', username: 'a\u0000b', displayName: 'A' }],
        ['/api/auth/bind', { ticket: 'x', username: 'a\u0000b', password: 'whatever1' }],
        ['/api/auth/bind', { ticket: 'x\u0000', username: 'someone', password: 'whatever1' }],
        ['/api/auth/unbind', { identity: 'a\u0000b' }],
        ['/api/auth/weibo/authorize', { returnTo: '/\u0000' }],
        ['/api/auth/weibo/callback', { code: 'a\u0000b', state: 's\u0000' }],
        ['/api/auth/renew', { anything: '\u0000' }],
      ] as const) {
        const answer = await postJson(pending, path, data);
        assert.equal(answer.status, 400, `${path}: ${answer.status} ${answer.text}`);
        assert.equal(answer.json().error, 'invalid_input', `${path}: a NUL byte is refused as invalid_input: ${answer.text}`);
      }
    });

    test('a NUL byte in the callback query is a 400', async () => {
      const browser = new TestBrowser(site.url);
      const answer = await browser.get('/auth/weibo/callback?code=a%00b&state=s%00t');
      assert.equal(answer.status, 400, `a NUL byte in the callback query is a 400, never a 500: ${answer.text.slice(0, 300)}`);
    });

    test('a provider profile value with a NUL byte is dropped, never stored: registering still works', async () => {
      githubDouble.nextUser = `nul\u0000person${kind.name}`;
      const browser = new TestBrowser(gitHubSite.url);
      const { callback } = await loginWith(browser, 'github');
      assert.equal(callback.location, '/auth/pending', callback.text);
      const created = await browser.post('/auth/pending/register', { username: `nulprofile${kind.name}`, displayName: 'Nul' });
      assert.equal(created.status, 303, created.text);
      const user = await store.findConnectUserByUsername(`nulprofile${kind.name}`);
      assert.equal(user?.email, null, 'an email with a NUL byte from the provider is dropped, not stored on the user');
      const [identity] = await store.listIdentitiesOfUser(user!.id);
      assert.equal(identity?.profile.email, null, 'an email with a NUL byte is dropped from the stored identity profile');
      assert.equal(identity?.profile.name, null, 'a name with a NUL byte is dropped from the stored identity profile');
    });

    test('over-long fields are a 400, and a long username at login is refused without a 500', async () => {
      const browser = new TestBrowser(site.url);
      const long = 'a'.repeat(5000);
      const login = await browser.post('/auth/local/login', { username: long, password: 'whatever1' });
      assert.equal(login.status, 400, 'an over-long username at login is a 400');
      const register = await browser.post('/auth/local/register', { username: 'okname', password: long, displayName: 'X' });
      assert.equal(register.status, 400, 'an over-long password at register is a 400');
      const api = await postJson(browser, '/api/auth/bind', { ticket: 'x', username: 'someone', password: long });
      assert.equal(api.status, 400, `an over-long password in JSON is a 400: ${api.text.slice(0, 300)}`);
      assert.equal(api.json().error, 'invalid_input', `an over-long JSON field is refused as invalid_input: ${api.text.slice(0, 300)}`);
      // Just under the cap: an ordinary wrong login.
      assert.equal(
        (await browser.post('/auth/local/login', { username: 'a'.repeat(4096), password: 'whatever1' })).status,
        401,
        'a username just under the cap is an ordinary wrong login (401)',
      );
    });

    test('non-string JSON fields read as empty, never a 500', async () => {
      const pending = await pendingBrowser();
      const answer = await postJson(pending, '/api/auth/bind', { ticket: { $ne: 1 }, username: ['a'], password: 12345678 });
      assert.equal(answer.status, 400, `non-string JSON fields read as empty and are a 400, never a 500: ${answer.text.slice(0, 300)}`);
      const register = await postJson(pending, '/api/auth/register', { ticket: 'x', username: { toString: 'x' }, displayName: 7 });
      assert.ok(register.status < 500, register.text);
    });

    test('the site\'s access tokens sign and verify with the key imported once', async () => {
      const browser = new TestBrowser(site.url);
      const username = `tokens${kind.name}`;
      await browser.post('/auth/local/register', { username, password: 'the right password', displayName: 'T' });
      const renewed = await postJson(browser, '/api/auth/renew', {});
      assert.equal(renewed.status, 200, `the site renews its access token for a signed-in browser: ${renewed.text.slice(0, 300)}`);
      const { accessToken } = renewed.json();
      for (let i = 0; i < 3; i += 1) {
        const me = await fetch(new URL('/api/auth/me', site.url), { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(me.status, 200, 'the site access token verifies on every call with the key imported once');
        assert.equal((await me.json()).user.username, username, 'the access token identifies the registered user');
      }
      const forged = `${accessToken.slice(0, -2)}xx`;
      assert.equal(
        (await fetch(new URL('/api/auth/me', site.url), { headers: { authorization: `Bearer ${forged}` } })).status,
        401,
        'a token with a forged signature is refused with 401',
      );
    });
  });
}

for (const kind of storeKinds) {
  describe(`Connect's per-address limit on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let weiboDouble: Double;
    let site: TestSite;
    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      weiboDouble = await startWeibo();
      // The default limits, but for the sign-up one (every account here is made from 127.0.0.1).
      site = await startSite(store, [weibo({ ...weiboClient, baseUrl: weiboDouble.url })]);
    });
    after(async () => {
      await site.close();
      await weiboDouble.close();
      await dispose();
    });

    test('guesses sprayed over many accounts from one address run dry, and logging in to one\'s own account does not refill them', async () => {
      const policy = defaults.login;
      const own = new TestBrowser(site.url);
      assert.equal((await own.post('/auth/local/register', { username: `sprayer${kind.name}`, password: 'my own password', displayName: 'S' })).status, 303, "the attacker's own account");
      const victim = new TestBrowser(site.url);
      assert.equal((await victim.post('/auth/local/register', { username: `sprayed${kind.name}`, password: 'the victim password', displayName: 'V' })).status, 303, 'a victim account');
      let checked = 0;
      // Guess, then log in to one's own account (which used to reset the address's count), again and again.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < policy.addressFailures - 2; i++) {
          const guess = await new TestBrowser(site.url).post('/auth/local/login', { username: `nobody${round}-${i}`, password: 'guess' });
          if (!/Too many wrong passwords/.test(guess.text)) checked++;
        }
        await new TestBrowser(site.url).post('/auth/local/login', { username: `sprayer${kind.name}`, password: 'my own password' });
      }
      assert.equal(checked, policy.addressFailures, `of ${3 * (policy.addressFailures - 2)} sprayed guesses only ${policy.addressFailures} were checked: the address's own successes refilled nothing`);
      const refused = await new TestBrowser(site.url).post('/auth/local/login', { username: `sprayed${kind.name}`, password: 'the victim password' });
      assert.equal(refused.status, 429, 'from the address that sprayed, even a right password waits (429)');
      assert.match(refused.text, /Too many wrong passwords/, 'and is told so');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= policy.windowSeconds * 2, `the wait is said and bounded (Retry-After: ${refused.headers.get('retry-after')})`);
    });

    test('sign-ups from one address are limited before any password is hashed (429 with Retry-After)', async () => {
      // A site of its own, with a store of its own: no sign-up of the other tests counts here.
      const own = await kind.openConnect();
      const limited = await startSite(own.store, [weibo({ ...weiboClient, baseUrl: weiboDouble.url })], { login: { signupsPerAddress: 3 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await new TestBrowser(limited.url).post('/auth/local/register', { username: `flood${kind.name}${i}`, password: 'a long password', displayName: 'F' })).status);
        assert.deepEqual(statuses, [303, 303, 303, 429, 429], 'three accounts, then 429');
        assert.equal(await own.store.findConnectUserByUsername(`flood${kind.name}3`), undefined, 'the refused sign-up created nothing');
      } finally {
        await limited.close();
        await own.dispose();
      }
    });
  });
}
