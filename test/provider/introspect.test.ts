import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, postForm, webAppWithTokens, mintAccessToken } from './token-fixtures.ts';

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
      assert.equal(reply.status, 200, `the introspection endpoint answers 200: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.headers.get('cache-control'), 'no-store', 'the introspection answer is never cached');
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
      }, 'a live JWT access token is active, with its scope, client, user and claims');
    });

    test('a JWT costs one statement, the grant, once the caller\'s record is cached (two before)', async () => {
      const { tokens } = await webAppWithTokens(provider);
      await introspect(tokens.access_token);
      const { statements } = await countStatements(provider, () => introspect(tokens.access_token));
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.match(statements[0]!, /from "grants"/, 'the one statement is the read of the grant');
    });

    test('opaque access tokens and refresh tokens', async () => {
      const { client, clientSecret, user, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const access = await introspect(tokens.access_token);
      assert.equal(access.body.active, true, 'the opaque access token is active');
      assert.equal(access.body.sub, user.id, 'the opaque access token belongs to the user');
      assert.equal(access.body.client_id, client.id, 'the opaque access token belongs to the app');
      assert.equal(access.body.aud, provider.url, 'an opaque token is for the issuer\'s own API, and says so as a JWT does (grantry/resource checks it)');
      // Only the app a refresh token belongs to may ask about it: no resource server ever holds one.
      assert.deepEqual((await introspect(tokens.refresh_token, { token_type_hint: 'refresh_token' })).body, { active: false }, 'a resource server learns nothing of a refresh token');
      const refresh = await postForm(provider, '/oauth2/introspect', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }, basicAuth(client.id, clientSecret));
      assert.equal(refresh.body.active, true, 'the app that owns the refresh token learns that it is active');
      assert.equal(refresh.body.token_type, 'refresh_token', 'the refresh token is introspected as a refresh_token');
      assert.equal(refresh.body.username, user.username, 'the refresh token names the user');
    });

    test('an app that is not a resource server learns nothing of another app\'s tokens', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const other = await provider.registerClient({ appType: 'web' });
      const otherAuth = basicAuth(other.client.id, other.clientSecret!);
      for (const token of [tokens.access_token, tokens.refresh_token]) {
        assert.deepEqual((await postForm(provider, '/oauth2/introspect', { token }, otherAuth)).body, { active: false }, 'an app that is not a resource server learns nothing of another app\'s token');
      }
      assert.equal((await postForm(provider, '/oauth2/introspect', { token: tokens.access_token }, basicAuth(client.id, clientSecret))).body.active, true, 'the app that owns the token learns that it is active');
    });

    test('expired, revoked and unknown tokens are all just { active: false }', async () => {
      const { client, clientSecret, user, grantId, tokens } = await webAppWithTokens(provider);
      const expired = (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -10 })).accessToken;
      const opaque = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      await provider.store.grants.revoke(opaque.grantId, 'test');
      for (const token of [expired, 'unknown', 'a.b.c', opaque.tokens.access_token, opaque.tokens.refresh_token]) {
        const reply = await introspect(token);
        assert.equal(reply.status, 200, `the introspection endpoint answers 200: ${JSON.stringify(reply.body)}`);
        assert.deepEqual(reply.body, { active: false }, 'an expired, revoked or unknown token is just { active: false }');
      }
      const asOwner = (token: string) => postForm(provider, '/oauth2/introspect', { token }, basicAuth(client.id, clientSecret));
      assert.equal((await asOwner(tokens.refresh_token)).body.active, true, 'the owner\'s refresh token is active before the grant is revoked');
      await provider.store.grants.revoke(grantId, 'test');
      assert.deepEqual((await introspect(tokens.access_token)).body, { active: false }, 'the access token of a revoked grant is inactive');
      assert.deepEqual((await asOwner(tokens.refresh_token)).body, { active: false }, 'the refresh token of a revoked grant is inactive');
    });

    test('only authenticated confidential apps may ask', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const spa = await provider.registerClient({ appType: 'spa' });
      const asPublic = await postForm(provider, '/oauth2/introspect', { token: tokens.access_token, client_id: spa.client.id });
      assert.equal(asPublic.status, 401, `a public app may not introspect: ${JSON.stringify(asPublic.body)}`);
      assert.equal(asPublic.body.error, 'invalid_client', 'a public app is refused as invalid_client');
      const anonymous = await postForm(provider, '/oauth2/introspect', { token: tokens.access_token });
      assert.equal(anonymous.status, 401, `an anonymous caller may not introspect: ${JSON.stringify(anonymous.body)}`);
      const wrong = await introspect(tokens.access_token, {}, basicAuth(client.id, 'wrong'));
      assert.equal(wrong.status, 401, `a wrong client secret is refused: ${JSON.stringify(wrong.body)}`);
      assert.match(wrong.headers.get('www-authenticate')!, /^Basic /, 'the refusal of a wrong secret asks for Basic authentication');
      // A web app is confidential too.
      assert.equal((await introspect(tokens.access_token, {}, basicAuth(client.id, clientSecret))).body.active, true, 'a web app is confidential and may introspect');
      const missing = await postForm(provider, '/oauth2/introspect', {}, resourceServer);
      assert.equal(missing.body.error, 'invalid_request', 'a request without a token is invalid_request');
    });
  });
}
