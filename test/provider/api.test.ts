import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createProviderContext } from '../../src/provider/context.ts';
import { rotateSigningKeys } from '../../src/provider/protocol/tokens/keys.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { countStatements, getMe, webAppWithTokens, mintAccessToken } from './token-fixtures.ts';
import { basic } from '../helpers/basic.ts';

for (const kind of storeKinds) {
  describe(`GET /api/me on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    const challenge = (reply: { headers: Headers }) => reply.headers.get('www-authenticate');

    test('answers who the user is; the email only with the email scope', async () => {
      const { user, tokens } = await webAppWithTokens(provider, { scope: 'profile' });
      const me = await getMe(provider, tokens.access_token);
      assert.equal(me.status, 200, `a valid access token gets the user at /api/me: ${JSON.stringify(me.body)}`);
      assert.deepEqual(
        me.body,
        { uid: user.id, username: user.username, display_name: user.displayName },
        'with the profile scope /api/me answers uid, username and display name, and no email',
      );
      assert.equal(me.headers.get('cache-control'), 'no-store', 'the /api/me answer is not cached (Cache-Control: no-store)');

      const withEmail = await webAppWithTokens(provider, { scope: 'profile email' });
      const meWithEmail = await getMe(provider, withEmail.tokens.access_token);
      assert.equal(meWithEmail.body.email, withEmail.user.email, 'with the email scope /api/me answers the email too');
    });

    test('an opaque token works the same', async () => {
      const { user, tokens } = await webAppWithTokens(provider, { scope: 'profile', tokenFormat: 'opaque' });
      const me = await getMe(provider, tokens.access_token);
      assert.equal(me.status, 200, `an opaque access token gets the user at /api/me: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.uid, user.id, 'the opaque token speaks for its user');
    });

    test('a client_credentials token is valid but speaks for no user: 403 insufficient_scope', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const token = await (await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: basic(client.id, clientSecret!), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })).json();
      const me = await getMe(provider, token.access_token);
      assert.equal(me.status, 403, 'a client_credentials token speaks for no user: 403');
      assert.match(me.headers.get('www-authenticate')!, /error="insufficient_scope"/, 'the 403 challenge says insufficient_scope');
    });

    test('no token: 401 with the bare challenge', async () => {
      const me = await getMe(provider, undefined);
      assert.equal(me.status, 401, 'no token is a 401');
      assert.equal(challenge(me), 'Bearer realm="grantry"', 'no token gets the bare Bearer challenge, without an error');
      const basic = await fetch(`${provider.url}/api/me`, { headers: { authorization: 'Basic YTpi' } });
      assert.equal(basic.status, 401, 'a Basic authorization header is a 401 at /api/me');
      assert.equal(basic.headers.get('www-authenticate'), 'Bearer realm="grantry"', 'a Basic authorization header gets the bare Bearer challenge');
    });

    test('a token in the query is not accepted', async () => {
      const { tokens } = await webAppWithTokens(provider);
      const me = await getMe(provider, undefined, `/api/me?access_token=${tokens.access_token}`);
      assert.equal(me.status, 400, 'a token in the query is refused with 400');
      assert.match(challenge(me)!, /error="invalid_request"/, 'a token in the query is answered with invalid_request in the challenge');
    });

    test('malformed, tampered, expired and revoked tokens: 401 invalid_token', async () => {
      const { client, user, grantId, tokens } = await webAppWithTokens(provider);
      const [head, payload, signature] = tokens.access_token.split('.');
      const tampered = `${head}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
      const expired = (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -10 })).accessToken;
      for (const [name, token] of [['malformed', 'a.b.c'], ['garbage', 'not-a-token'], ['tampered', tampered], ['expired', expired]] as const) {
        const me = await getMe(provider, token);
        assert.equal(me.status, 401, name);
        assert.match(challenge(me)!, /^Bearer realm="grantry", error="invalid_token", error_description="[^"]+"$/, name);
      }
      const badHeader = await fetch(`${provider.url}/api/me`, { headers: { authorization: 'Bearer two words' } });
      assert.equal(badHeader.status, 401, 'an Authorization header of two words after Bearer is a 401');

      await provider.store.grants.revoke(grantId, 'test');
      const revoked = await getMe(provider, tokens.access_token);
      assert.equal(revoked.status, 401, 'a token of a revoked grant is a 401');
      assert.match(challenge(revoked)!, /error="invalid_token"/, 'a token of a revoked grant is answered with invalid_token in the challenge');
    });

    test('a token without the profile scope: 403 insufficient_scope', async () => {
      const { tokens } = await webAppWithTokens(provider, { scope: 'email' });
      const me = await getMe(provider, tokens.access_token);
      assert.equal(me.status, 403, 'a token without the profile scope is a 403');
      assert.match(challenge(me)!, /error="insufficient_scope"/, 'a token without the profile scope is answered with insufficient_scope');
      assert.match(challenge(me)!, /scope="profile"/, 'the challenge names the scope needed: profile');
    });

    test('a JWT costs one SQL statement', async () => {
      const { tokens } = await webAppWithTokens(provider);
      const { result, statements } = await countStatements(provider, () => getMe(provider, tokens.access_token));
      assert.equal(result.status, 200, `a JWT gets the user at /api/me: ${JSON.stringify(result.body)}`);
      assert.equal(statements.length, 1, statements.join('\n'));
    });

    test('a browser app may call it cross-origin', async () => {
      const preflight = await fetch(`${provider.url}/api/me`, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-headers': 'authorization' } });
      assert.equal(preflight.status, 204, 'the CORS preflight from a browser app is answered 204');
      assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization/, 'the preflight allows the Authorization header');
    });

    test('a token signed by a key from a rotation elsewhere is accepted after one reload; made-up kids cost nothing', async () => {
      const { client, user, tokens } = await webAppWithTokens(provider);
      // The CLI rotates the keys in another process; this provider has not seen the new key yet.
      await rotateSigningKeys(provider.store, provider.config, 0);
      const elsewhere = await createProviderContext(provider.config, provider.store);
      const gid = decodeJwt(tokens.access_token).gid as string;
      const { accessToken } = await mintAccessToken(elsewhere, { client, grantId: gid, userId: user.id, scope: 'profile' });
      assert.notEqual(decodeJwt(accessToken).jti, undefined, 'the token issued elsewhere carries a jti');
      assert.equal((await getMe(provider, accessToken)).status, 200, 'a token signed by a key rotated in elsewhere is accepted after one reload');

      const [, payload, signature] = accessToken.split('.');
      const forgedHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'made-up' })).toString('base64url');
      const { result, statements } = await countStatements(provider, () => getMe(provider, `${forgedHeader}.${payload}.${signature}`));
      assert.equal(result.status, 401, 'a token with a made-up kid is refused with 401');
      assert.equal(statements.length, 0, 'a second unknown kid right after a reload reads nothing');
    });
  });
}
