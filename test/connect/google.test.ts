import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { google, unsealTokens } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { googleClient, googleIssuer, startGoogle, type GoogleDouble } from './doubles/google.ts';
import { loginWith, startSite, TestBrowser, visible, type TestSite } from './helpers.ts';

// The Google preset against a double that behaves as Google documents: site → Google → site over
// loopback HTTP, the identity read from an RS256 ID token checked against the double's JWKS.

for (const kind of storeKinds) {
  describe(`Google preset on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: GoogleDouble;
    let site: TestSite;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startGoogle();
      site = await startSite(store, [google({ ...googleClient, baseUrl: double.url })]);
      double.people.set('ada', { sub: '110169484474386276334', name: 'Ada Lovelace', email: 'ada@gmail.example', email_verified: true, picture: 'https://lh3.googleusercontent.example/a/ada' });
      double.people.set('bob', { sub: '110169484474386270000', name: 'Bob', email: 'bob@corp.example', email_verified: false });
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('full login: PKCE, nonce, client_secret_post; identity = sub, name, email + email_verified, picture as avatar', async () => {
      // The double's discovery document agrees with what the preset has written in.
      const discovery = await (await fetch(`${double.url}/.well-known/openid-configuration`)).json();
      assert.equal(discovery.issuer, googleIssuer, 'the double\'s discovery document names Google\'s issuer');
      const preset = google({ ...googleClient, baseUrl: double.url });
      assert.equal(preset.issuer, discovery.issuer, 'the preset\'s issuer is the one in the discovery document');
      for (const [field, endpoint] of [['authorization_endpoint', preset.authorizationEndpoint], ['token_endpoint', preset.tokenEndpoint], ['jwks_uri', preset.jwksUri], ['revocation_endpoint', preset.revocationEndpoint]] as const) {
        assert.equal(endpoint, discovery[field], field);
      }
      assert.equal(google(googleClient).authorizationEndpoint, 'https://accounts.google.com/o/oauth2/v2/auth', 'the preset sends the browser to Google\'s real authorization endpoint by default');

      double.nextUser = 'ada';
      const browser = new TestBrowser(site.url);
      const { authorizeUrl, callback } = await loginWith(browser, 'google', { returnTo: '/welcome' });
      const authorize = new URL(authorizeUrl);
      assert.equal(authorize.origin + authorize.pathname, `${double.url}/o/oauth2/v2/auth`, 'the browser is sent to the authorization endpoint of the double');
      assert.equal(authorize.searchParams.get('scope'), 'openid profile email', 'the login asks for openid profile email');
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'the login uses PKCE with S256');
      assert.ok(authorize.searchParams.get('nonce'), 'the login carries a nonce');
      assert.equal(callback.status, 303, callback.text.slice(0, 300));
      assert.equal(callback.location, '/auth/pending', 'the first login of an unknown Google account ends on the pending page');

      const tokenRequest = double.requests.find((r) => r.path === '/token')!;
      assert.equal(tokenRequest.body.client_id, googleClient.clientId, 'the token request carries the client id in the body');
      assert.equal(tokenRequest.body.client_secret, googleClient.clientSecret, 'the token request carries the client secret in the body');
      assert.equal(tokenRequest.headers.authorization, undefined, 'client_secret_post, not basic');
      assert.ok(tokenRequest.body.code_verifier, 'the token request carries the PKCE verifier');
      assert.ok(!double.requests.some((r) => r.path === '/v1/userinfo'), 'the ID token is enough');

      const identity = (await store.findIdentityBySubject('google', '110169484474386276334'))!;
      assert.deepEqual(identity.profile, { name: 'Ada Lovelace', email: 'ada@gmail.example', emailVerified: true, avatar: 'https://lh3.googleusercontent.example/a/ada' }, 'the identity holds the name, the verified email and the picture as avatar');
      const tokens = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens!);
      assert.match(tokens.accessToken, /^ya29\./, 'the stored access token is Google\'s');
      assert.ok(tokens.idToken, 'the stored tokens include the ID token');
      const pending = await browser.get('/auth/pending');
      assert.match(pending.text, /Ada Lovelace/, 'the pending page shows the Google name');
      assert.ok(!visible(callback).includes(tokens.accessToken) && !visible(pending).includes(tokens.accessToken), 'no Google access token is shown to the browser');

      // Registered, the next login (ID token naming the issuer without https://, as Google may) signs in.
      assert.equal((await browser.post('/auth/pending/register', { username: 'ada' })).location, '/welcome', 'registering from the pending page goes to the return_to of the login');
      const account = (await browser.get('/account')).json();
      assert.equal(account.user.email, 'ada@gmail.example', 'a verified address is taken over');
      await browser.post('/auth/logout', {});
      double.nextIdTokenClaims = { iss: 'accounts.google.com' };
      const again = await loginWith(browser, 'google');
      assert.equal(again.callback.location, '/account', 'the next login of the registered account signs in');
    });

    test('email_verified false is not verified; the address is not taken over', async () => {
      double.nextUser = 'bob';
      const browser = new TestBrowser(site.url);
      assert.equal((await loginWith(browser, 'google')).callback.location, '/auth/pending', 'the first login of Bob ends on the pending page');
      const identity = (await store.findIdentityBySubject('google', '110169484474386270000'))!;
      assert.deepEqual(identity.profile, { name: 'Bob', email: 'bob@corp.example', emailVerified: false, avatar: null }, 'an address with email_verified false is stored as not verified');
      await browser.post('/auth/pending/register', { username: 'bob-google' });
      assert.equal((await browser.get('/account')).json().user.email, null, 'an address that is not verified is not taken over');
    });

    test('{error: "invalid_grant"} from the token endpoint ends on an error page, and nothing is stored', async () => {
      double.nextUser = 'carol';
      double.failNextToken = true;
      const browser = new TestBrowser(site.url);
      const { callback } = await loginWith(browser, 'google');
      assert.equal(callback.status, 502, `a refusal from Google's token endpoint ends on an error page (502): ${callback.text.slice(0, 300)}`);
      assert.match(callback.text, /Google refused the login \(invalid_grant\)/, 'the error page says Google refused the login with invalid_grant');
      assert.equal(browser.cookies.get('connect_session'), undefined, 'no session is started after a refused login');
    });

    test('an ID token for another audience, from another issuer or signed with a key not in the JWKS is refused', async () => {
      const cases: Array<[string, () => void, RegExp]> = [
        ['aud', () => (double.nextIdTokenClaims = { aud: 'someone-else.apps.googleusercontent.com' }), /aud/],
        ['iss', () => (double.nextIdTokenClaims = { iss: 'https://accounts.google.example' }), /iss/],
        ['key', () => (double.signNextWithUnknownKey = true), /signature|key|JWKS/i],
      ];
      for (const [name, arrange, detail] of cases) {
        double.nextUser = `mallory-${name}`;
        arrange();
        const browser = new TestBrowser(site.url);
        const { callback } = await loginWith(browser, 'google');
        assert.equal(callback.status, 502, name);
        assert.match(callback.text, /Logging in with Google failed: the ID token is not valid/, name);
        assert.match(callback.text, detail, name);
        assert.equal(browser.cookies.get('connect_session'), undefined, name);
      }
      const stored = await Promise.all(['aud', 'iss', 'key'].map((name) => store.findIdentityBySubject('google', `1${[...`mallory-${name}`].map((c) => c.charCodeAt(0)).join('')}`)));
      assert.deepEqual(stored, [undefined, undefined, undefined], 'no identity from a refused token');
    });
  });
}
