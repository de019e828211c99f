import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { dumpDatabase } from '../helpers/dump.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

// The seed's authorization-code flow, end to end, as its own client code runs it: build the
// authorize URL, log in, allow, receive the code at the callback, POST client_id, client_secret,
// grant_type, redirect_uri and code to /oauth2/access_token, read `uid`, call the API.

const callback = 'https://seed-site.example/oauth/callback';

async function authorizeAndAllow(browser: TestBrowser, params: Record<string, string>, login?: { username: string; password: string }) {
  const path = `/oauth2/authorize?${new URLSearchParams(params)}`;
  let response = await browser.get(path);
  if (login) {
    assert.equal(response.status, 302, 'a browser without a session is sent to log in (302)');
    const loginUrl = response.location!;
    const page = await browser.get(loginUrl);
    assert.match(page.text, /<label[^>]*>Username<\/label>/, 'the login page has a Username field');
    assert.match(page.text, /<label[^>]*>Password<\/label>/, 'the login page has a Password field');
    const loggedIn = await browser.post('/login', {
      username: login.username,
      password: login.password,
      csrf_token: csrfFrom(page.text),
      return_to: new URL(loginUrl, browser.base).searchParams.get('return_to')!,
    });
    assert.equal(loggedIn.status, 303, 'the login form redirects back to the authorization request (303)');
    response = await browser.get(loggedIn.location!);
  }
  assert.equal(response.status, 200, response.text.slice(0, 300));
  const allowed = await browser.post('/oauth2/authorize', consentDecision(response.text, 'allow'));
  assert.equal(allowed.status, 303, 'allowing redirects to the app\'s callback (303)');
  return new URL(allowed.location!);
}

for (const kind of storeKinds) {
  describe(`the seed's flow on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('a legacy confidential client with no PKCE: code → token with uid → /api/me', async () => {
      const user = await provider.createUser('weibo_user', 'a good password', { displayName: 'Weibo User', email: 'wu@example.com' });
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', name: 'Seed site', redirectUris: [callback], pkceRequired: false });
      const browser = new TestBrowser(provider.url);
      const params = { response_type: 'code', client_id: client.id, redirect_uri: callback, scope: '', state: 'seed-state' };
      const redirected = await authorizeAndAllow(browser, params, user);
      assert.equal(`${redirected.origin}${redirected.pathname}`, callback, 'the code is sent to the registered callback');
      const code = redirected.searchParams.get('code')!;

      const tokenResponse = await fetch(`${provider.url}/oauth2/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: client.id, client_secret: clientSecret!, grant_type: 'authorization_code', redirect_uri: callback, code }),
      });
      assert.equal(tokenResponse.status, 200, 'the seed\'s token endpoint /oauth2/access_token answers 200');
      assert.equal(tokenResponse.headers.get('cache-control'), 'no-store', 'the token answer is never cached');
      const token = await tokenResponse.json();
      assert.equal(token.token_type, 'Bearer', 'the token is a Bearer token');
      assert.equal(token.uid, user.id, 'the token answer carries the uid of the user, as the seed\'s client reads it');
      assert.equal(token.scope, 'profile', 'an empty scope is granted as profile');
      assert.ok(token.refresh_token, 'the token answer carries a refresh token');
      assert.equal(typeof token.expires_in, 'number', 'the token answer says when the token expires');

      const me = await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${token.access_token}` } });
      assert.equal(me.status, 200, '/api/me accepts the access token');
      const profile = await me.json();
      assert.equal(profile.uid, user.id, '/api/me gives the uid of the user');
      assert.equal(profile.username, 'weibo_user', '/api/me gives the username');
      assert.equal(profile.display_name, 'Weibo User', '/api/me gives the display name');
      assert.equal(profile.email, undefined, 'no email without the email scope');

      // Nothing that grants access is kept in plain.
      const dump = await dumpDatabase(provider.databaseUrl);
      assert.ok(dump.includes(user.id), 'the dump reads the provider\'s own tables');
      for (const secret of [code, token.refresh_token, clientSecret!, 'a good password']) {
        assert.ok(!dump.includes(secret), 'a secret is stored in plain');
      }
    });

    test('a public client with PKCE (the RFC 7636 Appendix B vector) and the email scope', async () => {
      const user = await provider.createUser('spa_user', 'another good password', { email: 'spa@example.com' });
      const { client } = await provider.registerClient({ appType: 'spa', name: 'Browser app', redirectUris: [callback] });
      const browser = new TestBrowser(provider.url);
      const params = {
        response_type: 'code', client_id: client.id, redirect_uri: callback, scope: 'profile email', state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      };
      const code = (await authorizeAndAllow(browser, params, user)).searchParams.get('code')!;
      const tokenResponse = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: client.id, grant_type: 'authorization_code', redirect_uri: callback, code,
          code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        }),
      });
      assert.equal(tokenResponse.status, 200, 'the public client redeems its code with the PKCE verifier');
      const token = await tokenResponse.json();
      const me = await (await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
      assert.equal(me.email, 'spa@example.com', '/api/me gives the email with the email scope');
    });
  });
}
