import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { webAppWithTokens } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`GET /oauth2/jwks on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('publishes public keys only, and they verify issued access tokens', async () => {
      const response = await fetch(`${provider.url}/oauth2/jwks`);
      assert.equal(response.status, 200, 'the JWKS is served');
      assert.match(response.headers.get('cache-control')!, /max-age=\d+/, 'the JWKS may be cached for a while');
      const jwks = await response.json();
      assert.ok(jwks.keys.length >= 1, 'the JWKS has at least one key');
      for (const key of jwks.keys) {
        assert.equal('d' in key, false, 'no private member');
        assert.equal(key.kty, 'OKP', 'every key is an OKP key');
        assert.equal(key.alg, 'EdDSA', 'every key is for EdDSA');
        assert.equal(typeof key.kid, 'string', 'every key has a kid');
      }
      const { tokens } = await webAppWithTokens(provider);
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), { issuer: provider.url, audience: provider.url, typ: 'at+jwt' });
      assert.equal(protectedHeader.alg, 'EdDSA', 'access tokens are signed with EdDSA');
      assert.equal(typeof payload.gid, 'string', 'the verified access token names its grant (gid)');
    });
  });
}
