import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, getMe, makeCode, postForm, redirectUri, webAppWithTokens, mintAccessToken } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`POST /oauth2/revoke (RFC 7009) on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    const revoke = (auth: Record<string, string>, form: Record<string, string>) => postForm(provider, '/oauth2/revoke', form, auth);
    const refreshWith = (auth: Record<string, string>, token: string) => postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token }, auth);

    test('revoking the access token revokes its grant: the refresh token dies too', async () => {
      const { client, clientSecret, grantId, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const reply = await revoke(auth, { token: tokens.access_token, token_type_hint: 'access_token' });
      assert.equal(reply.status, 200, `revoking the access token answers 200: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.headers.get('cache-control'), 'no-store', 'the revocation answer is not cached (Cache-Control: no-store)');
      assert.equal((await getMe(provider, tokens.access_token)).status, 401, 'the revoked access token is refused at /api/me');
      assert.equal((await refreshWith(auth, tokens.refresh_token)).body.error, 'invalid_grant', 'the refresh token of the revoked grant dies too');
      assert.equal((await provider.store.grants.find(grantId))?.revokeReason, 'revoked_by_client', 'the grant is recorded as revoked by the client');
    });

    test('revoking the refresh token (no hint, client_secret_post) revokes the access token too', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const reply = await revoke({}, { token: tokens.refresh_token, client_id: client.id, client_secret: clientSecret });
      assert.equal(reply.status, 200, `revoking the refresh token with client_secret_post answers 200: ${JSON.stringify(reply.body)}`);
      assert.equal((await getMe(provider, tokens.access_token)).status, 401, 'revoking the refresh token revokes the access token too');
    });

    test('opaque access tokens, with a misleading hint', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const auth = basicAuth(client.id, clientSecret);
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, 'the opaque access token works before revocation');
      assert.equal(
        (await revoke(auth, { token: tokens.access_token, token_type_hint: 'refresh_token' })).status,
        200,
        'revoking an opaque access token under a misleading hint answers 200',
      );
      assert.equal((await getMe(provider, tokens.access_token)).status, 401, 'the opaque access token is revoked despite the misleading hint');
    });

    test("a token of another client is not revoked, and the answer is the same 200", async () => {
      const { tokens } = await webAppWithTokens(provider);
      const other = await provider.registerClient({ appType: 'web' });
      const reply = await revoke(basicAuth(other.client.id, other.clientSecret!), { token: tokens.access_token });
      assert.equal(reply.status, 200, 'revoking another client\'s access token answers the same 200');
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, 'another client\'s access token is not revoked');
      const refresh = await revoke(basicAuth(other.client.id, other.clientSecret!), { token: tokens.refresh_token });
      assert.equal(refresh.status, 200, 'revoking another client\'s refresh token answers the same 200');
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, 'another client\'s refresh token is not revoked: the access token still works');
    });

    test('an expired access token still names its grant, and revoking it ends the refresh token', async () => {
      const { client, clientSecret, user, grantId, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const expired = (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -10 })).accessToken;
      assert.equal((await revoke(auth, { token: expired })).status, 200, 'revoking an expired access token answers 200');
      assert.equal((await refreshWith(auth, tokens.refresh_token)).body.error, 'invalid_grant', 'revoking an expired access token ends the refresh token of its grant');
    });

    test('an unknown token answers 200', async () => {
      const { client, clientSecret } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      for (const token of ['unknown', 'a.b.c', 'x'.repeat(2000)])
        assert.equal(
          (await revoke(auth, { token, token_type_hint: 'whatever' })).status,
          200,
          `${token.slice(0, 20)}: an unknown token answers 200`,
        );
    });

    test('a public app revokes with its client_id', async () => {
      const { client } = await provider.registerClient({ appType: 'spa' });
      const user = await provider.createUser();
      const { code, verifier } = await makeCode(provider, { client, user });
      const tokens = (await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', client_id: client.id, code, redirect_uri: redirectUri, code_verifier: verifier! })).body;
      assert.equal((await revoke({}, { token: tokens.refresh_token, client_id: client.id })).status, 200, 'a public app revokes its refresh token with its client_id');
      assert.equal((await getMe(provider, tokens.access_token)).status, 401, 'the public app\'s access token is revoked with the refresh token');
    });

    test('errors: missing token, bad client', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const missing = await revoke(basicAuth(client.id, clientSecret), {});
      assert.equal(missing.status, 400, 'a revocation without a token is a 400');
      assert.equal(missing.body.error, 'invalid_request', 'a revocation without a token is invalid_request');
      const wrong = await revoke(basicAuth(client.id, 'wrong'), { token: tokens.access_token });
      assert.equal(wrong.status, 401, 'a wrong client secret is a 401');
      assert.equal(wrong.body.error, 'invalid_client', 'a wrong client secret is invalid_client');
      assert.match(wrong.headers.get('www-authenticate')!, /^Basic /, 'a wrong client secret is answered with a Basic challenge');
      const noClient = await revoke({}, { token: tokens.access_token });
      assert.equal(noClient.status, 401, 'a revocation without client authentication is a 401');
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, 'a refused revocation leaves the access token working');
    });
  });
}
