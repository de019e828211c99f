import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, getMe, postForm } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`client_credentials grant on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    const service = async (extra: Record<string, unknown> = {}) => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service', ...extra });
      return { client, auth: basicAuth(client.id, clientSecret!) };
    };

    test('an app gets a token for itself: no refresh token, no uid, sub is the client', async () => {
      const { client, auth } = await service();
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', scope: 'email' }, auth);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(Object.keys(reply.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'], 'a token for the app itself carries no refresh token and no uid');
      assert.equal(reply.body.scope, 'email', 'the requested scope is given');
      const claims = decodeJwt(reply.body.access_token);
      assert.equal(claims.sub, client.id, 'sub of an app token is the client itself');
      assert.equal(claims.client_id, client.id, 'client_id of an app token is the client');
      // No grant stands behind an app's own token: it is revoked by its jti.
      assert.equal(claims.gid, undefined, 'no grant stands behind an app token: no gid claim');
      assert.equal(typeof claims.jti, 'string', 'an app token carries a jti to be revoked by');
    });

    test('without a scope parameter the default scope is given', async () => {
      const { auth } = await service();
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth);
      assert.equal(reply.body.scope, provider.config.defaultScope, `without a scope parameter the default scope is given: ${JSON.stringify(reply.body)}`);
    });

    test('scopes beyond the app\'s own, or unknown, are invalid_scope', async () => {
      const { auth } = await service({ scopes: ['profile'] });
      for (const scope of ['email', 'profile email', 'admin']) {
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', scope }, auth);
        assert.equal(reply.status, 400, `${scope}: a scope beyond the app's own is refused with 400: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error, 'invalid_scope', scope);
      }
    });

    test('a public app is refused, even if its record says otherwise', async () => {
      const { client } = await provider.registerClient({ appType: 'spa' });
      // Registration refuses this; a hand-edited record must still not get tokens for itself.
      await provider.store.clients.update(client.id, { grantTypes: ['authorization_code', 'client_credentials'] });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_id: client.id });
      assert.equal(reply.body.error, 'unauthorized_client', `a public app gets no token for itself: ${JSON.stringify(reply.body)}`);
    });

    test('a web app not registered for it is unauthorized_client', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!));
      assert.equal(reply.body.error, 'unauthorized_client', `a web app not registered for client_credentials is refused: ${JSON.stringify(reply.body)}`);
    });

    test('the token can be revoked, and it says nothing at /api/me, which speaks of users', async () => {
      const { auth } = await service();
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth);
      const token = reply.body.access_token;
      assert.equal((await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active, true, 'the fresh app token introspects as active');
      assert.equal((await getMe(provider, token)).status, 403, 'an app token says nothing at /api/me, which speaks of users (403)');
      assert.equal((await postForm(provider, '/oauth2/revoke', { token }, auth)).status, 200, 'revoking the app token answers 200');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active, false, 'a revoked app token introspects as inactive');
    });

    test('revoking one JWT of an app leaves its other tokens alone', async () => {
      const { auth } = await service();
      const first = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
      const second = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
      assert.equal((await postForm(provider, '/oauth2/revoke', { token: first }, auth)).status, 200, 'revoking one JWT of an app answers 200');
      // Revoking it again changes nothing and still answers 200.
      assert.equal((await postForm(provider, '/oauth2/revoke', { token: first }, auth)).status, 200, 'revoking it again changes nothing and still answers 200');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token: first }, auth)).body.active, false, 'the revoked JWT introspects as inactive');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token: second }, auth)).body.active, true, 'the app\'s other JWT stays active');
    });

    test('another app cannot revoke an app\'s own token', async () => {
      const { auth } = await service();
      const other = await service();
      const token = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
      assert.equal((await postForm(provider, '/oauth2/revoke', { token }, other.auth)).status, 200, 'another app revoking the token gets the same 200');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active, true, 'another app cannot revoke an app\'s own token: it stays active');
    });

    test('an opaque-token service app gets an opaque token, one row and no grant, revoked alone', async () => {
      const { client, auth } = await service({ tokenFormat: 'opaque' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth);
      assert.equal(reply.status, 200, `an opaque-token service app gets a token: ${JSON.stringify(reply.body)}`);
      const token = reply.body.access_token;
      assert.equal(token.includes('.'), false, 'an opaque token is not a JWT');
      const other = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
      const introspected = await postForm(provider, '/oauth2/introspect', { token }, auth);
      assert.equal(introspected.body.active, true, 'the opaque token introspects as active');
      assert.equal(introspected.body.client_id, client.id, 'introspection names the app as client_id');
      assert.equal(introspected.body.sub, client.id, 'introspection names the app itself as sub');
      assert.equal((await getMe(provider, token)).status, 403, 'an opaque app token says nothing at /api/me (403)');
      assert.equal((await postForm(provider, '/oauth2/revoke', { token, token_type_hint: 'access_token' }, auth)).status, 200, 'revoking the opaque token answers 200');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active, false, 'the revoked opaque token introspects as inactive');
      assert.equal((await getMe(provider, token)).status, 401, 'a revoked opaque token is refused at /api/me (401)');
      assert.equal((await postForm(provider, '/oauth2/introspect', { token: other }, auth)).body.active, true, 'the app\'s other opaque token stays active');
    });

    test('a JWT costs no SQL statement once the app\'s record is cached; an opaque token one', async () => {
      for (const [tokenFormat, expected] of [['jwt', 0], ['opaque', 1]] as const) {
        const { auth } = await service({ tokenFormat });
        await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth);
        // The audit trail is written in batches, never on the request path: flush it out of the window.
        await provider.ctx.audit.flush();
        const { result, statements } = await countStatements(provider, () => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth));
        assert.equal(result.status, 200, `${tokenFormat}: the token endpoint answers 200: ${JSON.stringify(result.body)}`);
        assert.equal(statements.length, expected, statements.join('\n'));
      }
    });
  });
}
