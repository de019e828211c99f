import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistrationError } from '../../src/provider/protocol/clients.ts';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

const callback = 'https://spa.example/callback';

for (const kind of storeKinds) {
  describe(`implicit grant on ${kind.name}`, () => {
    let provider: RunningProvider;
    let browser: TestBrowser;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind);
      const user = await provider.createUser('implicit_user');
      clientId = (await provider.registerClient({ appType: 'spa', redirectUris: [callback], grantTypes: ['implicit'] })).client.id;
      browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
    });
    after(() => provider.close());

    const request = (extra: Record<string, string> = {}) => ({ response_type: 'token', client_id: clientId, redirect_uri: callback, scope: 'profile', state: 'st', ...extra });

    test('Allow puts a short-lived access token in the fragment, with no refresh token, and no referrer leaks it', async () => {
      const page = await browser.get(`/oauth2/authorize?${new URLSearchParams(request())}`);
      assert.equal(page.status, 200, 'the consent page is shown to the signed-in user');
      const response = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
      assert.equal(response.status, 303, 'Allow redirects with 303');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', 'the redirect carries Referrer-Policy no-referrer, so no referrer leaks the token');
      const location = new URL(response.location!);
      assert.equal(location.search, '', 'nothing in the query');
      const fragment = new URLSearchParams(location.hash.slice(1));
      assert.equal(fragment.get('token_type'), 'Bearer', 'the fragment carries a Bearer token');
      assert.equal(fragment.get('state'), 'st', 'the fragment carries the state back');
      assert.equal(fragment.get('scope'), 'profile', 'the fragment carries the granted scope');
      assert.equal(fragment.get('iss'), provider.url, 'the fragment names the issuer');
      assert.ok(Number(fragment.get('expires_in')) <= 900, `the token is short-lived (15 minutes at most): ${fragment.get('expires_in')}`);
      assert.equal(fragment.get('refresh_token'), null, 'the implicit grant gives no refresh token');
      const me = await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${fragment.get('access_token')}` } });
      assert.equal(me.status, 200, '/api/me accepts the token from the fragment');
    });

    test('state is required', async () => {
      const { state: _, ...withoutState } = request();
      const response = await browser.get(`/oauth2/authorize?${new URLSearchParams(withoutState)}`);
      assert.equal(response.status, 302, 'a request without state is sent back to the app with an error (302)');
      const fragment = new URLSearchParams(new URL(response.location!).hash.slice(1));
      assert.equal(fragment.get('error'), 'invalid_request', 'a request without state is invalid_request');
      assert.match(fragment.get('error_description')!, /state/, 'the error description names the missing state');
    });

    test('only spa apps may be given the implicit grant', async () => {
      await assert.rejects(provider.registerClient({ appType: 'web', grantTypes: ['implicit'] }), RegistrationError, 'a web app may not be given the implicit grant');
      await assert.rejects(provider.registerClient({ appType: 'native', grantTypes: ['implicit'] }), RegistrationError, 'a native app may not be given the implicit grant');
    });

    test('an spa app without it gets unauthorized_client', async () => {
      const plain = (await provider.registerClient({ appType: 'spa', redirectUris: [callback] })).client.id;
      const response = await browser.get(`/oauth2/authorize?${new URLSearchParams(request({ client_id: plain }))}`);
      const fragment = new URLSearchParams(new URL(response.location!).hash.slice(1));
      assert.equal(fragment.get('error'), 'unauthorized_client', 'an spa app without the implicit grant gets unauthorized_client');
    });
  });
}
