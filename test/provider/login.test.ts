import assert from 'node:assert/strict';
import { isUsernameSyntax } from '../../src/lib/username.ts';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { throttleKeys } from '../../src/provider/accounts/authenticate.ts';
import { TestBrowser, csrfFrom, inputValue } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

/** Logs in through real HTTP from another loopback address, the way a second machine would. */
async function loginFrom(localAddress: string, base: string, username: string, password: string): Promise<number> {
  const get = await rawRequest(localAddress, base, 'GET', '/login');
  const cookie = get.cookies.join('; ');
  const form = new URLSearchParams({ username, password, csrf_token: csrfFrom(get.body) }).toString();
  return (await rawRequest(localAddress, base, 'POST', '/login', form, cookie)).status;
}

function rawRequest(localAddress: string, base: string, method: string, path: string, form?: string, cookie?: string) {
  const url = new URL(path, base);
  const headers: Record<string, string> = {};
  if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (cookie) headers.cookie = cookie;
  return new Promise<{ status: number; body: string; cookies: string[] }>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!) }));
    });
    req.on('error', reject);
    req.end(form);
  });
}

for (const kind of storeKinds) {
  describe(`login, logout and signup pages on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { login: { lockAfterFailures: 3, addressFailures: 3, slowAfterFailures: 10 } })));
    after(() => provider.close());

    test('the start page says what this is and links to logging in, the console and the metadata', async () => {
      const page = await new TestBrowser(provider.url).get('/');
      assert.equal(page.status, 200, 'the start page answers 200');
      assert.match(page.headers.get('content-type') ?? '', /text\/html/, 'the start page is HTML');
      assert.match(page.text, /OAuth 2\.0 provider/, 'the start page says this is an OAuth 2.0 provider');
      for (const href of ['/login', '/console', '/.well-known/oauth-authorization-server']) assert.ok(page.text.includes(`href="${href}"`), href);
    });

    test('the login form has labelled fields, a CSRF token and keeps return_to', async () => {
      const page = await new TestBrowser(provider.url).get('/login?return_to=%2Foauth2%2Fauthorize%3Fclient_id%3Dabc%26state%3Dx');
      assert.equal(page.status, 200, 'the login page answers 200');
      assert.match(page.text, /<label for="username">Username<\/label>/, 'the username field has its label');
      assert.match(page.text, /<label for="password">Password<\/label>/, 'the password field has its label');
      assert.match(page.text, /id="username"/, 'the login form has a username field');
      assert.match(page.text, /type="password" id="password"/, 'the password field is of type password');
      assert.ok(csrfFrom(page.text).length > 20, 'the login form carries a CSRF token');
      assert.equal(inputValue(page.text, 'return_to'), '/oauth2/authorize?client_id=abc&state=x', 'the login form keeps return_to in a hidden field');
      assert.equal(page.headers.get('cache-control'), 'no-store', 'the login page is not cached');
    });

    test('the right password signs in, with an HttpOnly SameSite=Lax cookie, and goes back to return_to', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      const form = await browser.get('/login?return_to=/account/apps');
      const response = await browser.post('/login', {
        username: user.username,
        password: user.password,
        csrf_token: csrfFrom(form.text),
        return_to: inputValue(form.text, 'return_to')!,
      });
      assert.equal(response.status, 303, 'the right password signs in with a 303');
      assert.equal(response.location, '/account/apps', 'signing in goes back to return_to');
      const sessionCookie = response.headers.getSetCookie().find((c) => c.startsWith('grantry_session='));
      assert.ok(sessionCookie, 'signing in sets the session cookie');
      assert.match(sessionCookie, /HttpOnly/i, 'the session cookie is HttpOnly');
      assert.match(sessionCookie, /SameSite=Lax/i, 'the session cookie is SameSite=Lax');
      assert.doesNotMatch(sessionCookie, /Secure/i, 'the session cookie is not Secure when the issuer is http');
      const home = await browser.get('/');
      assert.match(home.text, new RegExp(`signed in as <strong>${user.username}</strong>`), 'the start page names the signed-in user');
    });

    test('a return_to that leaves the site is replaced by /console', async () => {
      const user = await provider.createUser();
      for (const returnTo of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/\t/evil.example', 'javascript:alert(1)', '/ok\r\nSet-Cookie: a=b', '/caf\u00e9']) {
        const browser = new TestBrowser(provider.url);
        const form = await browser.get('/login');
        const response = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(form.text), return_to: returnTo });
        assert.equal(response.status, 303, returnTo);
        assert.equal(response.location, '/console', returnTo);
      }
    });

    test('a wrong password or an unknown username gets the same 401 message and no session', async () => {
      const user = await provider.createUser();
      for (const [username, password] of [[user.username, 'not the password'], ['nobody-here', 'whatever-password']] as const) {
        const browser = new TestBrowser(provider.url);
        const response = await browser.post('/login', { username, password, csrf_token: csrfFrom((await browser.get('/login')).text) });
        assert.equal(response.status, 401, `a wrong login for ${username} is refused with 401`);
        assert.match(response.text, /Wrong username or password/, `a wrong login for ${username} says the username or password is wrong`);
        assert.equal(inputValue(response.text, 'username'), username, `the form keeps the username ${username}`);
        assert.ok(!browser.cookies.has('grantry_session'), `a wrong login for ${username} gets no session`);
      }
      await provider.store.throttle.forget(throttleKeys(user.username, '127.0.0.1'));
      await provider.store.throttle.forget(throttleKeys('nobody-here', '127.0.0.1'));
    });

    test('a login without a valid CSRF token is refused with 403 and counts nothing', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await browser.get('/login');
      for (const csrf of ['', 'forged-token']) {
        const response = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrf });
        assert.equal(response.status, 403, `a login with the CSRF token ${JSON.stringify(csrf)} is refused with 403`);
        assert.match(response.text, /Nothing was changed/, 'the refusal says nothing was changed');
      }
      // A token from another browser is no good either.
      const other = new TestBrowser(provider.url);
      const stolen = csrfFrom((await other.get('/login')).text);
      assert.equal(
        (await browser.post('/login', { username: user.username, password: 'wrong', csrf_token: stolen })).status,
        403,
        'a CSRF token from another browser is refused with 403',
      );
      assert.ok(!browser.cookies.has('grantry_session'), 'a login refused for its CSRF token gets no session');
      assert.deepEqual(
        await provider.store.throttle.find(throttleKeys(user.username, '127.0.0.1')),
        [],
        'a login refused for its CSRF token counts no failure',
      );
    });

    test('after lockAfterFailures failures on one account, its right password is refused from anywhere (429)', async () => {
      const victim = await provider.createUser();
      const bystander = await provider.createUser();
      for (let i = 0; i < 3; i++) assert.equal(
        await loginFrom('127.0.0.2', provider.url, victim.username, 'guess'),
        401,
        `wrong guess ${i + 1} is refused with 401`,
      );
      assert.equal(
        await loginFrom('127.0.0.2', provider.url, victim.username, victim.password),
        429,
        'the right password is refused with 429 once the account is locked',
      );

      // The account is locked for every address: here 127.0.0.1, where nothing failed.
      const browser = new TestBrowser(provider.url);
      const response = await browser.post('/login', {
        username: victim.username,
        password: victim.password,
        csrf_token: csrfFrom((await browser.get('/login')).text),
      });
      assert.equal(response.status, 429, 'a locked account is refused with 429 from another address too');
      assert.match(response.text, /Too many failed attempts\. Try again in about \d+ min\./, 'the refusal says how long to wait');
      assert.ok(Number(response.headers.get('retry-after')) > 0, 'a locked login carries a Retry-After');
      assert.ok(!browser.cookies.has('grantry_session'), 'a locked login gets no session');

      // Another account from 127.0.0.1 is not affected.
      assert.equal(
        (await new TestBrowser(provider.url).login(bystander.username, bystander.password)).status,
        303,
        'another account can still sign in from the same address',
      );
      await provider.store.throttle.forget([...throttleKeys(victim.username, '127.0.0.2')]);
    });

    test('guesses sent in parallel are each counted: the account is locked afterwards', async () => {
      const victim = await provider.createUser();
      const statuses = await Promise.all(Array.from({ length: 30 }, () => loginFrom('127.0.0.5', provider.url, victim.username, 'parallel guess')));
      // The account and the address are counted apart, so interleaved attempts may reach either limit first.
      const checked = statuses.filter((status) => status === 401).length;
      assert.ok(checked >= 1 && checked <= 3, `at most lockAfterFailures guesses are checked, not ${checked}`);
      assert.equal(statuses.filter((status) => status === 429).length, 30 - checked, 'every guess that was not checked is refused with 429');
      assert.equal(
        await loginFrom('127.0.0.6', provider.url, victim.username, victim.password),
        429,
        'the account is locked afterwards, from another address too',
      );
      await provider.store.throttle.forget([...throttleKeys(victim.username, '127.0.0.5'), ...throttleKeys(victim.username, '127.0.0.6')]);
    });

    test('after lockAfterFailures failures from one address, every account is refused from there', async () => {
      const user = await provider.createUser();
      for (const name of ['ghost-a', 'ghost-b', 'ghost-c']) assert.equal(
        await loginFrom('127.0.0.3', provider.url, name, 'guess'),
        401,
        `a wrong guess for ${name} is refused with 401`,
      );
      assert.equal(
        await loginFrom('127.0.0.3', provider.url, user.username, user.password),
        429,
        'an address locked by its failures refuses every account with 429',
      );
      // The same account from another address still works.
      assert.equal(
        await loginFrom('127.0.0.4', provider.url, user.username, user.password),
        303,
        'the same account still signs in from another address',
      );
    });

    test('logout needs the CSRF token, ends the session and goes to /', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await browser.login(user.username, user.password);
      const refused = await browser.post('/logout', { csrf_token: 'nope' });
      assert.equal(refused.status, 403, 'a logout with a forged CSRF token is refused with 403');
      assert.match((await browser.get('/')).text, /signed in as/, 'a refused logout keeps the user signed in');

      const home = await browser.get('/');
      const session = browser.cookies.get('grantry_session')!;
      const response = await browser.post('/logout', { csrf_token: csrfFrom(home.text) });
      assert.equal(response.status, 303, 'logging out redirects with 303');
      assert.equal(response.location, '/', 'logging out goes to /');
      assert.ok(!browser.cookies.has('grantry_session'), 'logging out removes the session cookie');
      // The old cookie is worth nothing now, even if someone kept it.
      const replay = new TestBrowser(provider.url);
      replay.cookies.set('grantry_session', session);
      assert.doesNotMatch((await replay.get('/')).text, /signed in as/, 'the old session cookie no longer signs anyone in');
    });

    // Chromium compiles the pattern with the v flag, where a bare '-' in a class is an error, and then skips the check.
    test("the signup form's username pattern is rendered with its backslash, a valid v-flag pattern that agrees with the server", async () => {
      const form = await new TestBrowser(provider.url).get('/signup');
      const pattern = /id="username"[^>]*pattern="([^"]*)"/.exec(form.text)?.[1];
      assert.equal(pattern, '[A-Za-z0-9_.\\-]+', `the rendered pattern keeps the backslash before '-': ${pattern}`);
      const browserCheck = new RegExp(`^(?:${pattern})$`, 'v');
      for (const [name, ok] of [['alice_1.b-c', true], ['with space', false], ['ｆｕｌｌ', false], ['a-b', true]] as const) {
        assert.equal(browserCheck.test(name), ok, `the browser's check and the server's rule agree on "${name}"`);
        assert.equal(isUsernameSyntax(name), ok, `the server's rule on "${name}"`);
      }
    });

    test('signup creates the account, signs it in and goes to return_to', async () => {
      const browser = new TestBrowser(provider.url);
      const form = await browser.get('/signup?return_to=/account/apps');
      assert.equal(form.status, 200, 'the signup page answers 200');
      for (const label of ['Username', 'Display name', 'Email (optional)', 'Password']) assert.ok(form.text.includes(`>${label}</label>`), label);
      const response = await browser.post('/signup', {
        csrf_token: csrfFrom(form.text),
        return_to: inputValue(form.text, 'return_to')!,
        username: 'new.user_1',
        display_name: 'New User',
        email: '',
        password: 'long enough password',
        password_confirmation: 'long enough password',
      });
      assert.equal(response.status, 303, 'signing up redirects with 303');
      assert.equal(response.location, '/account/apps', 'signing up goes back to return_to');
      assert.ok(browser.cookies.has('grantry_session'), 'signing up signs the new account in');
      const stored = await provider.store.users.findByUsername('new.user_1');
      assert.equal(stored?.displayName, 'New User', 'the display name is stored');
      assert.equal(stored?.email, null, 'an empty email is stored as null');
      assert.notEqual(stored?.passwordHash, 'long enough password', 'the password is not stored as it was typed');
      assert.equal(
        (await new TestBrowser(provider.url).login('new.user_1', 'long enough password')).status,
        303,
        'the new account can sign in with its password',
      );
    });

    test('signup explains what is wrong, keeps the entries, and says when a username is taken', async () => {
      const taken = await provider.createUser();
      const cases: [Record<string, string>, RegExp][] = [
        [{ username: 'ab' }, /3 to 32 characters/],
        [{ username: 'has space' }, /3 to 32 characters/],
        [{ username: 'x'.repeat(33) }, /3 to 32 characters/],
        [{ password: 'short', password_confirmation: 'short' }, /at least 8 characters/],
        [{ password_confirmation: 'something else' }, /not the same/],
        [{ email: 'not-an-email' }, /email address/],
        [{ username: taken.username }, /is taken/],
      ];
      for (const [change, message] of cases) {
        const browser = new TestBrowser(provider.url);
        const csrf = csrfFrom((await browser.get('/signup')).text);
        const form = { csrf_token: csrf, username: 'fresh_name', display_name: 'Fresh <b>', email: '', password: 'password123', password_confirmation: 'password123', ...change };
        const response = await browser.post('/signup', form);
        assert.ok(response.status === 400 || response.status === 409, `${response.status} for ${JSON.stringify(change)}`);
        assert.match(response.text, message, `the refusal says why for ${JSON.stringify(change)}`);
        assert.equal(inputValue(response.text, 'display_name'), 'Fresh <b>', `the display name entered is kept for ${JSON.stringify(change)}`);
        assert.ok(response.text.includes('Fresh &lt;b&gt;'), `the display name is shown escaped for ${JSON.stringify(change)}`);
        assert.ok(!browser.cookies.has('grantry_session'), `a refused signup gets no session for ${JSON.stringify(change)}`);
      }
      assert.equal(await provider.store.users.findByUsername('fresh_name'), undefined, 'no refused signup creates the account');
    });

    test('a username taken in another case or Unicode form is taken', async () => {
      const first = await provider.createUser('Taken_Name');
      for (const spelling of ['taken_name', 'TAKEN_NAME']) {
        const browser = new TestBrowser(provider.url);
        const response = await browser.post('/signup', {
          csrf_token: csrfFrom((await browser.get('/signup')).text),
          username: spelling, display_name: 'Other', email: '', password: 'password123', password_confirmation: 'password123',
        });
        assert.equal(response.status, 409, `${spelling} is the name ${first.username} has`);
      }
      // A fullwidth form typed at the login page is the same name too (NFKC).
      const fullwidth = 'Ｔａｋｅｎ＿Ｎａｍｅ';
      assert.equal((await new TestBrowser(provider.url).login(fullwidth, first.password)).status, 303, 'the account signs in by its name in fullwidth letters');
    });

    test('sign-ups from one address are limited, counted before the password is hashed (429 with Retry-After)', async () => {
      const limited = await startProvider(kind, { login: { signupsPerAddress: 2 } });
      try {
        const statuses: (number | string | null)[][] = [];
        for (let i = 0; i < 4; i++) {
          const browser = new TestBrowser(limited.url);
          const response = await browser.post('/signup', {
            csrf_token: csrfFrom((await browser.get('/signup')).text),
            username: `flood_${i}`, display_name: 'F', email: '', password: 'password123', password_confirmation: 'password123',
          });
          statuses.push([response.status, response.headers.get('retry-after') === null ? null : 'retry-after']);
        }
        assert.deepEqual(statuses, [[303, null], [303, null], [429, 'retry-after'], [429, 'retry-after']], 'two accounts, then 429 with Retry-After');
        assert.equal(await limited.store.users.findByUsername('flood_2'), undefined, 'the refused sign-up created nothing');
      } finally {
        await limited.close();
      }
    });

    test('signup without a CSRF token is refused and creates nobody', async () => {
      const response = await new TestBrowser(provider.url).post('/signup', {
        username: 'csrf_victim', display_name: 'X', password: 'password123', password_confirmation: 'password123',
      });
      assert.equal(response.status, 403, 'a signup without a CSRF token is refused with 403');
      assert.equal(await provider.store.users.findByUsername('csrf_victim'), undefined, 'a signup refused for its CSRF token creates nobody');
    });

    test('odd input (repeated fields, JSON, NUL bytes, huge values) is never a server error', async () => {
      const browser = new TestBrowser(provider.url);
      const csrf = csrfFrom((await browser.get('/login')).text);
      const bodies = [
        `username=a&username=b&password=x&csrf_token=${csrf}`,
        `username=a%00b&password=x%00y&csrf_token=${csrf}&return_to=%2F%00`,
        `username=${'u'.repeat(20000)}&password=${'p'.repeat(20000)}&csrf_token=${csrf}`,
        `csrf_token=${csrf}&csrf_token=${csrf}`,
        '%%%',
      ];
      for (const body of bodies) {
        for (const path of ['/login', '/signup', '/logout']) {
          const response = await fetch(`${provider.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `grantry_csrf=${browser.cookies.get('grantry_csrf')}` },
            body,
            redirect: 'manual',
          });
          assert.ok(response.status < 500, `${path} ${body.slice(0, 40)} → ${response.status}`);
        }
      }
      const json = await fetch(`${provider.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: { a: 1 }, password: [1], csrf_token: 5 }),
      });
      assert.equal(json.status, 403, 'a JSON login without a form CSRF token is refused with 403');
      for (const path of ['/login?return_to=%00', '/login?return_to=a&return_to=b', '/signup?return_to[x]=1']) {
        assert.ok((await fetch(`${provider.url}${path}`)).status < 500, path);
      }
      await provider.store.throttle.forget(['addr:127.0.0.1']);
    });
  });
}

