import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { TestBrowser, consentDecision } from '../helpers/browser.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// OpenID Connect as panva's openid-client (a certified relying-party library, written by someone
// else) speaks it to Grantry over HTTP: discovery, the code flow with PKCE and a nonce, the ID
// token it validates (OpenID Connect Core §3.1.3.7), UserInfo (§5.3) and refresh (§12).

const callback = 'https://rp.example/cb';

/** The browser's part: the authorization request, the consent, and the redirect back with the code. */
async function authorizeInBrowser(browser: TestBrowser, url: URL): Promise<URL> {
  const page = await browser.get(`${url.pathname}${url.search}`);
  let location = page.location;
  if (page.status === 200) location = (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location;
  assert.ok(location?.startsWith(callback), `the authorization endpoint redirects to the callback: ${page.status} ${location ?? page.text.slice(0, 300)}`);
  return new URL(location!);
}

for (const kind of storeKinds) {
  describe(`OpenID Connect with openid-client on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;
    let clientId: string;
    let clientSecret: string;

    before(async () => {
      provider = await startProvider(kind);
      user = await provider.createUser(undefined, undefined, { email: 'ada@example.com', displayName: 'Ada Lovelace' });
      const registered = await provider.registerClient({ appType: 'web', name: 'Relying party', redirectUris: [callback], grantTypes: ['authorization_code', 'refresh_token'] });
      clientId = registered.client.id;
      clientSecret = registered.clientSecret!;
      config = await discover(provider, clientId, clientSecret);
    });
    after(() => provider.close());

    async function logIn(scope: string) {
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback, scope, nonce, state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const back = await authorizeInBrowser(browser, url);
      const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
      return { tokens, nonce };
    }

    test('ID tokens are RS256 by default (what openid-client expects unless told), EdDSA for an app that chooses it', async () => {
      const { tokens } = await logIn('openid');
      assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).alg, 'RS256', 'the default app gets an RS256 ID token, which openid-client has validated');
      const eddsa = await provider.registerClient({ appType: 'web', name: 'EdDSA app', redirectUris: [callback], idTokenSignedResponseAlg: 'EdDSA' });
      const eddsaConfig = await discover(provider, eddsa.client.id, eddsa.clientSecret!, { id_token_signed_response_alg: 'EdDSA' });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(eddsaConfig, { redirect_uri: callback, scope: 'openid', nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const granted = await client.authorizationCodeGrant(eddsaConfig, await authorizeInBrowser(browser, url), { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
      assert.equal(JSON.parse(Buffer.from(granted.id_token!.split('.')[0]!, 'base64url').toString()).alg, 'EdDSA', 'the EdDSA app gets an EdDSA ID token, which openid-client has validated');
      // Access tokens stay EdDSA whatever the app's ID tokens are.
      assert.equal(JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString()).alg, 'EdDSA', 'access tokens are EdDSA');
      const jwks = (await (await fetch(`${provider.url}/oauth2/jwks`)).json()) as { keys: { alg: string; kty: string }[] };
      assert.deepEqual(jwks.keys.map((key) => `${key.alg}/${key.kty}`).sort(), ['EdDSA/OKP', 'RS256/RSA'], 'the JWKS publishes a key of each');
    });

    test('discovery: /.well-known/openid-configuration is the RFC 8414 document, with what Discovery 1.0 requires', async () => {
      const metadata = config.serverMetadata();
      assert.equal(metadata.issuer, provider.url, 'the issuer is the provider\'s URL');
      assert.equal(metadata.userinfo_endpoint, `${provider.url}/oauth2/userinfo`, 'the UserInfo endpoint is advertised');
      assert.deepEqual(metadata.subject_types_supported, ['public', 'pairwise'], 'public subjects, and pairwise per app');
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256', 'EdDSA'], 'ID tokens are signed with RS256, which Discovery 1.0 requires, or EdDSA');
      assert.ok(metadata.scopes_supported?.includes('openid'), 'openid is a supported scope');
      const oauth = await (await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).json();
      const openid = await (await fetch(`${provider.url}/.well-known/openid-configuration`)).json();
      assert.deepEqual(openid, oauth, 'the two metadata documents are one');
    });

    test('code + PKCE + nonce: openid-client validates the ID token; its sub is the uid, and auth_time and nonce are there', async () => {
      const { tokens, nonce } = await logIn('openid profile email');
      const claims = tokens.claims()!;
      assert.equal(claims.iss, provider.url, 'iss is the issuer');
      assert.equal(claims.sub, user.id, 'sub is the user\'s id');
      assert.equal(claims.sub, tokens.uid, 'and the token response\'s uid');
      assert.equal(claims.aud, clientId, 'aud is the app');
      assert.equal(claims.nonce, nonce, 'the nonce of the request comes back');
      assert.equal(typeof claims.auth_time, 'number', 'auth_time says when the person logged in');
      assert.deepEqual(claims.amr, ['pwd'], 'amr says the person signed in with a password (RFC 8176)');
      assert.equal(typeof claims.sid, 'string', 'sid names the provider session, for logout');
      assert.ok((claims.exp as number) - (claims.iat as number) === provider.config.lifetimes.idToken, 'the ID token lives lifetimes.idToken');
    });

    test('UserInfo: GET and POST with the Bearer header, and POST with access_token in the form body, each with the ID token\'s sub', async () => {
      const { tokens } = await logIn('openid profile email');
      const sub = tokens.claims()!.sub;
      const info = await client.fetchUserInfo(config, tokens.access_token, sub);
      assert.deepEqual(info, { sub, name: 'Ada Lovelace', preferred_username: user.username, email: 'ada@example.com', email_verified: false }, 'openid-client reads the claims the scopes grant');
      const endpoint = `${provider.url}/oauth2/userinfo`;
      const viaPost = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(viaPost.status, 200, 'POST with the Bearer header answers');
      assert.deepEqual(await viaPost.json(), info, 'with the same claims');
      const viaBody = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: tokens.access_token }) });
      assert.equal(viaBody.status, 200, 'POST with access_token in the form body answers (RFC 6750 §2.2)');
      assert.deepEqual(await viaBody.json(), info, 'with the same claims');
    });

    test('UserInfo says only what the scopes grant, and leaves out a claim without a value', async () => {
      const { tokens } = await logIn('openid');
      assert.deepEqual(await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub), { sub: user.id }, 'openid alone: sub only');
      const noEmail = await provider.createUser(undefined, undefined, { email: null });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, noEmail);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const granted = await client.authorizationCodeGrant(config, await authorizeInBrowser(browser, url), { pkceCodeVerifier: verifier, idTokenExpected: true });
      assert.deepEqual(await client.fetchUserInfo(config, granted.access_token, noEmail.id), { sub: noEmail.id }, 'no email, so no email claim and no email_verified');
    });

    test('an app registered before OpenID Connect (its scopes without openid) may ask for openid all the same', async () => {
      const older = await provider.registerClient({ appType: 'web', name: 'Older app', redirectUris: [callback], scopes: ['profile', 'email'] });
      const olderConfig = await discover(provider, older.client.id, older.clientSecret!);
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(olderConfig, { redirect_uri: callback, scope: 'openid profile', nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const tokens = await client.authorizationCodeGrant(olderConfig, await authorizeInBrowser(browser, url), { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
      assert.equal(tokens.claims()!.sub, user.id, 'the older app gets an ID token');
      const refreshed = await client.refreshTokenGrant(olderConfig, tokens.refresh_token!);
      assert.equal(refreshed.scope, 'openid profile', 'refresh keeps openid for it');
      assert.equal(refreshed.claims()?.sub, user.id, 'and brings a new ID token');
      const refused = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: older.client.id, redirect_uri: callback, scope: 'openid nonsense', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`);
      assert.equal(new URL(refused.location ?? 'about:blank').searchParams.get('error'), 'invalid_scope', 'other scopes are still checked');
    });

    test('refresh brings a new ID token: same sub, aud and auth_time, no nonce (Core §12.2)', async () => {
      const { tokens } = await logIn('openid profile');
      const first = tokens.claims()!;
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      const second = refreshed.claims()!;
      assert.equal(second.sub, first.sub, 'the same sub');
      assert.equal(second.aud, first.aud, 'the same aud');
      assert.equal(second.auth_time, first.auth_time, 'auth_time is still the time of the login');
      assert.equal(second.nonce, undefined, 'no nonce');
    });

    test('without openid, the code flow is plain OAuth 2.0: no ID token, and UserInfo refuses the token (403 insufficient_scope)', async () => {
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const back = await authorizeInBrowser(browser, url);
      const answer = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: callback, code_verifier: verifier }),
      });
      const body = (await answer.json()) as Record<string, string>;
      assert.equal(answer.status, 200, `the code is exchanged: ${JSON.stringify(body)}`);
      assert.equal(body.id_token, undefined, 'no ID token without openid');
      const info = await fetch(`${provider.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(info.status, 403, 'UserInfo refuses a token without openid');
      assert.match(info.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="openid"/, 'and says it needs openid');
    });

    test('attacks: an ID token is not an access token; a token in the query, two tokens at once, a malformed one, a too-long nonce', async () => {
      const { tokens } = await logIn('openid profile');
      const idToken = tokens.id_token!;
      for (const path of ['/oauth2/userinfo', '/api/me']) {
        const answer = await fetch(`${provider.url}${path}`, { headers: { authorization: `Bearer ${idToken}` } });
        assert.equal(answer.status, 401, `${path} refuses an ID token presented as an access token`);
        assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/, `${path} calls it an invalid token`);
      }
      const endpoint = `${provider.url}/oauth2/userinfo`;
      const inQuery = await fetch(`${endpoint}?access_token=${tokens.access_token}`);
      assert.equal(inQuery.status, 400, 'a token in the query is refused with 400 invalid_request');
      const twice = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: tokens.access_token }) });
      assert.equal(twice.status, 400, 'a token sent two ways at once is refused with 400 (RFC 6750 §2)');
      const malformed = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'access_token=%00%01' });
      assert.equal(malformed.status, 400, 'a malformed body token is refused with 400');
      const none = await fetch(endpoint);
      assert.equal(none.status, 401, 'no token at all: 401');
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="grantry"', 'with the bare challenge');

      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid', nonce: 'n'.repeat(513), state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
      const refused = await browser.get(`${url.pathname}${url.search}`);
      const location = new URL(refused.location ?? 'about:blank');
      assert.equal(location.searchParams.get('error'), 'invalid_request', `a nonce over 512 characters is refused at the callback with invalid_request: ${refused.status}`);
    });
  });
}
