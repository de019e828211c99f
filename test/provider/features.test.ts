import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { s256 } from '../../src/lib/crypto.ts';
import { TestBrowser, consentDecision } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds, sqliteKind } from '../helpers/stores.ts';
import { basicAuth, postForm, redirectUri } from './token-fixtures.ts';

// What the configuration's `features` switch, and what one authorization carries to its tokens:
// grants off are refused where they would start and left out of the metadata; `uid` is a
// compatibility field that can be turned off; the sign-in time reaches the access token.

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

describe('features switched off', () => {
  let provider: RunningProvider;
  before(async () => (provider = await startProvider(sqliteKind, { features: { password: false, implicit: false, uidInTokenResponse: false } })));
  after(() => provider.close());

  test('the metadata advertises only the grants, response types and modes that are on', async () => {
    const metadata = await (await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).json();
    assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials'], 'password and implicit are not advertised');
    assert.deepEqual(metadata.response_types_supported, ['code'], 'only code is a response type');
    assert.deepEqual(metadata.response_modes_supported, ['query'], 'no fragment response mode without the implicit grant');
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'], 'the code grant still adds PKCE');
  });

  test('an app cannot be registered with a grant that is off', async () => {
    await assert.rejects(
      provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password', 'refresh_token'] }),
      /the password grant is switched off on this provider \(features\.password\)/,
      'registration names the switch that refuses the grant',
    );
  });

  test('the token endpoint refuses a grant that is off as unsupported, even for an app registered before', async () => {
    const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
    // An app that held the grant before it was switched off.
    await provider.store.clients.update(client.id, { trusted: true, grantTypes: ['authorization_code', 'password'] });
    const user = await provider.createUser();
    const reply = await postForm(provider, '/oauth2/token', { grant_type: 'password', username: user.username, password: user.password }, basicAuth(client.id, clientSecret!));
    assert.equal(reply.status, 400, `a grant that is off is refused: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.error, 'unsupported_grant_type', 'as unsupported_grant_type (RFC 6749 §5.2)');
    assert.match(reply.body.error_description, /use one of authorization_code, refresh_token, client_credentials$/, 'and the grants it lists as supported leave it out');
  });

  test('the authorization endpoint refuses response_type=token as unsupported when the implicit grant is off', async () => {
    const { client } = await provider.registerClient({ appType: 'spa', redirectUris: ['https://spa.example/cb'] });
    const browser = new TestBrowser(provider.url);
    const response = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'token', client_id: client.id, redirect_uri: 'https://spa.example/cb', state: 's' })}`);
    assert.equal(response.status, 302, 'the error goes back to the app');
    const fragment = new URLSearchParams(new URL(response.location!).hash.slice(1));
    assert.equal(fragment.get('error'), 'unsupported_response_type', 'as unsupported_response_type, in the fragment the request asked for');
  });

  test('without features.uidInTokenResponse the token response has no uid', async () => {
    const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
    const browser = new TestBrowser(provider.url);
    await signIn(provider, browser, await provider.createUser());
    const page = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri, code_challenge: s256(verifier), code_challenge_method: 'S256' })}`);
    const allowed = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
    const code = new URL(allowed.location!).searchParams.get('code')!;
    const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, basicAuth(client.id, clientSecret!));
    assert.equal(reply.status, 200, `the code is exchanged: ${JSON.stringify(reply.body)}`);
    assert.deepEqual(Object.keys(reply.body), ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token'], 'the RFC 6749 §5.1 fields, and no uid');
  });
});

for (const kind of storeKinds) {
  describe(`the issuance context on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('the sign-in time travels from the session through the code and the grant to every access token, refreshed ones included', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, await provider.createUser(), { secondsAgo: 120 });
      const signedInAt = Math.floor(Date.now() / 1000) - 120;
      const page = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri, code_challenge: s256(verifier), code_challenge_method: 'S256' })}`);
      const allowed = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
      const code = new URL(allowed.location!).searchParams.get('code')!;
      const auth = basicAuth(client.id, clientSecret!);
      const first = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, auth);
      assert.equal(first.status, 200, `the code is exchanged: ${JSON.stringify(first.body)}`);
      const authTime = decodeJwt(first.body.access_token).auth_time as number;
      assert.ok(Math.abs(authTime - signedInAt) <= 2, `the access token's auth_time (${authTime}) is when the person signed in (${signedInAt}), RFC 9068 §2.2.1`);
      const grant = await provider.store.grants.find(decodeJwt(first.body.access_token).gid as string);
      assert.equal(grant?.context.authTime, authTime, 'the grant carries the sign-in time in its context');
      const refreshed = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, auth);
      assert.equal(refreshed.status, 200, `the refresh token is used: ${JSON.stringify(refreshed.body)}`);
      assert.equal(decodeJwt(refreshed.body.access_token).auth_time, authTime, 'a refreshed access token keeps the original sign-in time');
    });

    test('an app acting for itself gets a token with no auth_time: nobody signed in', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!));
      assert.equal(reply.status, 200, `client_credentials answers: ${JSON.stringify(reply.body)}`);
      assert.equal(decodeJwt(reply.body.access_token).auth_time, undefined, 'no auth_time claim');
      assert.equal(reply.body.uid, undefined, 'and no uid, since no user is involved');
    });
  });
}
