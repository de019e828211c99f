import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createProviderContext } from '../../src/provider/context.ts';
import { rotateSigningKeys } from '../../src/provider/protocol/tokens/keys.ts';
import { signJwt } from '../../src/provider/protocol/tokens/jwt.ts';
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
      // RFC 6750 §3.1: "invalid_request … The request is … malformed": 400, not 401. The same answer
      // whether the header would go to grantry/resource (it holds a JWT's two dots) or not.
      for (const authorization of ['Bearer two words', 'Bearer a.b c', 'Bearer a.b.c d', 'Bearer "a.b.c"']) {
        const badHeader = await fetch(`${provider.url}/api/me`, { headers: { authorization } });
        assert.equal(badHeader.status, 400, `a malformed Authorization header (${authorization}) is a 400 (RFC 6750 §3.1)`);
        assert.equal(
          challenge(badHeader),
          'Bearer realm="grantry", error="invalid_request", error_description="the Authorization header does not hold a well-formed bearer token"',
          `${authorization}: the challenge names invalid_request, in /api/me's shape`,
        );
        assert.deepEqual(await badHeader.json(), { error: 'invalid_request', error_description: 'the Authorization header does not hold a well-formed bearer token' }, `${authorization}: the same words in the body`);
      }

      await provider.store.grants.revoke(grantId, 'test');
      const revoked = await getMe(provider, tokens.access_token);
      assert.equal(revoked.status, 401, 'a token of a revoked grant is a 401');
      assert.match(challenge(revoked)!, /error="invalid_token"/, 'a token of a revoked grant is answered with invalid_token in the challenge');
    });

    test('the JWT checks grantry/resource makes, in /api/me\'s words and shape; none answers 5xx', async () => {
      const { client, user, grantId, tokens } = await webAppWithTokens(provider);
      const [head, payload, signature] = tokens.access_token.split('.') as [string, string, string];
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const kid = JSON.parse(Buffer.from(head, 'base64url').toString()).kid as string;
      const rsaKey = provider.ctx.keys.signingKey('RS256');
      const claims = decodeJwt(tokens.access_token);
      const cases: Array<[string, string, string]> = [
        ['expired a second ago (no clock tolerance: the issuer and its API share one clock)', (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -1 })).accessToken, 'the token has expired'],
        ['expiring this very second (exp is the first second it is refused: RFC 7519 §4.1.4)', (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: 0 })).accessToken, 'the token has expired'],
        ['alg none', `${encode({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`, 'the token is not signed with an accepted algorithm'],
        // The ring's RS256 key signs ID tokens only: a token it signed is no access token here, whatever it claims.
        ['signed by the ring\'s RS256 key, typ at+jwt', signJwt(rsaKey, 'at+jwt', claims), 'the token is not signed with an accepted algorithm'],
        // Key confusion: the EdDSA header naming the RSA key must not reach jose's key check (a TypeError there would be a 503).
        ['alg EdDSA naming the RS256 key\'s kid', `${encode({ alg: 'EdDSA', typ: 'at+jwt', kid: rsaKey.kid })}.${payload}.${signature}`, 'the token was signed by a key the issuer does not publish'],
        ['no kid', `${encode({ alg: 'EdDSA', typ: 'at+jwt' })}.${payload}.${signature}`, 'the token was signed by a key the issuer does not publish'],
        ['crit with an extension no one understands (RFC 7515 §4.1.11)', `${encode({ alg: 'EdDSA', typ: 'at+jwt', kid, crit: ['x-unknown'], 'x-unknown': 1 })}.${payload}.${signature}`, 'the token signature or claims are invalid'],
        ['a header that is not JSON', `${Buffer.from('{"alg":').toString('base64url')}.${payload}.${signature}`, 'the token is malformed'],
        ['a payload that is not JSON', `${head}.${Buffer.from('[').toString('base64url')}.${signature}`, 'the token is malformed'],
        ['another issuer', `${head}.${encode({ ...claims, iss: 'https://elsewhere.example' })}.${signature}`, 'the token is not from an accepted issuer'],
        ['a 6,000-character payload', `${head}.${'A'.repeat(6000)}.${signature}`, 'the token is malformed'],
        // Signed by the ring itself, so past grantry/resource: the provider still holds the claims to its own tokens' shape.
        ['signed by the ring, without scope', signJwt(provider.ctx.keys.signingKey(), 'at+jwt', { ...claims, scope: undefined }), 'the token lacks required claims'],
        ['signed by the ring, a grant id that is a number', signJwt(provider.ctx.keys.signingKey(), 'at+jwt', { ...claims, gid: 7 }), 'the token lacks required claims'],
      ];
      for (const [name, token, description] of cases) {
        const me = await getMe(provider, token);
        assert.equal(me.status, 401, `${name}: 401`);
        assert.equal(challenge(me), `Bearer realm="grantry", error="invalid_token", error_description="${description}"`, `${name}: invalid_token, in the realm's shape, saying why`);
        assert.deepEqual(me.body, { error: 'invalid_token', error_description: description }, `${name}: the same words in the body`);
      }
    });

    test('a revoked grant\'s token is refused as invalid (401) before its scope is weighed (403)', async () => {
      const { grantId, tokens } = await webAppWithTokens(provider, { scope: 'email' });
      assert.equal((await getMe(provider, tokens.access_token)).status, 403, 'live, without profile: 403 insufficient_scope');
      await provider.store.grants.revoke(grantId, 'test');
      const me = await getMe(provider, tokens.access_token);
      // RFC 6750 §3.1: invalid_token is for a token "expired, revoked, malformed, or invalid"; insufficient_scope would tell the app to ask for more scope with a dead token.
      assert.equal(me.status, 401, 'revoked: 401, not the 403 of a live token lacking a scope');
      assert.match(challenge(me)!, /error="invalid_token", error_description="the token has been revoked"/, 'invalid_token: the token has been revoked');
    });

    test('a token without the profile scope: 403 insufficient_scope', async () => {
      const { tokens } = await webAppWithTokens(provider, { scope: 'email' });
      const me = await getMe(provider, tokens.access_token);
      assert.equal(me.status, 403, 'a token without the profile scope is a 403');
      assert.match(challenge(me)!, /error="insufficient_scope"/, 'a token without the profile scope is answered with insufficient_scope');
      assert.equal(
        challenge(me),
        'Bearer realm="grantry", error="insufficient_scope", error_description="this resource needs the scope profile", scope="profile"',
        'the challenge says insufficient_scope and names the scope needed, in grantry/resource\'s words',
      );
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
