import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { TestBrowser, consentDecision, csrfFrom } from '../helpers/browser.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../src/store/open.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// OpenID Connect's authentication request parameters (Core §3.1.2.1): prompt (none, login,
// consent, select_account), max_age and login_hint, each branch with its exact answer.

const callback = 'https://rp.example/cb';

for (const kind of storeKinds) {
  describe(`authentication requests on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind);
      const registered = await provider.registerClient({ appType: 'web', name: 'Relying party', redirectUris: [callback] });
      clientId = registered.client.id;
      config = await discover(provider, clientId, registered.clientSecret!);
    });
    after(() => provider.close());

    const request = (extra: Record<string, string>) =>
      `/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'openid profile', state: 'st', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...extra })}`;
    const errorOf = (location: string | null | undefined) => {
      const url = new URL(location ?? 'about:blank');
      return { at: `${url.origin}${url.pathname}`, error: url.searchParams.get('error'), state: url.searchParams.get('state'), iss: url.searchParams.get('iss') };
    };
    async function allowOnce(browser: TestBrowser) {
      const page = await browser.get(request({}));
      assert.equal(page.status, 200, `the consent page is shown: ${page.status} ${page.location ?? ''}`);
      const allowed = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
      assert.equal(allowed.status, 303, 'allowing redirects to the app');
    }

    test('prompt=none with nobody signed in: login_required at the redirect URI, with state and iss, and no page', async () => {
      const answer = await new TestBrowser(provider.url).get(request({ prompt: 'none' }));
      assert.equal(answer.status, 302, 'a redirect, not a page');
      assert.deepEqual(errorOf(answer.location), { at: callback, error: 'login_required', state: 'st', iss: provider.url }, 'login_required goes back to the app');
    });

    test('prompt=none signed in but not yet allowed: consent_required; once allowed, a code at once, which openid-client redeems', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const before = await browser.get(request({ prompt: 'none' }));
      assert.deepEqual(errorOf(before.location), { at: callback, error: 'consent_required', state: 'st', iss: provider.url }, 'consent_required goes back to the app');
      await allowOnce(browser);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid profile', prompt: 'none', nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const silent = await browser.get(`${url.pathname}${url.search}`);
      assert.equal(silent.status, 302, 'prompt=none answers at once with a redirect');
      const tokens = await client.authorizationCodeGrant(config, new URL(silent.location!), { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
      assert.equal(tokens.claims()!.sub, user.id, 'the silent login names the signed-in person');
    });

    test('prompt=none with max_age older than the sign-in: login_required; prompt=none beside another value: invalid_request', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user, { secondsAgo: 600 });
      await allowOnce(browser);
      assert.equal(errorOf((await browser.get(request({ prompt: 'none', max_age: '60' }))).location).error, 'login_required', 'a ten-minute-old sign-in is too old for max_age=60');
      assert.equal(new URL((await browser.get(request({ prompt: 'none', max_age: '3600' }))).location!).searchParams.has('code'), true, 'and young enough for max_age=3600');
      assert.equal(errorOf((await browser.get(request({ prompt: 'none login' }))).location).error, 'invalid_request', 'none with login is invalid_request');
    });

    test("max_age: a sign-in older than it asks for the password again, and the ID token's auth_time is the new one", async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user, { secondsAgo: 600 });
      await allowOnce(browser);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid profile', max_age: '60', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const asked = await browser.get(`${url.pathname}${url.search}`);
      assert.match(asked.location ?? '', /^\/login\?return_to=/, 'the person is sent to sign in again');
      const loginPage = await browser.get(asked.location!);
      const loggedIn = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(loginPage.text), return_to: new URL(asked.location!, provider.url).searchParams.get('return_to')! });
      assert.equal(loggedIn.status, 303, 'the password is accepted');
      const back = await browser.get(loggedIn.location!);
      assert.ok(back.location?.startsWith(callback), `after the fresh sign-in the request is answered: ${back.status} ${back.location}`);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, maxAge: 60, idTokenExpected: true });
      const authTime = tokens.claims()!.auth_time!;
      assert.ok(Math.floor(Date.now() / 1000) - authTime < 60, `auth_time is the fresh sign-in's (${authTime}), and openid-client checked it against max_age`);
    });

    test('max_age that is not a non-negative integer: invalid_request', async () => {
      for (const bad of ['-1', '1.5', 'ten', '99999999999']) {
        const answer = await new TestBrowser(provider.url).get(request({ max_age: bad }));
        assert.equal(errorOf(answer.location).error, 'invalid_request', `max_age=${bad} is invalid_request`);
      }
    });

    test('prompt=login asks for a sign-in even when someone is signed in (prompt=select_account: test/oidc/select-account.test.ts); an unknown prompt is invalid_request', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      await allowOnce(browser);
      const answer = await browser.get(request({ prompt: 'login' }));
      assert.match(answer.location ?? '', /^\/login\?return_to=/, 'prompt=login goes to the login page');
      assert.equal(errorOf((await browser.get(request({ prompt: 'sometimes' }))).location).error, 'invalid_request', 'an unknown prompt value is invalid_request');
    });

    test('login_hint fills in the username on the login page, escaped; one over 256 characters is invalid_request', async () => {
      const browser = new TestBrowser(provider.url);
      const answer = await browser.get(request({ login_hint: 'ada"><script>x</script>' }));
      const page = await browser.get(answer.location!);
      assert.match(page.text, /name="username"[^>]*value="ada&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"|value="ada&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"[^>]*name="username"/, 'the hint is the username field\'s value, escaped');
      assert.equal(errorOf((await browser.get(request({ login_hint: 'a'.repeat(257) }))).location).error, 'invalid_request', 'a 257-character hint is invalid_request');
    });
    test('id_token_hint: the same person gets a code at once, another is login_required (prompt=none) or asked to sign in; a forged hint is invalid_request', async () => {
      const ada = await provider.createUser();
      const bob = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, ada);
      await allowOnce(browser);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const first = await browser.get(`${url.pathname}${url.search}`);
      const tokens = await client.authorizationCodeGrant(config, new URL(first.location!), { pkceCodeVerifier: verifier, idTokenExpected: true });
      const adaHint = tokens.id_token!;

      const same = await browser.get(request({ prompt: 'none', id_token_hint: adaHint }));
      assert.ok(new URL(same.location!).searchParams.has('code'), 'a hint naming the signed-in person: a code at once');

      // Another app's ID token as the hint: refused, so that no app learns who is signed in for another.
      const otherApp = await provider.registerClient({ appType: 'web', name: 'Other', redirectUris: [callback] });
      const otherConfig = await discover(provider, otherApp.client.id, otherApp.clientSecret!);
      const otherVerifier = client.randomPKCECodeVerifier();
      const otherUrl = client.buildAuthorizationUrl(otherConfig, { redirect_uri: callback, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(otherVerifier), code_challenge_method: 'S256' });
      const otherConsent = await browser.get(`${otherUrl.pathname}${otherUrl.search}`);
      const otherBack = await browser.post('/oauth2/authorize', consentDecision(otherConsent.text, 'allow'));
      const otherHint = (await client.authorizationCodeGrant(otherConfig, new URL(otherBack.location!), { pkceCodeVerifier: otherVerifier, idTokenExpected: true })).id_token!;
      assert.equal(errorOf((await browser.get(request({ prompt: 'none', id_token_hint: otherHint }))).location).error, 'invalid_request', "another app's ID token as the hint: invalid_request");

      const bobBrowser = new TestBrowser(provider.url);
      await signIn(provider, bobBrowser, bob);
      assert.equal(errorOf((await bobBrowser.get(request({ prompt: 'none', id_token_hint: adaHint }))).location).error, 'login_required', "ada's hint while bob is signed in: login_required");
      const asked = await bobBrowser.get(request({ id_token_hint: adaHint }));
      assert.match(asked.location ?? '', /^\/login\?return_to=/, 'without prompt=none, bob is asked to sign in');
      // Bob signs in again as himself: not the person the hint names, so login_required (Core §3.1.2.1).
      const returnTo = new URL(asked.location!, provider.url).searchParams.get('return_to')!;
      const loginPage = await bobBrowser.get(asked.location!);
      await bobBrowser.post('/login', { username: bob.username, password: bob.password, csrf_token: csrfFrom(loginPage.text), return_to: returnTo });
      assert.equal(errorOf((await bobBrowser.get(returnTo)).location).error, 'login_required', 'signed in afresh as someone else than the hint: login_required');

      // A hint that is not one of ours: an access token (typ at+jwt), a token with its signature changed, garbage.
      const [header, payload, signature] = adaHint.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: bob.id })).toString('base64url')}.${signature}`;
      for (const [what, hint] of [['an access token', tokens.access_token], ['a forged subject', forged], ['garbage', 'not.a.jwt'], ['an oversized one', 'a'.repeat(9000)]] as const) {
        assert.equal(errorOf((await browser.get(request({ id_token_hint: hint }))).location).error, 'invalid_request', `${what} as id_token_hint is invalid_request`);
      }
    });
    test('request and request_uri are refused with request_not_supported and request_uri_not_supported, not dropped (Core §6)', async () => {
      const browser = new TestBrowser(provider.url);
      assert.equal(errorOf((await browser.get(request({ request: 'eyJhbGciOiJub25lIn0.e30.' }))).location).error, 'request_not_supported', 'a request object: request_not_supported');
      assert.equal(errorOf((await browser.get(request({ request_uri: 'https://rp.example/request.jwt' }))).location).error, 'request_uri_not_supported', 'a request_uri: request_uri_not_supported');
    });

    test('an authorization request may be POSTed as a form (Core §3.1.2.1): sent on as the same GET (303), which carries the cookies a cross-site POST would not', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      const params = Object.fromEntries(new URLSearchParams(request({ nonce: 'posted' }).split('?')[1]));
      const posted = await browser.post('/oauth2/authorize', params);
      assert.equal(posted.status, 303, 'a posted request is answered with 303');
      const target = new URL(posted.location!, provider.url);
      assert.equal(target.pathname, '/oauth2/authorize', 'to the authorization endpoint');
      assert.deepEqual(Object.fromEntries(target.searchParams), params, 'with the same parameters');
      await signIn(provider, browser, user);
      await allowOnce(browser);
      const answered = await browser.get(posted.location!);
      assert.ok(new URL(answered.location!).searchParams.has('code'), 'the GET it leads to answers with a code');
      // A posted request too large for a Location header is refused on Grantry's page, not sent on.
      const huge = await browser.post('/oauth2/authorize', { ...params, filler: 'x'.repeat(20_000) });
      assert.equal(huge.status, 400, 'a posted request over 8 KiB is refused with 400');
      assert.equal(huge.location ?? null, null, 'and not redirected');
    });

    test('max_age: a person who signed in for this request is not sent back to sign in, however long the consent page took', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      const asked = await browser.get(request({ max_age: '1', nonce: 'slow' }));
      assert.match(asked.location ?? '', /^\/login\?return_to=/, 'nobody signed in: the login page');
      const returnTo = new URL(asked.location!, provider.url).searchParams.get('return_to')!;
      const loginPage = await browser.get(asked.location!);
      assert.equal((await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(loginPage.text), return_to: returnTo })).status, 303, 'signed in');
      // The request was stored ten seconds ago and the sign-in made five seconds ago, for it: older than max_age=1 by now.
      const raw = await openDatabase<unknown>(provider.databaseUrl, { migrations: {}, table: 'grantry_probe', lockTable: 'grantry_probe_lock' });
      try {
        await sql`update authorization_requests set created_at = created_at - 10`.execute(raw.db as Kysely<any>);
        await sql`update sessions set created_at = created_at - 5 where user_id = ${user.id}`.execute(raw.db as Kysely<any>);
      } finally {
        await raw.close();
      }
      const consent = await browser.get(returnTo);
      assert.equal(consent.status, 200, `the consent page, not the login page again: ${consent.status} ${consent.location ?? ''}`);
      const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.ok(new URL(allowed.location!).searchParams.has('code'), `allowing answers with a code, not another sign-in: ${allowed.location}`);
    });
  });
}
