import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import { rotateClientSecret, updateClient } from '../../src/provider/protocol/clients.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, postForm } from '../provider/token-fixtures.ts';

// The client cache (src/store/client-cache.ts): warm requests read no client row; a secret rotated
// elsewhere works at once; changes made through this store are seen at once; changes made through
// another process may be seen up to clientCacheSeconds late, and no later.

const clientReads = (statements: string[]) => statements.filter((sql) => /from "clients"/.test(sql)).length;
const callback = 'https://app.example/callback';

for (const kind of storeKinds) {
  describe(`client cache on ${kind.name}`, () => {
    let provider: RunningProvider;
    /** A second handle on the same database: what another instance or the CLI would write through. */
    let elsewhere: Store;
    before(async () => {
      provider = await startProvider(kind, { clientCacheSeconds: 1 });
      elsewhere = await openStore(provider.databaseUrl);
    });
    after(async () => {
      await elsewhere.close();
      await provider.close();
    });

    const service = async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      return { client, secret: clientSecret! };
    };
    const token = (id: string, secret: string) => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(id, secret));

    test('the first request reads the client, the next ones within the lifetime do not', async () => {
      const { client, secret } = await service();
      const first = await countStatements(provider, () => token(client.id, secret));
      assert.equal(first.result.status, 200, `the service gets a token: ${JSON.stringify(first.result.body)}`);
      assert.equal(clientReads(first.statements), 1, 'the first request reads the client row once');
      const second = await countStatements(provider, () => token(client.id, secret));
      assert.equal(second.result.status, 200, `the service gets a second token: ${JSON.stringify(second.result.body)}`);
      assert.equal(clientReads(second.statements), 0, 'the second request within the lifetime reads no client row');
    });

    test('a secret rotated through another process works at once: the cached record is read again before a refusal', async () => {
      const { client, secret } = await service();
      assert.equal((await token(client.id, secret)).status, 200, 'the service gets a token with its first secret');
      const fresh = await rotateClientSecret(elsewhere, client.id);
      const { result, statements } = await countStatements(provider, () => token(client.id, fresh));
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.equal(clientReads(statements), 1, 'the refusal of the cached record is followed by one read of the client row');
      // The second look refilled the cache: the new secret now costs no read.
      assert.equal(clientReads((await countStatements(provider, () => token(client.id, fresh))).statements), 0, 'the cache refilled by the second look: the new secret costs no read');
      // And the old one, refused by the record just read, is refused.
      const old = await token(client.id, secret);
      assert.equal(old.status, 401, `the old secret is refused once the record has been read again: ${JSON.stringify(old.body)}`);
      assert.equal(old.body.error, 'invalid_client', 'the old secret is refused as invalid_client');
    });

    test('the documented staleness: an old secret stays accepted by a cached record for at most clientCacheSeconds', async (t) => {
      const { client, secret } = await service();
      // The cache's clock is Date's: frozen here and moved on by hand, so the test waits for nothing.
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      assert.equal((await token(client.id, secret)).status, 200, 'the service gets a token with its first secret');
      await rotateClientSecret(elsewhere, client.id);
      // Within the lifetime, the cached record still matches the old secret (see client-cache.ts).
      assert.equal((await token(client.id, secret)).status, 200, 'within clientCacheSeconds the cached record still accepts the old secret');
      t.mock.timers.tick(999);
      assert.equal((await token(client.id, secret)).status, 200, 'a moment before clientCacheSeconds have passed the cached record still answers');
      t.mock.timers.tick(2);
      const late = await token(client.id, secret);
      assert.equal(late.status, 401, `after clientCacheSeconds the old secret is refused: ${JSON.stringify(late.body)}`);
      assert.equal(late.body.error, 'invalid_client', 'the late old secret is refused as invalid_client');
    });

    test('a secret rotated through this store is refused at once: the entry is dropped', async () => {
      const { client, secret } = await service();
      assert.equal((await token(client.id, secret)).status, 200, 'the service gets a token with its first secret');
      const fresh = await rotateClientSecret(provider.store, client.id);
      const old = await token(client.id, secret);
      assert.equal(old.status, 401, `a secret rotated through this store is refused at once: ${JSON.stringify(old.body)}`);
      assert.equal(old.body.error, 'invalid_client', 'the old secret is refused as invalid_client');
      assert.equal((await token(client.id, fresh)).status, 200, 'the new secret is accepted at once');
    });

    test('the authorization endpoint sees a redirect URI changed through this store at once', async () => {
      const { client } = await provider.registerClient({ appType: 'web', redirectUris: [callback] });
      const authorize = (redirectUri: string) =>
        fetch(`${provider.url}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
      // No session: a valid request is sent to log in; an unknown redirect URI is an error page.
      assert.equal((await authorize(callback)).status, 302, 'a valid request without a session is sent to log in (302)');
      assert.equal((await authorize('https://app.example/other')).status, 400, 'an unknown redirect URI is an error page (400)');
      await updateClient(provider.store, provider.config, client.id, { redirectUris: [callback, 'https://app.example/other'] });
      assert.equal((await authorize('https://app.example/other')).status, 302, 'the redirect URI added through this store is accepted at once');
      await updateClient(provider.store, provider.config, client.id, { redirectUris: ['https://app.example/other'] });
      assert.equal((await authorize(callback)).status, 400, 'the redirect URI removed through this store is refused at once');
    });

    test('an app registered through another process is found at once: unknown ids are not remembered', async () => {
      const missing = '0123456789abcdef0123456789abcdef';
      assert.equal((await token(missing, 'x')).status, 401, 'an unknown client id is refused (401)');
      const at = Math.floor(Date.now() / 1000);
      await elsewhere.clients.create({
        id: missing, ownerId: null, name: 'Late', description: '', homepage: '', appType: 'service',
        secretHash: sha256('late-secret'), redirectUris: [], scopes: ['profile'],
        grantTypes: ['client_credentials'], pkceRequired: true, trusted: false, tokenFormat: 'jwt', silentReturning: false, createdAt: at, updatedAt: at,
      });
      assert.equal((await token(missing, 'late-secret')).status, 200, 'the app registered through another process is found at once');
    });
  });

  describe(`client cache switched off on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { clientCacheSeconds: 0 })));
    after(() => provider.close());

    test('clientCacheSeconds 0 reads the client on every request', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      for (let i = 0; i < 2; i++) {
        const { result, statements } = await countStatements(provider, () =>
          postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!)),
        );
        assert.equal(result.status, 200, `the service gets a token: ${JSON.stringify(result.body)}`);
        assert.equal(clientReads(statements), 1, 'with clientCacheSeconds 0 every request reads the client row');
      }
    });
  });
}
