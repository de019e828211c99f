import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { TestBrowser, consentDecision } from '../helpers/browser.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// OpenID Connect's implicit flow (Core §3.2) for spa apps whose owner turned the implicit grant on:
// response_type=id_token, validated by openid-client's implicitAuthentication, and
// `id_token token`, whose at_hash is checked here as Core §3.1.3.6 defines it (computed
// independently of Grantry, with node:crypto); and at_hash on the code flow's ID token.

const callback = 'https://spa.example/callback';

/** Core §3.1.3.6: base64url of the left half of the hash (SHA-256 for RS256, SHA-512 for EdDSA) of the token's ASCII. */
function expectedAtHash(accessToken: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

for (const kind of storeKinds) {
  describe(`OpenID Connect implicit responses on ${kind.name}`, () => {
    let provider: RunningProvider;
    let browser: TestBrowser;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind);
      user = await provider.createUser(undefined, undefined, { displayName: 'Grace Hopper', email: 'grace@example.com' });
      clientId = (await provider.registerClient({ appType: 'spa', redirectUris: [callback], grantTypes: ['implicit', 'authorization_code'] })).client.id;
      browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
    });
    after(() => provider.close());

    async function fragmentOf(params: Record<string, string>): Promise<URLSearchParams> {
      const page = await browser.get(`/oauth2/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: callback, ...params })}`);
      const location = page.status === 200 ? (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location! : page.location!;
      assert.ok(location.startsWith(callback), `back to the app: ${page.status} ${location ?? page.text.slice(0, 200)}`);
      const url = new URL(location);
      assert.equal(url.search, '', `nothing in the query: ${location}`);
      return new URLSearchParams(url.hash.slice(1));
    }

    test('response_type=id_token: an ID token alone, with the scopes\' claims, that openid-client validates', async () => {
      const config = await discover(provider, clientId);
      client.useIdTokenResponseType(config);
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid profile email', nonce, state });
      assert.equal(url.searchParams.get('response_type'), 'id_token', 'openid-client asks for response_type=id_token');
      const page = await browser.get(`${url.pathname}${url.search}`);
      const location = (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location!;
      const fragment = new URLSearchParams(new URL(location).hash.slice(1));
      assert.equal(fragment.get('access_token'), null, 'no access token');
      assert.equal(fragment.get('code'), null, 'no code');
      const claims = await client.implicitAuthentication(config, new URL(location), nonce, { expectedState: state });
      assert.equal(claims.sub, user.id, 'the person');
      assert.equal(claims.nonce, nonce, 'the nonce');
      assert.equal(claims.name, 'Grace Hopper', 'profile\'s claims are in the ID token itself (Core §5.4)');
      assert.equal(claims.email, 'grace@example.com', 'and email\'s');
      assert.equal(claims.at_hash, undefined, 'no access token, no at_hash');
      const apps = await browser.get('/account/apps');
      assert.match(apps.text, new RegExp(`/account/apps/${clientId}/revoke`), 'the app is listed at /account/apps, where the person can withdraw it');
    });

    test('response_type=id_token token (in either order): an access token and an ID token whose at_hash is the access token\'s', async () => {
      for (const responseType of ['id_token token', 'token id_token']) {
        const nonce = client.randomNonce();
        const fragment = await fragmentOf({ response_type: responseType, scope: 'openid profile', nonce, state: 'st' });
        const accessToken = fragment.get('access_token')!;
        const idToken = fragment.get('id_token')!;
        assert.ok(accessToken && idToken, `${responseType}: both tokens in the fragment`);
        const { payload, protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${provider.url}/oauth2/jwks`)), { issuer: provider.url, audience: clientId });
        assert.equal(payload.nonce, nonce, `${responseType}: the nonce`);
        assert.equal(payload.at_hash, expectedAtHash(accessToken, protectedHeader.alg), `${responseType}: at_hash is the left half of the access token's hash`);
        assert.equal(payload.name, undefined, `${responseType}: claims are for UserInfo when an access token comes too (Core §5.4)`);
        const info = await fetch(`${provider.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(((await info.json()) as { name?: string }).name, 'Grace Hopper', `${responseType}: UserInfo answers the access token`);
      }
    });

    test('a nonce and the openid scope are required; the hybrid code id_token is unsupported_response_type; offline_access is ignored', async () => {
      const withoutNonce = await fragmentOf({ response_type: 'id_token', scope: 'openid', state: 'st' });
      assert.equal(withoutNonce.get('error'), 'invalid_request', 'no nonce: invalid_request, in the fragment');
      assert.match(withoutNonce.get('error_description')!, /nonce/, 'saying why');
      const withoutOpenid = await fragmentOf({ response_type: 'id_token token', scope: 'profile', nonce: 'n', state: 'st' });
      assert.equal(withoutOpenid.get('error'), 'invalid_request', 'no openid: invalid_request');
      const hybrid = await browser.get(`/oauth2/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: callback, response_type: 'code id_token', scope: 'openid', nonce: 'n' })}`);
      assert.equal(new URL(hybrid.location!).searchParams.get('error'), 'unsupported_response_type', 'hybrid flows are refused, as the metadata says');
      const offline = await fragmentOf({ response_type: 'id_token token', scope: 'openid profile offline_access', nonce: 'n', state: 'st' });
      assert.equal(offline.get('scope'), 'openid profile', 'offline_access is left out of an implicit grant (Core §11)');
      assert.equal(offline.get('refresh_token'), null, 'and no refresh token');
      const narrow = (await provider.registerClient({ appType: 'spa', redirectUris: [callback], grantTypes: ['implicit'], scopes: ['openid', 'profile'] })).client.id;
      const ignored = await browser.get(`/oauth2/authorize?${new URLSearchParams({ client_id: narrow, redirect_uri: callback, response_type: 'id_token', scope: 'openid offline_access', nonce: 'n', state: 'st' })}`);
      assert.equal(ignored.status, 200, `an app not allowed offline_access is not refused for it: it is ignored (${ignored.location ?? ''})`);
    });

    test('the code flow\'s ID token carries at_hash too, with the hash of its algorithm (RS256: SHA-256, EdDSA: SHA-512)', async () => {
      for (const alg of ['RS256', 'EdDSA'] as const) {
        const registered = await provider.registerClient({ appType: 'web', redirectUris: ['https://rp.example/cb'], idTokenSignedResponseAlg: alg });
        const config = await discover(provider, registered.client.id, registered.clientSecret!, { id_token_signed_response_alg: alg });
        const verifier = client.randomPKCECodeVerifier();
        const url = client.buildAuthorizationUrl(config, { redirect_uri: 'https://rp.example/cb', scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
        const page = await browser.get(`${url.pathname}${url.search}`);
        const back = (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location!;
        const tokens = await client.authorizationCodeGrant(config, new URL(back), { pkceCodeVerifier: verifier, idTokenExpected: true });
        assert.equal(decodeJwt(tokens.id_token!).at_hash, expectedAtHash(tokens.access_token, alg), `${alg}: at_hash`);
      }
    });
  });
}
