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
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(member in key, false, `no private member ${member}`);
        assert.ok((key.kty === 'OKP' && key.alg === 'EdDSA') || (key.kty === 'RSA' && key.alg === 'RS256'), `every key is an Ed25519 key for EdDSA or an RSA key for RS256 (ID tokens): ${key.kty} ${key.alg}`);
        assert.equal(key.use, 'sig', 'every key is for signatures');
        assert.equal(typeof key.kid, 'string', 'every key has a kid');
      }
      assert.deepEqual([...new Set(jwks.keys.map((key: { alg: string }) => key.alg))].sort(), ['EdDSA', 'RS256'], 'a key of each algorithm');
      const { tokens } = await webAppWithTokens(provider);
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), { issuer: provider.url, audience: provider.url, typ: 'at+jwt' });
      assert.equal(protectedHeader.alg, 'EdDSA', 'access tokens are signed with EdDSA');
      assert.equal(typeof payload.gid, 'string', 'the verified access token names its grant (gid)');
    });
  });
}