describe('login pages with other configurations', () => {
  const kind = storeKinds[0]!;

  test('the session cookie is Secure when the issuer is https', async () => {
    const provider = await startProvider(kind, { issuer: 'https://id.example' });
    try {
      const user = await provider.createUser();
      const port = (provider.app.server.address() as AddressInfo).port;
      const response = await new TestBrowser(`http://127.0.0.1:${port}`).login(user.username, user.password);
      assert.equal(response.status, 303, 'the right password signs in with a 303');
      const sessionCookie = response.headers.getSetCookie().find((c) => c.startsWith('grantry_session='));
      assert.match(sessionCookie ?? '', /; Secure/i, 'the session cookie is Secure when the issuer is https');
      assert.match(sessionCookie ?? '', /HttpOnly/i, 'the session cookie is HttpOnly');
    } finally {
      await provider.close();
    }
  });

  test('with signup turned off there is no signup page and no link to it', async () => {
    const provider = await startProvider(kind, { allowSignup: false });
    try {
      const browser = new TestBrowser(provider.url);
      const login = await browser.get('/login');
      assert.ok(!login.text.includes('/signup'), 'the login page does not link to signup when it is turned off');
      assert.equal((await browser.get('/signup')).status, 404, 'the signup page is not found when signup is turned off');
      const response = await browser.post('/signup', {
        csrf_token: csrfFrom(login.text), username: 'sneaky', display_name: 'S', password: 'password123', password_confirmation: 'password123',
      });
      assert.equal(response.status, 404, 'a signup post is not found when signup is turned off');
      assert.equal(await provider.store.users.findByUsername('sneaky'), undefined, 'a signup post creates nobody when signup is turned off');
    } finally {
      await provider.close();
    }
  });
});
