import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, getMe, postForm } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`password grant on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { login: { lockAfterFailures: 3, slowAfterFailures: 100 } })));
    after(() => provider.close());

    const trustedApp = async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password', 'refresh_token'], redirectUris: [] });
      return { client, auth: basicAuth(client.id, clientSecret!) };
    };
    const passwordRequest = (auth: Record<string, string>, form: Record<string, string>) => postForm(provider, '/oauth2/token', { grant_type: 'password', ...form }, auth);

    test('a trusted app exchanges a username and password for tokens with the uid', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      const reply = await passwordRequest(auth, { username: user.username, password: user.password, scope: 'profile email' });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.uid, user.id, 'the token answer carries the uid of the user');
      assert.equal(typeof reply.body.refresh_token, 'string', 'the token answer carries a refresh token');
      assert.equal(reply.body.scope, 'profile email', 'the requested scope is granted');
      const me = await getMe(provider, reply.body.access_token);
      assert.equal(me.body.email, user.email, '/api/me gives the email with the email scope');
    });

    // The README says so: a refresh token when the app also has the refresh_token grant (RFC 6749 §4.3.3: optional).
    test('an app without the refresh_token grant gets no refresh token; the uid is there either way', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password'], redirectUris: [] });
      const user = await provider.createUser();
      const reply = await passwordRequest(basicAuth(client.id, clientSecret!), { username: user.username, password: user.password });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual([reply.body.refresh_token, reply.body.uid], [undefined, user.id], 'no refresh token, the uid');
    });

    // OpenID Connect defines no password grant: an ID token would say the person signed in at the provider.
    test('openid is not granted by the password grant: no ID token, now or on refresh; openid alone is invalid_scope', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      const reply = await passwordRequest(auth, { username: user.username, password: user.password, scope: 'openid profile' });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.scope, 'profile', 'the granted scope leaves openid out, and says so (RFC 6749 §3.3)');
      assert.equal(reply.body.id_token, undefined, 'no ID token');
      const refreshed = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: reply.body.refresh_token }, auth);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.deepEqual([refreshed.body.scope, refreshed.body.id_token], ['profile', undefined], 'nor on refresh');
      const onlyOpenid = await passwordRequest(auth, { username: user.username, password: user.password, scope: 'openid' });
      assert.deepEqual([onlyOpenid.status, onlyOpenid.body.error], [400, 'invalid_scope'], `openid alone: ${JSON.stringify(onlyOpenid.body)}`);
    });

    test('a wrong password or an unknown user is invalid_grant', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      const wrong = await passwordRequest(auth, { username: user.username, password: 'nope' });
      assert.equal(wrong.status, 400, `a wrong password is refused with 400: ${JSON.stringify(wrong.body)}`);
      assert.equal(wrong.body.error, 'invalid_grant', 'a wrong password is invalid_grant');
      const unknown = await passwordRequest(auth, { username: 'nobody-here', password: 'nope' });
      assert.equal(unknown.body.error, 'invalid_grant', 'an unknown user is invalid_grant, like a wrong password');
    });

    test('missing credentials are invalid_request', async () => {
      const { auth } = await trustedApp();
      assert.equal((await passwordRequest(auth, { username: 'x' })).body.error, 'invalid_request', 'a request without a password is invalid_request');
      assert.equal((await passwordRequest(auth, { password: 'x' })).body.error, 'invalid_request', 'a request without a username is invalid_request');
    });

    test('the login lockout applies here too, and says so', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      for (let i = 0; i < 3; i++) await passwordRequest(auth, { username: user.username, password: 'wrong' });
      const locked = await passwordRequest(auth, { username: user.username, password: user.password });
      assert.equal(locked.status, 400, `the locked account is refused, the right password included: ${JSON.stringify(locked.body)}`);
      assert.equal(locked.body.error, 'invalid_grant', 'the locked account is invalid_grant');
      assert.match(locked.body.error_description, /locked/, 'the error description says the account is locked');
      assert.ok(Number(locked.headers.get('retry-after')) > 0, `the refusal tells how long the lock lasts: ${locked.headers.get('retry-after')}`);
    });

    test('an app not trusted is unauthorized_client, even with the grant in its record', async () => {
      const { client, auth } = await trustedApp();
      await provider.store.clients.update(client.id, { trusted: false });
      const user = await provider.createUser();
      const reply = await passwordRequest(auth, { username: user.username, password: user.password });
      assert.equal(reply.body.error, 'unauthorized_client', `an app no longer trusted is unauthorized_client: ${JSON.stringify(reply.body)}`);
    });

    test('an app without the password grant is unauthorized_client', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true });
      const user = await provider.createUser();
      const reply = await passwordRequest(basicAuth(client.id, clientSecret!), { username: user.username, password: user.password });
      assert.equal(reply.body.error, 'unauthorized_client', `an app without the password grant is unauthorized_client: ${JSON.stringify(reply.body)}`);
    });
  });
}
