import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientCredentialsCache, grantry, lazyProvider, oauth2, passwordGrant, ProviderError, rfc8414Url, sealTokens, unsealTokens } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { grantryClient, startGrantry, type GrantryDouble } from './doubles/grantry.ts';
import { loginWith, startSite, TestBrowser, type TestSite } from './helpers.ts';

// The grantry preset, configured from nothing but the provider's metadata URL.

for (const kind of storeKinds) {
  describe(`grantry preset on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: GrantryDouble;
    let site: TestSite;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startGrantry();
      // Synchronous: the preset reads nothing until a login needs it.
      site = await startSite(store, [grantry({ issuer: double.url, ...grantryClient })]);
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('logs in from the metadata alone: S256, iss checked, uid matched with /api/me', async () => {
      const metadataRead = () => double.requests.some((r) => r.path === '/.well-known/oauth-authorization-server');
      assert.ok(!metadataRead(), 'the site started without reading the provider\'s metadata');
      double.nextUser = 'hopper';
      const browser = new TestBrowser(site.url);
      const { authorizeUrl, callback } = await loginWith(browser, 'grantry');
      assert.ok(authorizeUrl.startsWith(`${double.url}/authorize?`), 'the login sends the browser to the authorization endpoint named in the metadata');
      assert.equal(callback.location, '/auth/pending', 'the first login of an unknown account ends on the pending page');
      const identity = (await store.findIdentityBySubject('grantry', 'uid-hopper'))!;
      assert.deepEqual(identity.profile, { name: 'Grantry hopper', email: 'hopper@grantry.example', emailVerified: false, avatar: null }, 'the identity is read from /api/me, the uid matched');
      assert.ok(double.requests.some((r) => r.path === '/.well-known/oauth-authorization-server'), 'the preset read the provider\'s RFC 8414 metadata');
    });

    test('the site calls the provider for a user with fresh tokens: expired ones are refreshed and sealed again', async () => {
      const identity = (await store.findIdentityBySubject('grantry', 'uid-hopper'))!;
      const current = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens!);
      assert.equal((await site.connect.providerTokens(identity))!.accessToken, current.accessToken, 'still fresh: used as is');
      const expired = { ...current, tokenType: 'Bearer', raw: {}, expiresAt: Math.floor(Date.now() / 1000) - 1 };
      await store.saveIdentityTokens(identity.id, sealTokens(site.connect.tokenKey, identity.id, expired), expired.expiresAt);
      const fresh = (await site.connect.providerTokens((await store.findIdentity(identity.id))!))!;
      assert.notEqual(fresh.accessToken, current.accessToken, 'expired tokens are refreshed');
      const stored = unsealTokens(site.connect.tokenKey, identity.id, (await store.findIdentity(identity.id))!.sealedTokens!);
      assert.equal(stored.accessToken, fresh.accessToken, 'the refreshed tokens are sealed again in the store');
    });

    test('the generic oauth2 preset with a mapped profile endpoint', async () => {
      const generic = oauth2({
        id: 'generic', name: 'Generic', ...grantryClient,
        authorizationEndpoint: `${double.url}/authorize`, tokenEndpoint: `${double.url}/token`, userinfoEndpoint: `${double.url}/api/me`,
        mapProfile: (body) => ({ subject: String(body.uid), profile: { name: String(body.display_name), email: null, emailVerified: false, avatar: null } }),
      });
      const genericSite = await startSite(store, [generic]);
      try {
        double.nextUser = 'liskov';
        const { callback } = await loginWith(new TestBrowser(genericSite.url), 'generic');
        assert.equal(callback.location, '/auth/pending', 'the first login through the generic preset ends on the pending page');
        assert.equal((await store.findIdentityBySubject('generic', 'uid-liskov'))!.profile.name, 'Grantry liskov', 'the generic preset reads the name through mapProfile');
      } finally {
        await genericSite.close();
      }
    });

    test('code written for the asynchronous preset still works: wrapped in lazyProvider, or awaited', async () => {
      const legacySite = await startSite(store, [lazyProvider('grantry', 'Grantry', () => grantry({ issuer: double.url, ...grantryClient }))]);
      try {
        double.nextUser = 'babbage';
        const { callback } = await loginWith(new TestBrowser(legacySite.url), 'grantry');
        assert.equal(callback.location, '/auth/pending', `a grantry preset wrapped in lazyProvider, as before, still logs in: ${callback.text.slice(0, 300)}`);
      } finally {
        await legacySite.close();
      }
      const awaited = await grantry({ issuer: double.url, ...grantryClient });
      const tokens = await passwordGrant(awaited, { username: 'babbage', password: 'right password' });
      assert.equal(tokens.raw.uid, 'uid-babbage', 'an awaited preset, as the docs once showed for server-side grants, still serves the password grant');
    });

    test('server-side grants: password, and client credentials cached until shortly before expiry', async () => {
      // The grants take the preset as it is, and load its metadata themselves.
      const provider = grantry({ issuer: double.url, ...grantryClient });
      const tokens = await passwordGrant(provider, { username: 'lovelace', password: 'right password' });
      assert.equal(tokens.raw.uid, 'uid-lovelace', 'the password grant answers the uid of the user');
      await assert.rejects(passwordGrant(provider, { username: 'lovelace', password: 'wrong' }), (e: unknown) => e instanceof ProviderError && e.code === 'invalid_grant', 'a wrong password is refused as invalid_grant');

      const cache = new ClientCredentialsCache(provider, 60);
      const before = double.clientCredentialsIssued;
      const [a, b] = await Promise.all([cache.get(), cache.get()]);
      assert.equal(a.accessToken, b.accessToken, 'concurrent callers share one request');
      assert.equal((await cache.get()).accessToken, a.accessToken, 'a later caller gets the cached token');
      assert.equal(double.clientCredentialsIssued - before, 1, 'one client credentials request served all three callers');
      // 120 s tokens with a 121 s margin: already too close to expiry to hand out.
      const strict = new ClientCredentialsCache(provider, 121);
      const first = await strict.get();
      assert.notEqual((await strict.get()).accessToken, first.accessToken, 'a token too close to expiry is not handed out again');
    });
  });
}

describe('metadata location', () => {
  test('RFC 8414 puts the well-known segment before the issuer path', () => {
    assert.equal(rfc8414Url('https://id.example'), 'https://id.example/.well-known/oauth-authorization-server', 'the well-known segment goes after the host of an issuer without a path');
    assert.equal(rfc8414Url('https://example.com/tenant/a'), 'https://example.com/.well-known/oauth-authorization-server/tenant/a', 'the well-known segment goes before the path of the issuer');
  });
});
