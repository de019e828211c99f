import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { grantry, openConnectStore, type ConnectStore } from '../../src/connect/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { hiddenFields } from '../helpers/browser.ts';
import { startSite, TestBrowser, type TestSite } from './helpers.ts';

// The grantry preset against Grantry's own provider: the site knows nothing but the issuer URL.

for (const kind of storeKinds) {
  describe(`grantry preset against Grantry's provider on ${kind.name}`, () => {
    let provider: RunningProvider;
    let site: TestSite;
    let siteStore: ConnectStore;

    before(async () => {
      provider = await startProvider(kind);
      // The site keeps its own tables, here in the provider's database.
      siteStore = await openConnectStore(provider.databaseUrl);
      // Its app is registered once its address is known.
      site = await startSite(siteStore, async (siteUrl) => {
        const { client, clientSecret } = await provider.registerClient({ appType: 'web', redirectUris: [`${siteUrl}/auth/grantry/callback`] });
        return [grantry({ issuer: provider.url, clientId: client.id, clientSecret: clientSecret! })];
      });
    });
    after(async () => {
      await site.close();
      await siteStore.close();
      await provider.close();
    });

    test('log in at the provider, allow, land on the binding page; register; the next login signs in', async () => {
      const user = await provider.createUser('carol');
      const browser = new TestBrowser(provider.url);
      await browser.login(user.username, user.password);

      const start = await browser.post(`${site.url}/auth/grantry/login`, {});
      assert.ok(start.location!.startsWith(`${provider.url}/`), start.location!);
      // The provider speaks OpenID Connect, so the preset logs in through it: openid, with a nonce.
      const asked = new URL(start.location!).searchParams;
      assert.deepEqual(asked.get('scope')?.split(' '), ['openid', 'profile', 'email'], 'the preset asks for openid profile email');
      assert.ok((asked.get('nonce') ?? '').length >= 22, 'with a nonce for the ID token');
      const consent = await browser.get(start.location!);
      assert.equal(consent.status, 200, consent.text.slice(0, 300));
      const allowed = await browser.post(`${provider.url}/oauth2/authorize`, { ...hiddenFields(consent.text), decision: 'allow' });
      assert.equal(allowed.status, 303, `allowing consent at the provider redirects back to the site: ${allowed.text.slice(0, 300)}`);
      const landing = new URL(allowed.location!);
      assert.equal(landing.searchParams.get('iss'), provider.url, 'the provider names itself as iss on the redirect back (RFC 9207)');
      const callback = await browser.get(landing.href);
      assert.equal(callback.location, '/auth/pending', callback.text.slice(0, 500));
      const identity = (await siteStore.findIdentityBySubject('grantry', user.id))!;
      assert.equal(identity.profile.name, user.displayName, 'the identity keeps the display name from the provider profile');
      assert.equal(identity.profile.email, user.email, 'the identity keeps the email from the provider profile');

      assert.equal((await browser.post(`${site.url}/auth/pending/register`, { username: 'carol-site', displayName: 'Carol' })).location, '/account', 'registering the pending identity signs in and lands on /account');
      await browser.post(`${site.url}/auth/logout`, {});
      const again = await browser.post(`${site.url}/auth/grantry/login`, {});
      // Consent is remembered by the provider: straight back to the site.
      const back = await browser.get(again.location!);
      const signedIn = await browser.get(back.location!);
      assert.equal(signedIn.location, '/account', 'the next login with remembered consent signs straight in to /account');
    });

    test('a wrong client secret: the visitor reads that Grantry refused, the site\'s log says what the provider said', async () => {
      const wrongSecret = 'not-the-secret-grantry-issued-0123456789';
      const wrongSite = await startSite(siteStore, async (siteUrl) => {
        const { client } = await provider.registerClient({ appType: 'web', redirectUris: [`${siteUrl}/auth/grantry/callback`] });
        return [grantry({ issuer: provider.url, clientId: client.id, clientSecret: wrongSecret })];
      });
      try {
        const user = await provider.createUser('dave');
        const browser = new TestBrowser(provider.url);
        await browser.login(user.username, user.password);
        const start = await browser.post(`${wrongSite.url}/auth/grantry/login`, {});
        const consent = await browser.get(start.location!);
        const allowed = await browser.post(`${provider.url}/oauth2/authorize`, { ...hiddenFields(consent.text), decision: 'allow' });
        const code = new URL(allowed.location!).searchParams.get('code')!;
        const callback = await browser.get(allowed.location!);
        assert.equal(callback.status, 502, `the refused exchange ends on a 502 page: ${callback.text.slice(0, 300)}`);
        assert.match(callback.text, /Grantry refused the login \(invalid_client\)/, 'the visitor reads that Grantry refused the login');
        assert.equal(wrongSite.warnings.length, 1, `one warning: ${JSON.stringify(wrongSite.warnings)}`);
        const { details, message } = wrongSite.warnings[0]!;
        assert.equal(details.error, 'invalid_client', 'the provider\'s error code is logged');
        assert.equal(details.status, 401, 'with its HTTP status');
        assert.equal(details.endpoint, `${provider.url}/oauth2/token`, 'and the token endpoint');
        assert.equal(typeof details.error_description, 'string', `and the provider's description: ${message}`);
        assert.ok(message.includes(String(details.error_description)), `the message carries the description: ${message}`);
        const logged = JSON.stringify(wrongSite.warnings);
        assert.ok(!logged.includes(wrongSecret) && !logged.includes(code), 'neither the secret nor the code is logged');
      } finally {
        await wrongSite.close();
      }
    });
    test('a site that sets a scope without openid gets plain OAuth 2.0 from the preset: no nonce, no ID token expected', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', redirectUris: ['https://site.example/auth/grantry/callback'] });
      const plain = await grantry({ issuer: provider.url, clientId: client.id, clientSecret: clientSecret!, scope: 'profile email' }).load();
      assert.equal(plain.oidc, false, 'not an OpenID Connect login');
      assert.equal(plain.scope, 'profile email', 'the scope as the site set it');
      const openid = await grantry({ issuer: provider.url, clientId: client.id, clientSecret: clientSecret! }).load();
      assert.equal(openid.oidc, true, 'by default, an OpenID Connect login');
      assert.equal(openid.scope, 'openid profile email', 'asking for openid profile email');
    });
  });
}
