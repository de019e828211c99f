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
      assert.equal(reply.body.uid, user.id);
      assert.equal(typeof reply.body.refresh_token, 'string');
      assert.equal(reply.body.scope, 'profile email');
      const me = await getMe(provider, reply.body.access_token);
      assert.equal(me.body.email, user.email);
    });

    test('a wrong password or an unknown user is invalid_grant', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      const wrong = await passwordRequest(auth, { username: user.username, password: 'nope' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      const unknown = await passwordRequest(auth, { username: 'nobody-here', password: 'nope' });
      assert.equal(unknown.body.error, 'invalid_grant');
    });

    test('missing credentials are invalid_request', async () => {
      const { auth } = await trustedApp();
      assert.equal((await passwordRequest(auth, { username: 'x' })).body.error, 'invalid_request');
      assert.equal((await passwordRequest(auth, { password: 'x' })).body.error, 'invalid_request');
    });

    test('the login lockout applies here too, and says so', async () => {
      const { auth } = await trustedApp();
      const user = await provider.createUser();
      for (let i = 0; i < 3; i++) await passwordRequest(auth, { username: user.username, password: 'wrong' });
      const locked = await passwordRequest(auth, { username: user.username, password: user.password });
      assert.equal(locked.status, 400);
      assert.equal(locked.body.error, 'invalid_grant');
      assert.match(locked.body.error_description, /locked/);
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
    });

    test('an app not trusted is unauthorized_client, even with the grant in its record', async () => {
      const { client, auth } = await trustedApp();
      await provider.store.updateClient(client.id, { trusted: false });
      const user = await provider.createUser();
      const reply = await passwordRequest(auth, { username: user.username, password: user.password });
      assert.equal(reply.body.error, 'unauthorized_client');
    });

    test('an app without the password grant is unauthorized_client', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true });
      const user = await provider.createUser();
      const reply = await passwordRequest(basicAuth(client.id, clientSecret!), { username: user.username, password: user.password });
      assert.equal(reply.body.error, 'unauthorized_client');
    });
  });
}
