import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/store/index.ts';
import { TestBrowser, csrfFrom } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, getMe, postForm, webAppWithTokens } from './token-fixtures.ts';

const day = 24 * 3600;
const firstDay = 1_767_225_600; // 2026-01-01 00:00 UTC

async function signedIn(provider: RunningProvider) {
  const user = await provider.createUser();
  const browser = new TestBrowser(provider.url);
  assert.equal((await browser.login(user.username, user.password)).status, 303, 'a person with the right password is signed in with a 303');
  return { user, browser };
}

async function grant(provider: RunningProvider, user: User, clientId: string, scope: string, createdAt: number) {
  return provider.store.grants.create({ id: randomUUID(), clientId, userId: user.id, scope, createdAt });
}

for (const kind of storeKinds) {
  describe(`connected apps on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('is for signed-in people only', async () => {
      const response = await new TestBrowser(provider.url).get('/account/apps');
      assert.equal(response.status, 303, 'a stranger is sent to the login page');
      assert.equal(response.location, '/login?return_to=%2Faccount%2Fapps', 'the login page is asked to return to the connected apps page');
    });

    test('lists each app once, with its scopes and the first and last time it was allowed', async () => {
      const { user, browser } = await signedIn(provider);
      const { client: notes } = await provider.registerClient({ appType: 'web', name: 'Notes', homepage: 'https://notes.example' });
      const { client: photos } = await provider.registerClient({ appType: 'spa', name: 'Photos' });
      const { client: gone } = await provider.registerClient({ appType: 'web', name: 'Gone app' });
      await grant(provider, user, notes.id, 'profile', firstDay);
      await grant(provider, user, notes.id, 'profile email', firstDay + 10 * day);
      await grant(provider, user, photos.id, 'profile', firstDay + 2 * day);
      const revoked = await grant(provider, user, gone.id, 'profile', firstDay);
      await provider.store.grants.revoke(revoked.id, 'test');
      // Someone else's grant is not on this person's page.
      const other = await provider.createUser();
      const { client: theirs } = await provider.registerClient({ appType: 'web', name: 'Their app' });
      await grant(provider, other, theirs.id, 'profile', firstDay);

      const page = await browser.get('/account/apps');
      assert.equal(page.status, 200, `a signed-in person gets the connected apps page: ${page.text.slice(0, 300)}`);
      assert.equal(page.headers.get('cache-control'), 'no-store', 'the connected apps page is not cached (Cache-Control: no-store)');
      assert.equal(page.text.match(/data-testid="connected-app"/g)?.length, 2, 'each app with a live grant is listed once: Notes and Photos');
      assert.match(page.text, /<a href="https:\/\/notes\.example" rel="noopener noreferrer">Notes<\/a>/, 'the app name links to its homepage, with noopener noreferrer');
      assert.match(page.text, /Photos/, 'Photos is listed');
      assert.match(page.text, /See your email address <span class="muted">\(<code>email<\/code>\)<\/span>/, 'each scope is shown in words with its code name');
      assert.match(page.text, /First allowed 2026-01-01 00:00 UTC\. Last allowed 2026-01-11 00:00 UTC\./, 'an app allowed twice shows the first and the last time it was allowed');
      assert.match(page.text, /First allowed 2026-01-03 00:00 UTC\./, 'an app allowed once shows the first time it was allowed');
      assert.doesNotMatch(page.text, /Gone app|Their app/, 'an app whose grant was revoked, and someone else\'s app, are not listed');
      assert.ok(page.text.includes(`action="/account/apps/${notes.id}/revoke"`), 'each app has a form to remove its access');
    });

    test('removing access revokes every grant of that person to that app and forgets the consent', async () => {
      const { user, browser } = await signedIn(provider);
      const { client: notes } = await provider.registerClient({ appType: 'web', name: 'Notes' });
      const { client: photos } = await provider.registerClient({ appType: 'web', name: 'Photos' });
      const first = await grant(provider, user, notes.id, 'profile', firstDay);
      const second = await grant(provider, user, notes.id, 'email', firstDay + day);
      const kept = await grant(provider, user, photos.id, 'profile', firstDay);
      const other = await provider.createUser();
      const othersGrant = await grant(provider, other, notes.id, 'profile', firstDay);
      await provider.store.consents.save(user.id, notes.id, { scope: 'profile email', redirectUris: notes.redirectUris, resources: [] });
      await provider.store.consents.save(user.id, photos.id, { scope: 'profile', redirectUris: photos.redirectUris, resources: [] });
      await provider.store.consents.save(other.id, notes.id, { scope: 'profile', redirectUris: notes.redirectUris, resources: [] });

      const page = await browser.get('/account/apps');
      const response = await browser.post(`/account/apps/${notes.id}/revoke`, { csrf_token: csrfFrom(page.text) });
      assert.equal(response.status, 303, 'removing access redirects back to the connected apps page');
      assert.equal(response.location, '/account/apps?revoked=1', 'the redirect says access was revoked');

      for (const { id } of [first, second]) {
        const stored = (await provider.store.grants.find(id))!;
        assert.ok(stored.revokedAt, `grant ${id} is revoked`);
        assert.equal(stored.revokeReason, 'revoked_by_user', `grant ${id} is recorded as revoked by the user`);
      }
      assert.equal((await provider.store.grants.find(kept.id))!.revokedAt, null, 'the grant to another app is kept');
      assert.equal((await provider.store.grants.find(othersGrant.id))!.revokedAt, null, 'another person\'s grant to the same app is kept');
      assert.equal(await provider.store.consents.find(user.id, notes.id), undefined, 'the consent to the app is forgotten');
      assert.equal((await provider.store.consents.find(user.id, photos.id))?.scope, 'profile', 'the consent to another app is kept');
      assert.equal((await provider.store.consents.find(other.id, notes.id))?.scope, 'profile', 'another person\'s consent to the same app is kept');

      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ event: 'app_access_revoked', userId: user.id, limit: 10 });
      assert.equal(events.length, 1, 'removing access is audited once');
      assert.equal(events[0]!.clientId, notes.id, 'the audit event names the app');
      assert.equal(events[0]!.ip, '127.0.0.1', 'the audit event records the IP address');
      assert.deepEqual((events[0]!.detail!.grant_ids as string[]).sort(), [first.id, second.id].sort(), 'the audit event lists every revoked grant');

      const after = await browser.get(response.location!);
      assert.match(after.text, /Access revoked\. That app can no longer use your account\./, 'the page says access was revoked');
      assert.doesNotMatch(after.text, />Notes</, 'the app whose access was removed is no longer listed');
      assert.match(after.text, /Photos/, 'the other app is still listed');
    });

    test("after removing access, the app's access and refresh tokens stop working", async () => {
      for (const tokenFormat of ['jwt', 'opaque'] as const) {
        const { client, clientSecret, user, tokens } = await webAppWithTokens(provider, { tokenFormat });
        assert.equal((await getMe(provider, tokens.access_token)).status, 200, `${tokenFormat}: the access token works before access is removed`);
        const browser = new TestBrowser(provider.url);
        assert.equal((await browser.login(user.username, user.password)).status, 303, 'a person with the right password is signed in with a 303');
        const page = await browser.get('/account/apps');
        assert.ok(page.text.includes(`/account/apps/${client.id}/revoke`), `${tokenFormat}: the app is listed with a form to remove its access`);
        assert.equal(
          (await browser.post(`/account/apps/${client.id}/revoke`, { csrf_token: csrfFrom(page.text) })).status,
          303,
          `${tokenFormat}: removing access redirects back with a 303`,
        );

        assert.equal((await getMe(provider, tokens.access_token)).status, 401, tokenFormat);
        const refreshed = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicAuth(client.id, clientSecret));
        assert.equal(refreshed.status, 400, tokenFormat);
        assert.equal(refreshed.body.error, 'invalid_grant', `${tokenFormat}: the refresh token of the removed app is invalid_grant`);
      }
    });

    test('without a valid CSRF token nothing is revoked (403)', async () => {
      const { user, browser } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', name: 'Kept' });
      const kept = await grant(provider, user, client.id, 'profile', firstDay);
      await provider.store.consents.save(user.id, client.id, { scope: 'profile', redirectUris: client.redirectUris, resources: [] });
      const stolen = csrfFrom((await new TestBrowser(provider.url).get('/login')).text);
      for (const csrf of ['', 'forged', stolen]) {
        const response = await browser.post(`/account/apps/${client.id}/revoke`, { csrf_token: csrf });
        assert.equal(response.status, 403, `a revoke with CSRF token "${csrf.slice(0, 10)}" is refused with 403`);
      }
      assert.equal((await provider.store.grants.find(kept.id))!.revokedAt, null, 'without a valid CSRF token the grant is not revoked');
      assert.equal((await provider.store.consents.find(user.id, client.id))?.scope, 'profile', 'without a valid CSRF token the consent is kept');
    });

    test('app names and scopes are shown escaped', async () => {
      const { user, browser } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', name: '<script>alert(1)</script>' });
      await grant(provider, user, client.id, 'profile', firstDay);
      const page = await browser.get('/account/apps');
      assert.ok(!page.text.includes('<script>alert(1)</script>'), 'a hostile app name is not shown as markup');
      assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'a hostile app name is shown escaped');
    });

    test('odd app ids are never a server error', async () => {
      const { browser } = await signedIn(provider);
      const csrf = csrfFrom((await browser.get('/account/apps')).text);
      for (const id of ['%00', 'no-such-app', '%F0%9F%98%80', "'%20or%201=1--"]) {
        const response = await browser.post(`/account/apps/${id}/revoke`, { csrf_token: csrf });
        assert.equal(response.status, 303, id);
      }
      const json = await fetch(`${provider.url}/account/apps/x/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
      assert.equal(json.status, 403, 'a JSON post to remove access is refused with 403 (no CSRF token)');
    });
  });
}
