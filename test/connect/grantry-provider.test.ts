import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { grantry, lazyProvider, openConnectStore, type ConnectStore } from '../../src/connect/index.ts';
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
        return [lazyProvider('grantry', 'Grantry', () => grantry({ issuer: provider.url, clientId: client.id, clientSecret: clientSecret! }))];
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
  });
}
