import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { ownApiResource } from '../../src/provider/protocol/own-api.ts';
import { signJwt } from '../../src/provider/protocol/tokens/jwt.ts';
import { signJwtAccessToken } from '../../src/provider/protocol/tokens/access-token.ts';
import { ResourceError } from '../../src/resource/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { getMe, mintAccessToken, webAppWithTokens } from '../provider/token-fixtures.ts';

// Grantry's own API verifies its JWTs with grantry/resource (src/provider/protocol/own-api.ts):
// one protectedResource per provider, handed the key ring. So /api/me and the library agree by
// construction; these tests prove that it is that instance that answers (the same status, error
// code and words for every token of the corpus, UserInfo's refusals too), that it is made once and
// fetches nothing, and what /api/me adds to it: the grant read that refuses a revoked grant's token
// at once, where the library alone, verifying locally, accepts it until its exp.

for (const kind of storeKinds) {
  describe(`/api/me answers through grantry/resource, on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    /** The instance's verdict on a token: 200 and no error, or the ResourceError's status, code and words. */
    async function libraryVerdict(token: string, scopes = ['profile']): Promise<{ status: number; error?: string; description?: string }> {
      try {
        await ownApiResource(provider.ctx).verify(`Bearer ${token}`, { scopes });
        return { status: 200 };
      } catch (error) {
        if (!(error instanceof ResourceError)) throw error;
        return { status: error.status, error: error.code, description: error.message };
      }
    }

    test('every token of the corpus: the same status, error and words from /api/me as from the provider\'s grantry/resource instance; UserInfo refuses alike', async () => {
      const instance = ownApiResource(provider.ctx);
      const { client, user, grantId, tokens } = await webAppWithTokens(provider);
      const { tokens: emailOnly } = await webAppWithTokens(provider, { scope: 'email' });
      const [head, payload, signature] = tokens.access_token.split('.') as [string, string, string];
      const kid = JSON.parse(Buffer.from(head, 'base64url').toString()).kid as string;
      const header = (fields: object) => Buffer.from(JSON.stringify(fields)).toString('base64url');
      const publicJwk = JSON.stringify(((await (await fetch(`${provider.url}/oauth2/jwks`)).json()) as { keys: object[] }).keys[0]);
      const hs = `${header({ alg: 'HS256', typ: 'at+jwt', kid })}.${payload}`;
      const claims = decodeJwt(tokens.access_token);
      const corpus: Array<[string, string, number]> = [
        ['a live token with the scope', tokens.access_token, 200],
        ['a token without the profile scope', emailOnly.access_token, 403],
        ['a changed signature', `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`, 401],
        ['expired ten seconds ago', (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -10 })).accessToken, 401],
        ['expired a second ago (the instance forgives no clock difference)', (await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: -1 })).accessToken, 401],
        ['alg none', `${header({ alg: 'none', typ: 'at+jwt' })}.${payload}.`, 401],
        ['HS256 with the public key as the secret', `${hs}.${createHmac('sha256', publicJwk).update(hs).digest('base64url')}`, 401],
        ['a made-up kid', `${header({ alg: 'EdDSA', typ: 'at+jwt', kid: 'made-up' })}.${payload}.${signature}`, 401],
        ['signed by the RS256 key of ID tokens', signJwt(provider.ctx.keys.signingKey('RS256'), 'at+jwt', claims), 401],
        ['a token for a registered API (RFC 8707)', signJwtAccessToken(provider.ctx, { context: { clientId: client.id, userId: user.id, scope: 'profile', audience: ['https://api.example.com/mcp'] }, grantId, lifetime: 600, subject: user.id }), 401],
        ['an ID-token-shaped JWT (typ JWT) with the same claims', signJwt(provider.ctx.keys.signingKey(), 'JWT', claims), 401],
        ['three dots of garbage', 'a.b.c', 401],
      ];
      for (const [name, token, expected] of corpus) {
        const me = await getMe(provider, token);
        const verdict = await libraryVerdict(token);
        assert.equal(me.status, expected, `/api/me: ${name}`);
        assert.equal(verdict.status, expected, `grantry/resource: ${name}`);
        if (expected === 200) continue;
        assert.deepEqual(me.body, { error: verdict.error, error_description: verdict.description }, `${name}: /api/me says what the instance says, word for word`);
        // UserInfo asks for openid rather than profile: only its refusals of the token itself (401) are the instance's.
        if (expected !== 401) continue;
        const info = await fetch(`${provider.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(info.status, 401, `UserInfo: ${name}`);
        assert.deepEqual(await info.json(), me.body, `UserInfo: ${name}, in the same words`);
      }
      assert.equal(ownApiResource(provider.ctx), instance, 'one instance per provider: the requests made none');
    });

    test('the instance is the issuer\'s own: its audience and authorization server are the issuer, and it fetches nothing', async () => {
      const instance = ownApiResource(provider.ctx);
      assert.deepEqual(instance.metadata().authorization_servers, [provider.url], 'it accepts the issuer\'s tokens only');
      assert.equal(instance.metadata().resource, provider.url, 'its audience is the issuer, as tokens asked for no registered API carry');
      // Its fetch refuses to run: had it tried to fetch the metadata or the JWKS, the answer would be a 503.
      const { tokens } = await webAppWithTokens(provider);
      const [, payload, signature] = tokens.access_token.split('.');
      const unknownKid = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'unknown' })).toString('base64url')}.${payload}.${signature}`;
      assert.deepEqual(await libraryVerdict(tokens.access_token), { status: 200 }, 'a token it has not seen verifies with the handed-over keys');
      assert.deepEqual(await libraryVerdict(tokens.access_token), { status: 200 }, 'and once remembered');
      assert.deepEqual(
        await libraryVerdict(unknownKid),
        { status: 401, error: 'invalid_token', description: 'the token was signed by a key the issuer does not publish' },
        'an unknown kid is asked of the key ring (which reloads, at most so often), not of a JWKS: 401, not 503',
      );
    });

    test('a revoked grant\'s JWT is refused by /api/me at once, though the library alone, verifying locally, accepts it until its exp', async () => {
      const { grantId, tokens } = await webAppWithTokens(provider);
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, '/api/me accepts it before');
      await provider.store.grants.revoke(grantId, 'test');
      const me = await getMe(provider, tokens.access_token);
      assert.equal(me.status, 401, '/api/me reads the grant after the instance verified the token: refused at once');
      assert.deepEqual(me.body, { error: 'invalid_token', error_description: 'the token has been revoked' }, 'as revoked');
      assert.equal((await libraryVerdict(tokens.access_token)).status, 200, 'the instance alone (what an API without introspection has) still accepts it: keep API tokens short, or introspect');
    });
  });
}
