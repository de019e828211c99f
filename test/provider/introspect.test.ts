import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { issueAccessToken } from '../../src/provider/protocol/tokens/issue.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, postForm, webAppWithTokens } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`POST /oauth2/introspect (RFC 7662) on ${kind.name}`, () => {
    let provider: RunningProvider;
    let resourceServer: Record<string, string>;
    before(async () => {
      provider = await startProvider(kind);
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      resourceServer = basicAuth(client.id, clientSecret!);
    });
    after(() => provider.close());

    const introspect = (token: string, extra: Record<string, string> = {}, auth = resourceServer) => postForm(provider, '/oauth2/introspect', { token, ...extra }, auth);

    test('a live JWT access token: what it allows and for whom', async () => {
      const { client, user, tokens } = await webAppWithTokens(provider, { scope: 'profile email' });
      const reply = await introspect(tokens.access_token);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('cache-control'), 'no-store');
      const claims = decodeJwt(tokens.access_token);
      assert.deepEqual(reply.body, {
        active: true,
        scope: 'profile email',
        client_id: client.id,
        sub: user.id,
        username: user.username,
        token_type: 'Bearer',
        exp: claims.exp,
        iat: claims.iat,
        iss: provider.url,
        aud: provider.url,
        jti: claims.jti,
      });
    });

    test('a JWT costs one statement, the grant, once the caller\'s record is cached (two before)', async () => {
      const { tokens } = await webAppWithTokens(provider);
      await introspect(tokens.access_token);
      const { statements } = await countStatements(provider, () => introspect(tokens.access_token));
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.match(statements[0]!, /from "grants"/);
    });

    test('opaque access tokens and refresh tokens', async () => {
      const { client, clientSecret, user, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const access = await introspect(tokens.access_token);
      assert.equal(access.body.active, true);
      assert.equal(access.body.sub, user.id);
      assert.equal(access.body.client_id, client.id);
      // Only the app a refresh token belongs to may ask about it: no resource server ever holds one.
      assert.deepEqual((await introspect(tokens.refresh_token, { token_type_hint: 'refresh_token' })).body, { active: false });
      const refresh = await postForm(provider, '/oauth2/introspect', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }, basicAuth(client.id, clientSecret));
      assert.equal(refresh.body.active, true);
      assert.equal(refresh.body.token_type, 'refresh_token');
      assert.equal(refresh.body.username, user.username);
    });

    test('an app that is not a resource server learns nothing of another app\'s tokens', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const other = await provider.registerClient({ appType: 'web' });
      const otherAuth = basicAuth(other.client.id, other.clientSecret!);
      for (const token of [tokens.access_token, tokens.refresh_token]) {
        assert.deepEqual((await postForm(provider, '/oauth2/introspect', { token }, otherAuth)).body, { active: false });
      }
      assert.equal((await postForm(provider, '/oauth2/introspect', { token: tokens.access_token }, basicAuth(client.id, clientSecret))).body.active, true);
    });

    test('expired, revoked and unknown tokens are all just { active: false }', async () => {
      const { client, clientSecret, user, grantId, tokens } = await webAppWithTokens(provider);
      const expired = (await issueAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -10 })).accessToken;
      const opaque = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      await provider.store.revokeGrant(opaque.grantId, 'test');
      for (const token of [expired, 'unknown', 'a.b.c', opaque.tokens.access_token, opaque.tokens.refresh_token]) {
        const reply = await introspect(token);
        assert.equal(reply.status, 200);
        assert.deepEqual(reply.body, { active: false });
      }
      const asOwner = (token: string) => postForm(provider, '/oauth2/introspect', { token }, basicAuth(client.id, clientSecret));
      assert.equal((await asOwner(tokens.refresh_token)).body.active, true);
      await provider.store.revokeGrant(grantId, 'test');
      assert.deepEqual((await introspect(tokens.access_token)).body, { active: false });
      assert.deepEqual((await asOwner(tokens.refresh_token)).body, { active: false });
    });

    test('only authenticated confidential apps may ask', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const spa = await provider.registerClient({ appType: 'spa' });
      const asPublic = await postForm(provider, '/oauth2/introspect', { token: tokens.access_token, client_id: spa.client.id });
      assert.equal(asPublic.status, 401);
      assert.equal(asPublic.body.error, 'invalid_client');
      const anonymous = await postForm(provider, '/oauth2/introspect', { token: tokens.access_token });
      assert.equal(anonymous.status, 401);
      const wrong = await introspect(tokens.access_token, {}, basicAuth(client.id, 'wrong'));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate')!, /^Basic /);
      // A web app is confidential too.
      assert.equal((await introspect(tokens.access_token, {}, basicAuth(client.id, clientSecret))).body.active, true);
      const missing = await postForm(provider, '/oauth2/introspect', {}, resourceServer);
      assert.equal(missing.body.error, 'invalid_request');
    });
  });
}
