import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basic } from '../helpers/basic.ts';

// Values that PostgreSQL refuses (a NUL in text) or that no registration could have made, at every
// endpoint that looks a client or a user up: a clear OAuth error, never a 5xx.


for (const kind of storeKinds) {
  describe(`odd credentials on ${kind.name}`, () => {
    let provider: RunningProvider;
    let trusted: { id: string; secret: string };
    before(async () => {
      provider = await startProvider(kind);
      const registered = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password'] });
      trusted = { id: registered.client.id, secret: registered.clientSecret! };
    });
    after(() => provider.close());

    const post = (path: string, body: string, authorization?: string) =>
      fetch(`${provider.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        body,
      });

    for (const path of ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect']) {
      test(`${path}: a NUL in client_id, in the body or in Basic`, async () => {
        const inBody = await post(path, 'grant_type=client_credentials&token=x&client_id=a%00b&client_secret=s');
        assert.equal(inBody.status, 400, `${path}: a NUL in the client_id of the body is refused with 400`);
        assert.equal((await inBody.json()).error, 'invalid_request', `${path}: a NUL in the client_id of the body is invalid_request`);
        const inBasic = await post(path, 'grant_type=client_credentials&token=x', basic('a%00b', 'x'));
        assert.equal(inBasic.status, 401, `${path}: a NUL in the client_id of Basic is refused with 401`);
        assert.equal((await inBasic.json()).error, 'invalid_client', `${path}: a NUL in the client_id of Basic is invalid_client`);
        const long = await post(path, 'grant_type=client_credentials&token=x', basic('x'.repeat(3000), 'x'));
        assert.equal(long.status, 401, `${path}: a client_id of 3000 characters in Basic is refused with 401`);
      });
    }

    test('another scheme in the Authorization header is challenged with Basic (RFC 6749 §5.2)', async () => {
      const response = await post('/oauth2/token', 'grant_type=client_credentials', 'Bearer something');
      assert.equal(response.status, 401, 'another scheme in the Authorization header is refused with 401');
      assert.match(response.headers.get('www-authenticate')!, /^Basic /, 'another scheme in the Authorization header is challenged with Basic');
      assert.equal((await response.json()).error, 'invalid_client', 'another scheme in the Authorization header is invalid_client');
    });

    test('the password grant: a NUL in the username', async () => {
      const response = await post('/oauth2/token', 'grant_type=password&username=a%00&password=p', basic(trusted.id, trusted.secret));
      assert.equal(response.status, 400, 'a NUL in the username is refused with 400');
      assert.equal((await response.json()).error, 'invalid_request', 'a NUL in the username is invalid_request');
    });
  });
}
