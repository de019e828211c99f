import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { rotateSigningKeys } from '../../src/provider/protocol/tokens/keys.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { getMe, webAppWithTokens } from './token-fixtures.ts';

// Signing-key rotation: a new key is published before it signs; retired keys stay published
// while tokens they signed may still be alive, and no longer.

for (const kind of storeKinds) {
  describe(`signing-key rotation on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    // The EdDSA keys, which sign access tokens; the RS256 keys (ID tokens) rotate beside them.
    const jwks = async () => (await (await fetch(`${provider.url}/oauth2/jwks`)).json()).keys as { kid: string; alg: string }[];
    const jwksKids = async () => (await jwks()).filter((key) => key.alg === 'EdDSA').map((key) => key.kid);
    const kidOf = (token: string) => decodeProtectedHeader(token).kid;

    test('a new key is published at once and signs only after its delay; the old one keeps serving its tokens', async () => {
      const before = await webAppWithTokens(provider);
      const oldKid = kidOf(before.tokens.access_token);

      const waiting = await rotateSigningKeys(provider.store, provider.config, 600);
      await provider.ctx.keys.reload();
      assert.deepEqual((await jwksKids()).sort(), [oldKid, waiting.kid].sort(), 'the new key is published at once, beside the old one');
      assert.equal((await jwks()).filter((key) => key.alg === 'RS256').length, 2, 'a new RS256 key is published beside the old one too');
      const during = await webAppWithTokens(provider);
      assert.equal(kidOf(during.tokens.access_token), oldKid, 'the new key does not sign before its time');

      const now = await rotateSigningKeys(provider.store, provider.config, 0);
      await provider.ctx.keys.reload();
      const after = await webAppWithTokens(provider);
      assert.equal(kidOf(after.tokens.access_token), now.kid, 'the new key signs once its delay is over');
      assert.ok((await jwksKids()).includes(oldKid!), 'a retired key stays published while its tokens live');
      assert.equal((await getMe(provider, before.tokens.access_token)).status, 200, 'a token signed by the retired key is still accepted');
    });

    test('a ring whose RS256 keys are all retired (a rotation by an older version) gets a new one when it loads, and ID tokens are still signed', async () => {
      const rs256 = (await provider.store.keys.list()).filter((key) => key.alg === 'RS256');
      await provider.store.keys.retire(rs256.map((key) => key.kid), Math.floor(Date.now() / 1000) - 1);
      await provider.ctx.keys.reload();
      const signer = provider.ctx.keys.signingKey('RS256');
      assert.ok(!rs256.some((key) => key.kid === signer.kid), 'a new RS256 key signs, not a retired one');
    });

    test('a key retired longer ago than any token lives is no longer published', async () => {
      const token = (await webAppWithTokens(provider)).tokens.access_token;
      const kid = kidOf(token)!;
      await rotateSigningKeys(provider.store, provider.config, 0);
      const longAgo = Math.floor(Date.now() / 1000) - provider.config.lifetimes.accessToken - provider.config.lifetimes.retiredKeyMargin - 10;
      // The rotation retired it just now; move that date back past every token's lifetime.
      const keys = await provider.store.keys.list();
      const record = keys.find((key) => key.kid === kid)!;
      await provider.store.keys.delete(kid);
      await provider.store.keys.insert({ ...record, retiredAt: longAgo });
      await provider.ctx.keys.reload();
      assert.ok(!(await jwksKids()).includes(kid), 'a key retired longer ago than any token lives is no longer published');
    });
  });
}
