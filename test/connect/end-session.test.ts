import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createConnect, github, grantry, sealTokens, unsealTokens, type Connect, type ConnectStore } from '../../src/connect/index.ts';
import { deriveKey } from '../../src/lib/crypto.ts';
import { openConnectStore } from '../../src/store/connect/index.ts';
import { hiddenFields } from '../helpers/browser.ts';
import { startDemoFor, type RunningDemo } from '../helpers/demo.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { secret, TestBrowser } from './helpers.ts';

// RP-initiated logout from the site's side: Connect keeps the ID token of a Grantry login sealed on
// the server, and Connect.endSessionUrl turns it into the provider's logout URL; the demo site's
// logout uses it, so that logging out of the demo ends the Grantry session too and comes back home.

for (const kind of storeKinds) {
  describe(`the provider's logout URL (Connect.endSessionUrl) against Grantry on ${kind.name}`, () => {
    let provider: RunningProvider;
    let demo: RunningDemo;
    let siteStore: ConnectStore;

    before(async () => {
      provider = await startProvider(kind);
      demo = await startDemoFor({ ...provider, issuer: provider.url });
      siteStore = await openConnectStore(provider.databaseUrl);
    });
    after(async () => {
      await demo.site.close();
      await siteStore.close();
      await provider.close();
    });

    /** A person signed in at Grantry who logs in to the demo site with it and gets a site account. */
    async function signedInThroughGrantry(siteUsername: string) {
      const person = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      assert.equal((await browser.login(person.username, person.password)).status, 303, 'the person signs in at Grantry');
      const start = await browser.post(`${demo.base}/auth/grantry/login`, {});
      assert.ok(start.location?.startsWith(`${provider.url}/oauth2/authorize?`), `the site sends the browser to Grantry: ${start.status} ${start.location}`);
      const consent = await browser.get(start.location!);
      assert.equal(consent.status, 200, `Grantry asks to allow the site: ${consent.status} ${consent.location ?? ''}`);
      const allowed = await browser.post(`${provider.url}/oauth2/authorize`, { ...hiddenFields(consent.text), decision: 'allow' });
      assert.ok(allowed.location?.startsWith(`${demo.siteUrl}/auth/grantry/callback?`), `back to the site's callback: ${allowed.location}`);
      const callback = await browser.get(allowed.location!.replace(demo.siteUrl, demo.base));
      assert.equal(callback.location, '/auth/pending', `a new person is asked to bind or register: ${callback.status} ${callback.text.slice(0, 300)}`);
      const registered = await browser.post(`${demo.base}/auth/pending/register`, { username: siteUsername, displayName: siteUsername });
      assert.equal(registered.location, '/account', 'the site account is made and signed in');
      return { person, browser };
    }

    test("the demo site's logout ends its own session, then sends the browser to Grantry's end_session_endpoint with the kept ID token, which ends Grantry's session and comes back home", async () => {
      const { person, browser } = await signedInThroughGrantry('logout-site');
      const identity = (await siteStore.findIdentityBySubject('grantry', person.id))!;
      // The demo site runs with the provider's test secret: its key for provider tokens derives from it.
      const kept = unsealTokens(deriveKey(testSecret, 'connect-provider-tokens'), identity.id, identity.sealedTokens!);
      assert.equal(typeof kept.idToken, 'string', 'the ID token of the login is kept with the identity, sealed on the server');
      const cookies = [...browser.cookies.values()].join(' ');
      assert.ok(!cookies.includes(kept.idToken!.split('.')[1]!), 'and is in no cookie of the browser');

      const loggedOut = await browser.post(`${demo.base}/logout`, {});
      assert.equal(loggedOut.status, 303, `the logout form redirects: ${loggedOut.status} ${loggedOut.text.slice(0, 200)}`);
      assert.equal(loggedOut.headers.get('cache-control'), 'no-store', 'the redirect, which carries the ID token, is not cached');
      const to = new URL(loggedOut.location!);
      assert.equal(`${to.origin}${to.pathname}`, `${provider.url}/oauth2/logout`, "to Grantry's end_session_endpoint");
      assert.deepEqual(
        Object.fromEntries(to.searchParams),
        { id_token_hint: kept.idToken, client_id: demo.app.client.id, post_logout_redirect_uri: `${demo.siteUrl}/`, ui_locales: 'en' },
        "with the kept ID token as id_token_hint, the site's client_id, its home page to come back to, and the page's language",
      );
      const hint = decodeJwt(kept.idToken!);
      assert.deepEqual([hint.sub, hint.aud], [person.id, demo.app.client.id], 'the hint names the person, and the site as its audience');
      assert.equal(browser.cookies.has('connect_session'), false, "the site's session cookie is cleared");
      assert.equal((await browser.get(`${demo.base}/account`)).location, '/', 'and the site has signed the visitor out');

      const atGrantry = await browser.get(loggedOut.location!);
      assert.equal(atGrantry.status, 303, `Grantry ends its session at once (the hint names the person signed in): ${atGrantry.status} ${atGrantry.text.slice(0, 200)}`);
      assert.equal(atGrantry.location, `${demo.siteUrl}/`, "and sends the browser back to the demo site's home page");
      assert.equal(browser.cookies.has('grantry_session'), false, "Grantry's session cookie is cleared");
      const next = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: demo.app.client.id, redirect_uri: `${demo.siteUrl}/auth/grantry/callback`, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`);
      assert.match(next.location ?? '', /^\/login\?return_to=/, "a following authorization request asks for a sign-in: Grantry's session has ended");
    });

    test('a visitor with no Grantry login at the site (a local account) is only logged out of the site; a logout posted from another site is refused', async () => {
      const browser = new TestBrowser(demo.base);
      const registered = await browser.post('/auth/local/register', { username: 'local-only', displayName: 'Local', password: 'local password 1' });
      assert.equal(registered.location, '/account', 'a local account is made and signed in');
      const forced = await browser.post('/logout', {}, { origin: 'https://attacker.example' });
      assert.equal(forced.status, 403, 'a logout form from another site is refused');
      assert.equal((await browser.get('/account')).status, 200, 'and the visitor is still signed in');
      const loggedOut = await browser.post('/logout', {}, { origin: demo.siteUrl });
      assert.deepEqual([loggedOut.status, loggedOut.location], [303, '/'], 'the site\'s own form logs out and goes home, not to Grantry');
      assert.equal((await browser.get('/account')).location, '/', 'signed out');
    });

    describe('Connect.endSessionUrl', () => {
      let connect: Connect;
      let clientId: string;

      before(async () => {
        const { client, clientSecret } = await provider.registerClient({ appType: 'web', redirectUris: ['https://site.example/auth/grantry/callback'], postLogoutRedirectUris: ['https://site.example/'] });
        clientId = client.id;
        connect = createConnect({
          store: siteStore, secret, siteUrl: 'https://site.example',
          providers: [
            grantry({ issuer: provider.url, clientId, clientSecret: clientSecret! }),
            github({ clientId: 'gh', clientSecret: 'gh-secret' }),
            // Nothing listens on port 9 of this machine: a provider that cannot be reached now.
            grantry({ id: 'unreachable', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' }),
          ],
        });
      });

      /** A site user bound to a Grantry identity, holding these tokens. */
      async function userWithIdentity(subject: string, idToken: string | null) {
        const user = await siteStore.createConnectUser({ username: `site-${subject}`, displayName: subject, passwordHash: null, email: null });
        const identity = await siteStore.recordIdentity({ provider: 'grantry', subject, profile: { name: subject, email: null, emailVerified: false, avatar: null } });
        assert.equal((await siteStore.bindIdentity(identity.id, user.id)).outcome, 'bound', 'the identity is bound to the site user');
        const tokens = { accessToken: 'at', tokenType: 'Bearer', expiresAt: null, refreshToken: null, idToken, scope: 'openid', raw: {} };
        await siteStore.saveIdentityTokens(identity.id, sealTokens(connect.tokenKey, identity.id, tokens), null);
        return { user, identity };
      }

      test('the end_session_endpoint from the metadata, the kept ID token as id_token_hint, client_id, and the options given, exactly', async () => {
        const { user } = await userWithIdentity('sub-with-token', 'header.payload.signature');
        const url = await connect.endSessionUrl(user.id, 'grantry', { postLogoutRedirectUri: 'https://site.example/', state: 'after-logout', uiLocales: 'zh-CN' });
        assert.equal(url, `${provider.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: 'header.payload.signature', client_id: clientId, post_logout_redirect_uri: 'https://site.example/', state: 'after-logout', ui_locales: 'zh-CN' })}`, 'every parameter, in order');
        const bare = await connect.endSessionUrl(user.id, 'grantry');
        assert.equal(bare, `${provider.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: 'header.payload.signature', client_id: clientId })}`, 'without options: the hint and client_id only (the provider shows its own page after)');
      });

      test('no ID token kept (the tokens forgotten, or none issued): client_id alone, so that the provider asks the person', async () => {
        const { user: noIdToken } = await userWithIdentity('sub-without-id-token', null);
        assert.equal(await connect.endSessionUrl(noIdToken.id, 'grantry'), `${provider.url}/oauth2/logout?client_id=${clientId}`, 'an identity whose login brought no ID token: client_id alone');
        const { user: forgotten, identity } = await userWithIdentity('sub-forgotten', 'a.b.c');
        await siteStore.saveIdentityTokens(identity.id, null, null);
        assert.equal(await connect.endSessionUrl(forgotten.id, 'grantry'), `${provider.url}/oauth2/logout?client_id=${clientId}`, 'an identity whose tokens were forgotten: client_id alone');
      });

      test('undefined: a user with no identity at the provider, a provider without end_session_endpoint, an unknown provider, one that cannot be reached', async () => {
        const loner = await siteStore.createConnectUser({ username: 'no-identity', displayName: 'Loner', passwordHash: null, email: null });
        assert.equal(await connect.endSessionUrl(loner.id, 'grantry'), undefined, 'no Grantry identity: nothing to end there');
        const { user } = await userWithIdentity('sub-elsewhere', 'x.y.z');
        assert.equal(await connect.endSessionUrl(user.id, 'github'), undefined, 'GitHub has no end_session_endpoint');
        assert.equal(await connect.endSessionUrl(user.id, 'nobody'), undefined, 'no provider of that id');
        assert.equal(await connect.endSessionUrl(user.id, 'unreachable'), undefined, 'a provider whose metadata cannot be read now: the site logs out alone');
      });
    });
  });
}
