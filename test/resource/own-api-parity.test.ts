import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { signJwt } from '../../src/provider/protocol/tokens/jwt.ts';
import { signJwtAccessToken } from '../../src/provider/protocol/tokens/access-token.ts';
import { protectedResource, ResourceError, type ProtectedResource } from '../../src/resource/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { getMe, mintAccessToken, webAppWithTokens } from '../provider/token-fixtures.ts';

// grantry/resource handed the provider's own key ring (the `keys` option, as a server that holds
// its keys would use it) against Grantry's own /api/me: the same tokens accepted, the same refused,
// with the same statuses. The one difference is by design and asserted: the library verifies
// locally, so a revoked grant's JWT passes it until its exp, where /api/me reads the grant.

for (const kind of storeKinds) {
  describe(`grantry/resource with the provider's key ring answers as /api/me does, on ${kind.name}`, () => {
    let provider: RunningProvider;
    let own: ProtectedResource;
    let fetches = 0;
    before(async () => {
      provider = await startProvider(kind);
      own = protectedResource({
        resource: provider.url,
        authorizationServers: [provider.url],
        keys: (kid) => (kid === undefined ? undefined : provider.ctx.keys.verificationKey(kid)?.publicKey),
        // /api/me forgives no clock difference on exp.
        clockTolerance: 0,
        fetch: async () => {
          fetches++;
          throw new Error('the keys are handed over: nothing is fetched');
        },
      });
    });
    after(() => provider.close());

    /** The library's status for a token, as /api/me's would be: 200 accepted, else the ResourceError's. */
    async function libraryStatus(token: string, scopes = ['profile']): Promise<number> {
      try {
        await own.verify(`Bearer ${token}`, { scopes });
        return 200;
      } catch (error) {
        if (error instanceof ResourceError) return error.status;
        throw error;
      }
    }

    test('every token of the corpus gets the same status from both', async () => {
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
        ['alg none', `${header({ alg: 'none', typ: 'at+jwt' })}.${payload}.`, 401],
        ['HS256 with the public key as the secret', `${hs}.${createHmac('sha256', publicJwk).update(hs).digest('base64url')}`, 401],
        ['a made-up kid', `${header({ alg: 'EdDSA', typ: 'at+jwt', kid: 'made-up' })}.${payload}.${signature}`, 401],
        ['a token for a registered API (RFC 8707)', signJwtAccessToken(provider.ctx, { context: { clientId: client.id, userId: user.id, scope: 'profile', audience: ['https://api.example.com/mcp'] }, grantId, lifetime: 600, subject: user.id }), 401],
        ['an ID-token-shaped JWT (typ JWT) with the same claims', signJwt(provider.ctx.keys.signingKey(), 'JWT', claims), 401],
        ['garbage', 'not-a-token', 401],
        ['three dots of garbage', 'a.b.c', 401],
      ];
      for (const [name, token, expected] of corpus) {
        assert.equal((await getMe(provider, token)).status, expected, `/api/me: ${name}`);
        assert.equal(await libraryStatus(token), expected, `grantry/resource: ${name}`);
      }
      assert.equal(fetches, 0, 'the library fetched neither metadata nor keys');
    });

    test('by design: a revoked grant\'s JWT is refused by /api/me at once, and passes the library until its exp', async () => {
      const { grantId, tokens } = await webAppWithTokens(provider);
      assert.equal(await libraryStatus(tokens.access_token), 200, 'accepted by both before');
      await provider.store.grants.revoke(grantId, 'test');
      assert.equal((await getMe(provider, tokens.access_token)).status, 401, '/api/me reads the grant: refused at once');
      assert.equal(await libraryStatus(tokens.access_token), 200, 'the library verifies locally: the token stands until its exp (keep API tokens short, or introspect)');
    });
  });
}
