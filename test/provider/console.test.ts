import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import { TestBrowser, csrfFrom, inputValue } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { registerThroughForm, rotateThroughForm } from '../helpers/console.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

const secretPattern = /data-testid="app-secret">([^<]+)<\/code>/;
const appKeyPattern = /data-testid="app-key">([^<]+)<\/code>/;

async function signedIn(provider: RunningProvider) {
  const user = await provider.createUser();
  const browser = new TestBrowser(provider.url);
  assert.equal((await browser.login(user.username, user.password)).status, 303, 'a registered user signs in with a 303');
  return { user, browser };
}

/** The textarea's content, unescaped the way a browser would. */
function textareaValue(page: string, name: string): string | undefined {
  const raw = new RegExp(`<textarea[^>]*name="${name}"[^>]*>([^<]*)</textarea>`).exec(page)?.[1];
  return raw?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

for (const kind of storeKinds) {
  describe(`developer console on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { scopes: { 'notes:read': 'Read your notes' } })));
    after(() => provider.close());

    test('is for signed-in people only: others are sent to log in, then back', async () => {
      const browser = new TestBrowser(provider.url);
      for (const path of ['/console', '/console/apps/new', '/console/apps/0123456789abcdef0123456789abcdef']) {
        const response = await browser.get(path);
        assert.equal(response.status, 303, path);
        assert.equal(
          response.location,
          `/login?return_to=${encodeURIComponent(path)}`,
          'a signed-out visitor is sent to log in, with the way back in return_to',
        );
      }
      const user = await provider.createUser();
      const login = await browser.get('/login?return_to=%2Fconsole');
      const response = await browser.post('/login', {
        username: user.username, password: user.password, csrf_token: csrfFrom(login.text), return_to: inputValue(login.text, 'return_to')!,
      });
      assert.equal(response.location, '/console', 'after signing in, the user is sent back to the console');
      const page = await browser.get('/console');
      assert.equal(page.status, 200, 'the console answers 200 once signed in');
      assert.match(page.text, /You have no apps yet/, 'a user without apps is told they have none yet');
      assert.ok(page.text.includes('href="/console/apps/new"'), 'the empty console links to the registration form');
    });

    test('the registration form explains each app type in plain words', async () => {
      const { browser } = await signedIn(provider);
      const form = await browser.get('/console/apps/new');
      for (const type of ['web', 'spa', 'native', 'service']) assert.ok(form.text.includes(`value="${type}"`), type);
      assert.match(form.text, /Web app with a server/, 'the form explains the web app type');
      assert.match(form.text, /runs in the visitor’s browser/, 'the form explains the browser (spa) app type');
      assert.match(form.text, /Mobile or desktop app/, 'the form explains the native app type');
      assert.match(form.text, /machine to machine/, 'the form explains the service (machine to machine) app type');
      for (const label of ['App name', 'Description', 'Homepage', 'Callback URLs']) assert.ok(form.text.includes(`>${label}</label>`), label);
      assert.match(form.text, /<label for="redirect_uris">Callback URLs<\/label>/, 'the callback URLs field has its label');
      assert.match(form.text, /<button type="submit" class="primary">Register app<\/button>/, 'the form has a Register app button');
    });

    test('a web app gets its App Key and, once only, its App Secret', async () => {
      const { browser, user } = await signedIn(provider);
      const response = await registerThroughForm(browser, {
        name: 'Notes', description: 'A notebook', homepage: 'https://notes.example', app_type: 'web',
        redirect_uris: 'https://notes.example/callback\r\n\r\nhttp://localhost:8080/cb\n',
      });
      assert.equal(response.status, 200, "registering a web app leads to the app's page");
      assert.equal(response.headers.get('cache-control'), 'no-store', 'the page that shows the App Secret is not cached');
      const appKey = appKeyPattern.exec(response.text)![1]!;
      const secret = secretPattern.exec(response.text)![1]!;
      assert.match(response.text, /it will not be shown again/, 'the user is warned that the secret will not be shown again');

      const client = (await provider.store.clients.find(appKey))!;
      assert.equal(client.ownerId, user.id, 'the app belongs to the user who registered it');
      assert.equal(client.appType, 'web', 'the app is stored as a web app');
      assert.equal(client.secretHash, sha256(secret), 'only the hash of the shown App Secret is stored');
      assert.deepEqual(
        client.redirectUris,
        ['https://notes.example/callback', 'http://localhost:8080/cb'],
        'the callback URLs are stored one a line, blank lines dropped',
      );
      assert.equal(client.trusted, false, 'an app registered in the console is never trusted');
      assert.equal(client.pkceRequired, true, 'a new web app requires PKCE');

      const later = await browser.get(`/console/apps/${appKey}`);
      assert.equal(later.status, 200, "the app's page answers 200");
      assert.ok(!later.text.includes(secret), 'the secret must not be shown again');
      assert.doesNotMatch(later.text, secretPattern, "the app's page has no App Secret");
      assert.ok(later.text.includes(appKey), "the app's page shows its App Key");
      assert.match(later.text, /A notebook/, "the app's page shows its description");
      assert.match(later.text, /https:\/\/notes\.example/, "the app's page shows its homepage");

      const list = await browser.get('/console');
      assert.ok(list.text.includes(`href="/console/apps/${appKey}"`), "the console's list links to the new app");
      assert.ok(!list.text.includes(secret), "the console's list does not show the secret");
    });

    test('the console counts the users who allowed each app', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', name: 'Counted', ownerId: user.id });
      const row = async () => {
        const page = await browser.get('/console');
        return new RegExp(`<code>${client.id}</code></td>\\s*<td[^>]*>(\\d+)</td>`).exec(page.text)?.[1];
      };
      assert.equal(await row(), '0', 'an app nobody allowed counts 0 users');
      for (const person of [await provider.createUser(), await provider.createUser()]) {
        for (let i = 0; i < 2; i++) {
          await provider.store.grants.create({ id: randomUUID(), clientId: client.id, userId: person.id, scope: 'profile', createdAt: 1_700_000_000 });
        }
      }
      assert.equal(await row(), '2', 'two users with two grants each count as 2 users');
      assert.match(
        (await browser.get(`/console/apps/${client.id}`)).text,
        /data-testid="usage-users">2</,
        "the app's page shows the same count of users",
      );
    });

    test('public apps get no secret and always require PKCE', async () => {
      const { browser } = await signedIn(provider);
      for (const appType of ['spa', 'native']) {
        const response = await registerThroughForm(browser, { name: `My ${appType}`, app_type: appType, redirect_uris: 'http://127.0.0.1:5173/cb' });
        assert.equal(response.status, 200, `registering a ${appType} app leads to its page`);
        assert.doesNotMatch(response.text, secretPattern, `a ${appType} app is shown no App Secret`);
        assert.doesNotMatch(response.text, /Rotate secret/, `a ${appType} app is not offered to rotate a secret`);
        const client = (await provider.store.clients.find(appKeyPattern.exec(response.text)![1]!))!;
        assert.equal(client.secretHash, null, `a ${appType} app is stored without a secret`);
        assert.equal(client.pkceRequired, true, `a ${appType} app always requires PKCE`);
      }
    });

    test('a refused registration says why, keeps what was entered, and stores nothing', async () => {
      const { browser, user } = await signedIn(provider);
      const cases: [Record<string, string>, RegExp][] = [
        [{ redirect_uris: 'http://notes.example/cb' }, /“http:\/\/notes\.example\/cb” uses http\. Use https/],
        [{ redirect_uris: 'https://notes.example/cb#frag' }, /“https:\/\/notes\.example\/cb#frag” has a #fragment/],
        [{ redirect_uris: 'not a url' }, /“not a url” is not a full address/],
        [{ redirect_uris: '' }, /Add at least one callback URL/],
        [{ app_type: '' }, /Choose the type of your app\./],
        [{ app_type: 'mainframe' }, /Choose the type of your app\./],
        [{ name: '   ' }, /Give your app a name\./],
        [{ homepage: 'ftp://x.example' }, /The homepage “ftp:\/\/x\.example” is not an http or https address\./],
      ];
      for (const [change, message] of cases) {
        const fields = { name: 'Keep <me>', description: 'Kept too', homepage: '', app_type: 'web', redirect_uris: 'https://ok.example/cb', ...change };
        const response = await registerThroughForm(browser, fields);
        assert.equal(response.status, 400, JSON.stringify(change));
        assert.match(response.text, message, `the refusal says why for ${JSON.stringify(change)}`);
        if (!change.name) assert.equal(inputValue(response.text, 'name'), 'Keep <me>', `the name entered is kept for ${JSON.stringify(change)}`);
        assert.equal(textareaValue(response.text, 'description'), 'Kept too', `the description entered is kept for ${JSON.stringify(change)}`);
        assert.equal(
          textareaValue(response.text, 'redirect_uris'),
          fields.redirect_uris,
          `the callback URLs entered are kept for ${JSON.stringify(change)}`,
        );
      }
      assert.deepEqual(await provider.store.clients.list(user.id), [], 'no refused registration stores an app');
    });

    test('registering without a valid CSRF token is refused with 403 and creates nothing', async () => {
      const { browser, user } = await signedIn(provider);
      for (const csrf of ['', 'forged']) {
        const response = await browser.post('/console/apps/new', { csrf_token: csrf, name: 'CSRF', app_type: 'service' });
        assert.equal(response.status, 403, `a registration with the CSRF token ${JSON.stringify(csrf)} is refused with 403`);
      }
      assert.deepEqual(await provider.store.clients.list(user.id), [], 'a registration refused for its CSRF token stores no app');
    });

    test('an app name is shown escaped everywhere', async () => {
      const { browser } = await signedIn(provider);
      const name = '<script>alert(1)</script>';
      const response = await registerThroughForm(browser, { name, app_type: 'service', description: '"><img src=x onerror=alert(2)>' });
      assert.equal(response.status, 200, 'registering an app with markup in its name leads to its page');
      const appKey = appKeyPattern.exec(response.text)![1]!;
      for (const page of [response.text, (await browser.get('/console')).text, (await browser.get(`/console/apps/${appKey}`)).text]) {
        assert.ok(!page.includes('<script>alert(1)</script>'), 'the name is never shown as a live script tag');
        assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the name is shown escaped');
        assert.ok(!page.includes('<img src=x'), 'the description is never shown as a live img tag');
      }
    });

    test('rotating the secret shows the new one once; the old one stops working', async () => {
      const { browser, user } = await signedIn(provider);
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.match(page.text, /Rotate secret/, "a web app's page offers to rotate its secret");
      const rotateCsrf = csrfFrom(page.text);

      const refused = await browser.post(`/console/apps/${client.id}/rotate-secret`, { csrf_token: 'forged' });
      assert.equal(refused.status, 403, 'rotating with a forged CSRF token is refused with 403');
      assert.equal((await provider.store.clients.find(client.id))!.secretHash, sha256(clientSecret!), 'a refused rotation keeps the old secret');

      const response = await rotateThroughForm(browser, client.id, rotateCsrf);
      assert.equal(response.status, 200, "rotating the secret leads to the app's page with the new one");
      const secret = secretPattern.exec(response.text)![1]!;
      assert.notEqual(secret, clientSecret, 'the new secret differs from the old one');
      assert.match(response.text, /will not be shown again/, 'the user is warned that the new secret will not be shown again');
      const stored = (await provider.store.clients.find(client.id))!;
      assert.equal(stored.secretHash, sha256(secret), 'only the hash of the new secret is stored');
      assert.notEqual(stored.secretHash, sha256(clientSecret!), 'the old secret is no longer stored');
      assert.ok(!(await browser.get(`/console/apps/${client.id}`)).text.includes(secret), "the app's page does not show the new secret again");

      // Through the token endpoint: the new secret gets a token, the old one is an unknown client.
      const token = (clientSecretValue: string) =>
        fetch(`${provider.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: service.id, client_secret: clientSecretValue }),
        });
      const { client: service, clientSecret: serviceSecret } = await provider.registerClient({ appType: 'service', ownerId: user.id });
      assert.equal((await token(serviceSecret!)).status, 200, 'the service app gets a token with its first secret');
      const rotated = await rotateThroughForm(browser, service.id, rotateCsrf);
      const newServiceSecret = secretPattern.exec(rotated.text)![1]!;
      const refusedOld = await token(serviceSecret!);
      assert.equal(refusedOld.status, 401, 'the old secret is refused with 401 after a rotation');
      assert.equal((await refusedOld.json()).error, 'invalid_client', 'the old secret is an unknown client (invalid_client)');
      assert.equal((await token(newServiceSecret)).status, 200, 'the new secret gets a token');

      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ event: 'app_secret_rotated', userId: user.id, limit: 10 });
      assert.deepEqual(events.map((e) => e.clientId).sort(), [client.id, service.id].sort(), 'each rotation is in the audit log, with its app');
    });

    test('advanced settings change redirect URIs, scopes, PKCE and token format', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      for (const scope of ['profile', 'email', 'notes:read']) assert.ok(page.text.includes(`name="scopes" id="scope-${scope}" value="${scope}"`), scope);
      const response = await browser.post(`/console/apps/${client.id}/advanced`, {
        csrf_token: csrfFrom(page.text),
        redirect_uris: 'https://new.example/cb\nhttp://[::1]:3000/cb',
        scopes: 'notes:read',
        token_format: 'opaque',
        // pkce_required left out: a confidential (legacy) app may turn it off
      });
      assert.equal(response.status, 303, 'saving the advanced settings redirects with 303');
      assert.equal(response.location, `/console/apps/${client.id}?saved=1`, "saving sends the user back to the app's page, marked saved");
      const stored = (await provider.store.clients.find(client.id))!;
      assert.deepEqual(stored.redirectUris, ['https://new.example/cb', 'http://[::1]:3000/cb'], 'the new callback URLs are stored');
      assert.deepEqual(stored.scopes, ['notes:read'], 'the chosen scopes are stored');
      assert.equal(stored.tokenFormat, 'opaque', 'the chosen token format is stored');
      assert.equal(stored.pkceRequired, false, 'a confidential app may turn PKCE off');
      const saved = await browser.get(response.location!);
      assert.match(saved.text, /Saved\./, 'the page says the settings were saved');
      assert.match(
        saved.text,
        /name="pkce_required" id="pkce_required" value="1" aria-describedby="pkce-hint">/,
        'the PKCE box shows unchecked and can be changed',
      );
    });

    test('a public app cannot turn PKCE off, whatever the form says', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'native', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.match(page.text, /id="pkce_required" checked disabled/, "a public app's PKCE box is checked and disabled");
      const response = await browser.post(`/console/apps/${client.id}/advanced`, {
        csrf_token: csrfFrom(page.text), redirect_uris: 'https://app.example/callback', scopes: 'profile', token_format: 'jwt', pkce_required: '',
      });
      assert.equal(response.status, 303, "saving a public app's advanced settings redirects with 303");
      assert.equal(
        (await provider.store.clients.find(client.id))!.pkceRequired,
        true,
        'a public app still requires PKCE after a form without pkce_required',
      );
    });

    test('a browser app may turn the implicit grant on and off, next to a warning about it', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'spa', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.match(page.text, /Allow the implicit grant/, 'a browser app is offered the implicit grant');
      assert.match(page.text, /URL\s+fragment/, 'the warning says the token travels in the URL fragment');
      assert.match(page.text, /browser history/, 'the warning mentions the browser history');
      assert.match(page.text, /no refresh token/, 'the warning says there is no refresh token');
      assert.match(page.text, /authorization-code flow with PKCE/, 'the warning points to the authorization-code flow with PKCE');
      const save = (implicit: boolean) =>
        browser.post(`/console/apps/${client.id}/advanced`, {
          csrf_token: csrfFrom(page.text), redirect_uris: 'https://app.example/callback', scopes: 'profile', token_format: 'jwt',
          ...(implicit ? { implicit: '1' } : {}),
        });
      assert.equal((await save(true)).status, 303, 'turning the implicit grant on redirects with 303');
      assert.deepEqual(
        (await provider.store.clients.find(client.id))!.grantTypes,
        ['authorization_code', 'refresh_token', 'implicit'],
        'the implicit grant is added to the grant types',
      );
      assert.match(
        (await browser.get(`/console/apps/${client.id}`)).text,
        /name="implicit" id="implicit" value="1" checked/,
        'the implicit box shows checked once saved',
      );
      assert.equal((await save(false)).status, 303, 'turning the implicit grant off redirects with 303');
      assert.deepEqual(
        (await provider.store.clients.find(client.id))!.grantTypes,
        ['authorization_code', 'refresh_token'],
        'the implicit grant is removed from the grant types',
      );

      // Only spa apps are offered it, and a forged field on another type does nothing.
      const { client: web } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const webPage = await browser.get(`/console/apps/${web.id}`);
      assert.doesNotMatch(webPage.text, /implicit grant/, 'a web app is not offered the implicit grant');
      await browser.post(`/console/apps/${web.id}/advanced`, {
        csrf_token: csrfFrom(webPage.text), redirect_uris: 'https://app.example/callback', scopes: 'profile', token_format: 'jwt', implicit: '1',
      });
      assert.ok(
        !(await provider.store.clients.find(web.id))!.grantTypes.includes('implicit'),
        'a forged implicit field does not give a web app the implicit grant',
      );
    });

    test('a forged trusted=1 (or grant_types) field has no effect, on registration or in the settings', async () => {
      const { browser, user } = await signedIn(provider);
      const response = await registerThroughForm(browser, {
        name: 'Sneaky', app_type: 'web', redirect_uris: 'https://sneaky.example/cb', trusted: '1', grant_types: 'password', owner_id: 'someone-else',
      });
      assert.equal(response.status, 200, 'a registration with forged fields still leads to the app\'s page');
      const id = appKeyPattern.exec(response.text)![1]!;
      let stored = (await provider.store.clients.find(id))!;
      assert.equal(stored.trusted, false, 'a forged trusted field on registration does not make the app trusted');
      assert.equal(stored.ownerId, user.id, 'a forged owner_id on registration does not change the owner');
      assert.deepEqual(
        stored.grantTypes,
        ['authorization_code', 'refresh_token'],
        'a forged grant_types on registration does not add the password grant',
      );

      const page = await browser.get(`/console/apps/${id}`);
      for (const path of ['advanced', 'basic']) {
        const saved = await browser.post(`/console/apps/${id}/${path}`, {
          csrf_token: csrfFrom(page.text), name: 'Sneaky', redirect_uris: 'https://sneaky.example/cb', scopes: 'profile', token_format: 'jwt',
          trusted: '1', grant_types: 'password', secretHash: 'x', owner_id: 'someone-else', pkce_required: '1',
        });
        assert.equal(saved.status, 303, path);
      }
      stored = (await provider.store.clients.find(id))!;
      assert.equal(stored.trusted, false, 'a forged trusted field in the settings does not make the app trusted');
      assert.equal(stored.ownerId, user.id, 'a forged owner_id in the settings does not change the owner');
      assert.deepEqual(
        stored.grantTypes,
        ['authorization_code', 'refresh_token'],
        'a forged grant_types in the settings does not add the password grant',
      );
      assert.notEqual(stored.secretHash, 'x', 'a forged secretHash in the settings is not stored');
    });

    test('refused advanced settings say why, keep the entries and change nothing', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      const cases: [Record<string, string>, RegExp][] = [
        [{ redirect_uris: 'http://evil.example/cb' }, /id="redirect_uris-error" data-testid="redirect_uris-error">“http:\/\/evil\.example\/cb” uses http/],
        [{ redirect_uris: 'https://a.example/cb#x' }, /data-testid="redirect_uris-error">“https:\/\/a\.example\/cb#x” has a #fragment/],
        [{ redirect_uris: '' }, /data-testid="redirect_uris-error">Add at least one callback URL/],
        [{ scopes: '' }, /Choose at least one scope/],
        [{ scopes: 'admin' }, /The scope “admin” is not one this provider has\./],
        [{ token_format: 'paper' }, /Choose JWT or opaque access tokens\./],
      ];
      for (const [change, message] of cases) {
        const fields = { csrf_token: csrfFrom(page.text), redirect_uris: 'https://ok.example/cb', scopes: 'profile', token_format: 'jwt', ...change };
        const response = await browser.post(`/console/apps/${client.id}/advanced`, fields);
        assert.equal(response.status, 400, JSON.stringify(change));
        assert.match(response.text, message, `the refusal says why for ${JSON.stringify(change)}`);
        assert.equal(
          textareaValue(response.text, 'redirect_uris'),
          fields.redirect_uris,
          `the callback URLs entered are kept for ${JSON.stringify(change)}`,
        );
      }
      const refused = await browser.post(`/console/apps/${client.id}/advanced`, { csrf_token: 'forged', redirect_uris: 'https://x.example/cb', scopes: 'email', token_format: 'opaque' });
      assert.equal(refused.status, 403, 'advanced settings with a forged CSRF token are refused with 403');
      assert.deepEqual(await provider.store.clients.find(client.id), client, 'refused advanced settings change nothing');
    });

    // Issue 13, finding 4: a hijacked console session (a stolen cookie) added a redirect URI and
    // collected codes. Changes that could send codes and tokens somewhere new need a sign-in within
    // login.reauthenticationSeconds (10 minutes).
    test('a change that could send codes elsewhere needs a recent sign-in; others do not', async () => {
      const owner = await provider.createUser();
      const stale = new TestBrowser(provider.url);
      await signIn(provider, stale, owner, { secondsAgo: 11 * 60 });
      const callback = 'https://app.example/callback';
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback] });
      const { client: spa } = await provider.registerClient({ appType: 'spa', ownerId: owner.id, redirectUris: [callback] });
      const page = await stale.get(`/console/apps/${client.id}`);
      assert.equal(page.status, 200, 'an old sign-in still shows the app');
      assert.ok(
        page.text.includes(`data-testid="sign-in-again-link">`) && page.text.includes(`href="/login?return_to=${encodeURIComponent(`/console/apps/${client.id}`)}"`),
        'the page says some changes need a fresh sign-in, with a link that comes back here',
      );
      const csrf = csrfFrom(page.text);
      const advanced = (id: string, fields: Record<string, string>) =>
        stale.post(`/console/apps/${id}/advanced`, { csrf_token: csrf, scopes: 'profile', token_format: 'jwt', pkce_required: '1', ...fields });

      const added = await advanced(client.id, { redirect_uris: `${callback}\nhttps://evil.example/steal` });
      assert.equal(added.status, 403, 'adding a redirect URI with an 11-minute-old sign-in is refused with 403');
      assert.match(added.text, /Nothing was saved: this change needs a sign-in within the last few minutes/, 'the page says why');
      assert.equal(textareaValue(added.text, 'redirect_uris'), `${callback}\nhttps://evil.example/steal`, 'what was entered is kept in the form');
      assert.equal((await advanced(client.id, { redirect_uris: callback, pkce_required: '' })).status, 403, 'turning PKCE off is refused too');
      assert.equal((await advanced(spa.id, { redirect_uris: callback, implicit: '1' })).status, 403, 'turning the implicit grant on is refused too');
      const rotate = await stale.post(`/console/apps/${client.id}/rotate-secret`, { csrf_token: csrf });
      assert.equal(rotate.status, 403, 'rotating the secret is refused too');
      assert.doesNotMatch(rotate.text, secretPattern, 'no secret is shown');
      const stored = (await provider.store.clients.find(client.id))!;
      assert.deepEqual(
        [stored.redirectUris, stored.pkceRequired, stored.secretHash, (await provider.store.clients.find(spa.id))!.grantTypes.includes('implicit')],
        [[callback], true, sha256(clientSecret!), false],
        'nothing refused was stored',
      );
      await provider.ctx.audit.flush();
      const refusals = await provider.store.audit.list({ event: 'app_change_refused', userId: owner.id, limit: 10 });
      assert.deepEqual(
        refusals.map((event) => (event.detail as { changes: string[] }).changes.join(',')).sort(),
        ['implicit_on', 'pkce_off', 'redirect_uri_added', 'secret_rotated'],
        'each refusal is in the audit trail, naming the change',
      );

      // What cannot send codes anywhere new needs nothing more than the session.
      assert.equal((await advanced(client.id, { redirect_uris: callback, scopes: 'email' })).status, 303, 'changing scopes is saved');
      assert.equal((await advanced(client.id, { redirect_uris: '' , scopes: 'profile' })).status, 400, 'removing every redirect URI is refused for its own reason');
      const { client: two } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback, 'https://app.example/two'] });
      assert.equal((await advanced(two.id, { redirect_uris: callback })).status, 303, 'removing a redirect URI is saved');

      // Signing in again, through the link, makes the same change possible.
      const login = await stale.get(`/login?return_to=${encodeURIComponent(`/console/apps/${client.id}`)}`);
      const again = await stale.post('/login', { username: owner.username, password: owner.password, csrf_token: csrfFrom(login.text), return_to: `/console/apps/${client.id}` });
      assert.equal(again.location, `/console/apps/${client.id}`, 'the new sign-in comes back to the app');
      const fresh = await stale.get(`/console/apps/${client.id}`);
      assert.doesNotMatch(fresh.text, /data-testid="sign-in-again"/, 'after a fresh sign-in the page asks for nothing');
      const saved = await stale.post(`/console/apps/${client.id}/advanced`, {
        csrf_token: csrfFrom(fresh.text), redirect_uris: `${callback}\nhttps://app.example/new`, scopes: 'profile', token_format: 'jwt', pkce_required: '1',
      });
      assert.equal(saved.status, 303, 'after a fresh sign-in the redirect URI is added');
      assert.equal((await rotateThroughForm(stale, client.id, csrfFrom(fresh.text))).status, 200, 'and the secret rotated');
    });

    test('OpenID Connect settings: the ID token algorithm and logout return URLs; adding a URL needs a recent sign-in; a bad one is refused on its field', async () => {
      const owner = await provider.createUser();
      const callback = 'https://app.example/callback';
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback] });
      const recent = new TestBrowser(provider.url);
      await signIn(provider, recent, owner);
      const page = await recent.get(`/console/apps/${client.id}`);
      assert.match(page.text, /<option value="RS256" selected>RS256<\/option>/, 'RS256 is shown as the algorithm of an app that chose none');
      const form = { csrf_token: csrfFrom(page.text), redirect_uris: callback, scopes: 'openid', token_format: 'jwt', pkce_required: '1' };
      const saved = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, id_token_alg: 'EdDSA', post_logout_redirect_uris: 'https://app.example/bye\nhttps://app.example/bye' });
      assert.equal(saved.status, 303, 'saved');
      const stored = (await provider.store.clients.find(client.id))!;
      assert.equal(stored.idTokenSignedResponseAlg, 'EdDSA', 'the algorithm is stored');
      assert.deepEqual(stored.postLogoutRedirectUris, ['https://app.example/bye'], 'the logout return URL is stored once');

      const bad = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, post_logout_redirect_uris: 'http://app.example/bye' });
      assert.equal(bad.status, 400, 'an http logout URL off loopback is refused');
      assert.match(bad.text, /data-testid="post_logout_redirect_uris-error">A logout return URL breaks a rule of callback URLs: http:\/\/app\.example\/bye</, 'on its own field');
      const wrongAlg = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, id_token_alg: 'none' });
      assert.equal(wrongAlg.status, 400, 'alg none is refused');
      assert.equal((await provider.store.clients.find(client.id))!.idTokenSignedResponseAlg, 'EdDSA', 'and nothing changed');

      const stale = new TestBrowser(provider.url);
      await signIn(provider, stale, owner, { secondsAgo: 20 * 60 });
      const stalePage = await stale.get(`/console/apps/${client.id}`);
      const refused = await stale.post(`/console/apps/${client.id}/advanced`, { ...form, csrf_token: csrfFrom(stalePage.text), post_logout_redirect_uris: 'https://app.example/bye\nhttps://evil.example/' });
      assert.equal(refused.status, 403, 'adding a logout return URL with a 20-minute-old sign-in is refused');
      assert.deepEqual((await provider.store.clients.find(client.id))!.postLogoutRedirectUris, ['https://app.example/bye'], 'and not saved');
      const removed = await stale.post(`/console/apps/${client.id}/advanced`, { ...form, csrf_token: csrfFrom(stalePage.text), post_logout_redirect_uris: '' });
      assert.equal(removed.status, 303, 'removing one needs nothing more than the session');
      assert.equal((await provider.store.clients.find(client.id))!.postLogoutRedirectUris, undefined, 'none left');
    });

    test('the back-channel logout URL and the subject type: set on the advanced form, a new URL needs a recent sign-in, bad ones are refused on their field', async () => {
      const owner = await provider.createUser();
      const callback = 'https://app.example/callback';
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback] });
      const recent = new TestBrowser(provider.url);
      await signIn(provider, recent, owner);
      const page = await recent.get(`/console/apps/${client.id}`);
      assert.match(page.text, /<option value="public" selected>/, 'public subjects are shown for an app that chose none');
      const form = { csrf_token: csrfFrom(page.text), redirect_uris: callback, scopes: 'openid', token_format: 'jwt', pkce_required: '1' };
      const saved = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, backchannel_logout_uri: 'https://app.example/backchannel', subject_type: 'pairwise' });
      assert.equal(saved.status, 303, `saved: ${saved.text.slice(0, 200)}`);
      const stored = (await provider.store.clients.find(client.id))!;
      assert.deepEqual([stored.backchannelLogoutUri, stored.subjectType], ['https://app.example/backchannel', 'pairwise'], 'both are stored');

      const http = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, backchannel_logout_uri: 'http://app.example/backchannel' });
      assert.equal(http.status, 400, 'an http back-channel URL is refused');
      assert.match(http.text, /data-testid="backchannel_logout_uri-error">The back-channel logout URL must be an https URL without a fragment: http:\/\/app\.example\/backchannel</, 'on its own field');
      const elsewhere = await recent.post(`/console/apps/${client.id}/advanced`, { ...form, redirect_uris: `${callback}\nhttps://other.example/cb`, subject_type: 'pairwise' });
      assert.equal(elsewhere.status, 400, 'a pairwise app\'s owner may not add a callback on another host');
      assert.match(elsewhere.text, /data-testid="redirect_uris-error">Your app’s user ids are those of its host: a callback URL on another host \(https:\/\/other\.example\/cb\) needs an operator\./, 'on the callback field');
      const { client: twoHosted } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback, 'https://other.example/cb'] });
      const twoHostsPage = await recent.get(`/console/apps/${twoHosted.id}`);
      const twoHosts = await recent.post(`/console/apps/${twoHosted.id}/advanced`, { ...form, csrf_token: csrfFrom(twoHostsPage.text), redirect_uris: `${callback}\nhttps://other.example/cb`, subject_type: 'pairwise' });
      assert.equal(twoHosts.status, 400, 'pairwise with callbacks on two hosts is refused');
      assert.match(twoHosts.text, /data-testid="subject_type-error">Pairwise ids need every callback URL on one host/, 'on the subject type field');

      const stale = new TestBrowser(provider.url);
      await signIn(provider, stale, owner, { secondsAgo: 20 * 60 });
      const stalePage = await stale.get(`/console/apps/${client.id}`);
      const moved = await stale.post(`/console/apps/${client.id}/advanced`, { ...form, csrf_token: csrfFrom(stalePage.text), backchannel_logout_uri: 'https://evil.example/collect' });
      assert.equal(moved.status, 403, 'pointing logout tokens somewhere new with a 20-minute-old sign-in is refused');
      assert.equal((await provider.store.clients.find(client.id))!.backchannelLogoutUri, 'https://app.example/backchannel', 'and not saved');
      const cleared = await stale.post(`/console/apps/${client.id}/advanced`, { ...form, csrf_token: csrfFrom(stalePage.text), backchannel_logout_uri: '', subject_type: 'pairwise' });
      assert.equal(cleared.status, 303, 'clearing it needs nothing more than the session');
      assert.equal((await provider.store.clients.find(client.id))!.backchannelLogoutUri, undefined, 'none left');
    });

    test('a sign-in just inside login.reauthenticationSeconds is recent enough', async () => {
      const owner = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner, { secondsAgo: 9 * 60 });
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: ['https://app.example/callback'] });
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.doesNotMatch(page.text, /data-testid="sign-in-again"/, 'a 9-minute-old sign-in is not asked to sign in again');
      const response = await browser.post(`/console/apps/${client.id}/advanced`, {
        csrf_token: csrfFrom(page.text), redirect_uris: 'https://app.example/callback\nhttps://app.example/other', scopes: 'profile', token_format: 'jwt', pkce_required: '1',
      });
      assert.equal(response.status, 303, 'the redirect URI is added');
    });

    // Issue 14: reloading the page shown after registering submitted the form again and made a second app.
    test('registering and rotating redirect after the POST: a reload makes nothing again, and the secret is shown once', async () => {
      const { browser, user } = await signedIn(provider);
      const form = await browser.get('/console/apps/new');
      const posted = await browser.post('/console/apps/new', { csrf_token: csrfFrom(form.text), name: 'Reloaded', app_type: 'web', redirect_uris: 'https://reload.example/cb' });
      assert.equal(posted.status, 303, 'registering answers 303');
      const carried = posted.headers.getSetCookie().find((cookie) => cookie.startsWith('grantry_new_secret='));
      assert.ok(carried, 'the new secret travels to the next page in a cookie');
      assert.match(carried!, /Path=\/console\/apps\/[0-9a-f]{32};/, 'for that app\'s page only');
      assert.match(carried!, /HttpOnly/, 'HttpOnly');
      assert.match(carried!, /SameSite=Strict/, 'strictly same-site');
      assert.match(carried!, /Max-Age=120/, 'for two minutes at most');
      const page = await browser.get(posted.location!);
      const secret = secretPattern.exec(page.text)?.[1];
      assert.ok(secret, 'the app\'s page shows the new secret');
      assert.ok(!carried!.includes(secret!), 'the cookie holds the secret sealed, not in plain');
      assert.match(page.text, /Your app is registered\. Its App Key is/, 'and says the app is registered');
      const reloaded = await browser.get(posted.location!);
      assert.doesNotMatch(reloaded.text, secretPattern, 'a reload does not show the secret again');
      assert.equal((await provider.store.clients.list(user.id)).filter((client) => client.name === 'Reloaded').length, 1, 'and registers nothing more');
      // A carried cookie replayed to another app's page (or after its two minutes) shows nothing.
      const { client: other } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      browser.cookies.set('grantry_new_secret', /grantry_new_secret=([^;]+)/.exec(carried!)![1]!);
      assert.doesNotMatch((await browser.get(`/console/apps/${other.id}`)).text, secretPattern, "another app's page does not open it");

      const id = /\/console\/apps\/([0-9a-f]{32})/.exec(posted.location!)![1]!;
      const rotation = await browser.post(`/console/apps/${id}/rotate-secret`, { csrf_token: csrfFrom(reloaded.text) });
      assert.equal(rotation.status, 303, 'rotating answers 303');
      const rotatedPage = await browser.get(rotation.location!);
      const rotated = secretPattern.exec(rotatedPage.text)?.[1];
      assert.ok(rotated && rotated !== secret, 'the page shows the new secret');
      const stored = (await provider.store.clients.find(id))!.secretHash;
      assert.equal(stored, sha256(rotated!), 'which is the one stored');
      const again = await browser.get(rotation.location!);
      assert.doesNotMatch(again.text, secretPattern, 'a reload shows it no more');
      assert.equal((await provider.store.clients.find(id))!.secretHash, stored, 'and rotates nothing more');
    });

    test('an owner deletes an app after typing its name; every token it held stops working, and the deletion is audited', async () => {
      const { browser, user } = await signedIn(provider);
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', ownerId: user.id, name: 'Doomed', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
      const { client: kept } = await provider.registerClient({ appType: 'web', ownerId: user.id, name: 'Kept' });
      const auth = `Basic ${Buffer.from(`${client.id}:${clientSecret}`).toString('base64')}`;
      const tokenFor = async (format: 'jwt' | 'opaque') => {
        await provider.store.clients.update(client.id, { tokenFormat: format });
        const response = await fetch(`${provider.url}/oauth2/token`, {
          method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
        });
        return ((await response.json()) as { access_token: string }).access_token;
      };
      const [jwt, opaque] = [await tokenFor('jwt'), await tokenFor('opaque')];
      const person = await provider.createUser();
      const grant = await provider.store.grants.create({ id: randomUUID(), clientId: client.id, userId: person.id, scope: 'profile', createdAt: Math.floor(Date.now() / 1000) });
      await provider.store.consents.save(person.id, client.id, { scope: 'profile', redirectUris: client.redirectUris, resources: [] });
      const active = async (token: string) => {
        const response = await fetch(`${provider.url}/oauth2/introspect`, {
          method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
        });
        return response.status === 200 && ((await response.json()) as { active: boolean }).active;
      };
      assert.deepEqual([await active(jwt), await active(opaque)], [true, true], 'before: both of its own tokens are active');

      const appPage = await browser.get(`/console/apps/${client.id}`);
      assert.match(appPage.text, new RegExp(`href="/console/apps/${client.id}/delete"`), "the app's page links to deleting it");
      const confirm = await browser.get(`/console/apps/${client.id}/delete`);
      assert.equal(confirm.status, 200, 'the confirmation page answers 200');
      assert.match(confirm.text, /<h1>Delete Doomed\?<\/h1>/, 'it names the app');
      assert.match(confirm.text, /data-testid="delete-users">The access of the 1 user\(s\) who allowed it\./, 'and what goes with it');
      const csrf = csrfFrom(confirm.text);
      const wrongName = await browser.post(`/console/apps/${client.id}/delete`, { csrf_token: csrf, confirm_name: 'doomed' });
      assert.equal(wrongName.status, 400, 'a name that is not the app\'s is refused with 400');
      assert.match(wrongName.text, /nothing was deleted/, 'and says nothing was deleted');
      const forged = await browser.post(`/console/apps/${client.id}/delete`, { csrf_token: 'forged', confirm_name: 'Doomed' });
      assert.equal(forged.status, 403, 'without its CSRF token: 403');
      const stranger = await signedIn(provider);
      const notTheirs = await stranger.browser.post(`/console/apps/${client.id}/delete`, { csrf_token: csrfFrom((await stranger.browser.get('/console')).text), confirm_name: 'Doomed' });
      assert.equal(notTheirs.status, 404, "another user's app is not found");
      const stale = new TestBrowser(provider.url);
      await signIn(provider, stale, user, { secondsAgo: 11 * 60 });
      const staleConfirm = await stale.get(`/console/apps/${client.id}/delete`);
      const tooOld = await stale.post(`/console/apps/${client.id}/delete`, { csrf_token: csrfFrom(staleConfirm.text), confirm_name: 'Doomed' });
      assert.equal(tooOld.status, 403, 'an 11-minute-old sign-in cannot delete (finding 4 of issue 13)');
      assert.ok(await provider.store.clients.find(client.id), 'after all refusals the app is still there');

      const deleted = await browser.post(`/console/apps/${client.id}/delete`, { csrf_token: csrf, confirm_name: 'Doomed' });
      assert.equal(deleted.status, 303, 'deleting answers 303');
      assert.equal(deleted.location, '/console?deleted=1', 'back to the console');
      assert.match((await browser.get(deleted.location!)).text, /The app was deleted\./, 'which says so');
      assert.equal(await provider.store.clients.find(client.id), undefined, 'the app is gone');
      assert.ok(await provider.store.clients.find(kept.id), 'the owner\'s other app stays');
      assert.equal(await provider.store.grants.findLiveWithUser(grant.id), undefined, 'its grants are gone');
      assert.equal(await provider.store.consents.find(person.id, client.id), undefined, 'and the consents given to it');
      const me = (token: string) => fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual([(await me(jwt)).status, (await me(opaque)).status], [401, 401], 'its own JWT and opaque tokens are refused at /api/me');
      const introspector = await provider.registerClient({ appType: 'service' });
      const byService = async (token: string) => {
        const response = await fetch(`${provider.url}/oauth2/introspect`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${introspector.client.id}:${introspector.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }),
        });
        return ((await response.json()) as { active: boolean }).active;
      };
      assert.deepEqual([await byService(jwt), await byService(opaque)], [false, false], 'and inactive at introspection');
      assert.equal((await browser.get(`/console/apps/${client.id}`)).status, 404, "the app's page is gone");
      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ event: 'app_deleted', userId: user.id, limit: 5 });
      assert.deepEqual(events.map((event) => [event.clientId, (event.detail as { name: string }).name]), [[client.id, 'Doomed']], 'the deletion is in the audit trail, with the app\'s name');
    });

    test('basic information can be edited', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'service', ownerId: user.id });
      const page = await browser.get(`/console/apps/${client.id}`);
      const response = await browser.post(`/console/apps/${client.id}/basic`, {
        csrf_token: csrfFrom(page.text), name: 'Renamed', description: 'Now with words', homepage: 'https://svc.example',
      });
      assert.equal(response.status, 303, 'saving the basic information redirects with 303');
      const stored = (await provider.store.clients.find(client.id))!;
      assert.equal(stored.name, 'Renamed', 'the new name is stored');
      assert.equal(stored.description, 'Now with words', 'the new description is stored');
      assert.equal(stored.homepage, 'https://svc.example', 'the new homepage is stored');
      const bad = await browser.post(`/console/apps/${client.id}/basic`, { csrf_token: csrfFrom(page.text), name: '', description: '', homepage: '' });
      assert.equal(bad.status, 400, 'an empty name is refused with 400');
      assert.equal((await provider.store.clients.find(client.id))!.name, 'Renamed', 'a refused edit keeps the stored name');
    });

    test("another user's app is not found, and cannot be changed", async () => {
      const owner = await signedIn(provider);
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', ownerId: owner.user.id, name: 'Private app of someone else' });
      const { browser } = await signedIn(provider);
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.equal(page.status, 404, "another user's app is not found (404)");
      // Nothing of the app shows; its id appears only in the language switcher's way back to the typed address.
      assert.doesNotMatch(page.text, /Private app of someone else/, "the 404 page shows nothing of another user's app");
      assert.equal(
        page.text.split(client.id).length - 1,
        page.text.split('return_to=').length - 1,
        "the app id appears only in the language switcher's return_to links",
      );
      const csrf = csrfFrom((await browser.get('/console')).text);
      for (const action of ['advanced', 'rotate-secret', 'basic']) {
        const response = await browser.post(`/console/apps/${client.id}/${action}`, {
          csrf_token: csrf, name: 'Mine now', redirect_uris: 'https://thief.example/cb', scopes: 'profile', token_format: 'jwt',
        });
        assert.equal(response.status, 404, action);
        assert.doesNotMatch(response.text, secretPattern, `${action} on another user's app shows no secret`);
      }
      const stored = (await provider.store.clients.find(client.id))!;
      assert.deepEqual(stored, client, "another user's attempts change nothing of the app");
      assert.equal(stored.secretHash, sha256(clientSecret!), "another user's rotation does not change the secret");
      // Nor is it in their list.
      assert.ok(!(await browser.get('/console')).text.includes(client.id), "another user's app is not in the console's list");
    });

    test('odd ids and odd forms are never a server error', async () => {
      const { browser, user } = await signedIn(provider);
      const { client } = await provider.registerClient({ appType: 'web', ownerId: user.id });
      const csrf = csrfFrom((await browser.get('/console')).text);
      for (const id of ['%00', 'x'.repeat(5000), '%F0%9F%98%80', '..', "'%20or%201=1"]) {
        // 414 is Fastify refusing an overlong path segment before any route sees it.
        assert.ok([404, 414].includes((await browser.get(`/console/apps/${id}`)).status), id);
        assert.ok([404, 414].includes((await browser.post(`/console/apps/${id}/advanced`, { csrf_token: csrf })).status), id);
      }
      const bodies = [
        `csrf_token=${csrf}&redirect_uris=a&redirect_uris=b&scopes=profile&scopes=profile&token_format=jwt&token_format=opaque`,
        `csrf_token=${csrf}&redirect_uris=https%3A%2F%2Fa.example%2F%00&scopes=%00&token_format=%00`,
        `csrf_token=${csrf}&redirect_uris=${encodeURIComponent(Array.from({ length: 50 }, (_, i) => `https://a.example/${i}`).join('\n'))}`,
        `csrf_token=${csrf}&name=${'n'.repeat(500)}&description=${'d'.repeat(5000)}`,
        `csrf_token=${csrf}&app_type=constructor&name=x`,
        `csrf_token=${csrf}&app_type=__proto__&name=x`,
      ];
      for (const body of bodies) {
        for (const path of [`/console/apps/${client.id}/advanced`, `/console/apps/${client.id}/basic`, '/console/apps/new']) {
          const response = await fetch(`${provider.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
            body,
            redirect: 'manual',
          });
          assert.ok(response.status < 500, `${path} ${body.slice(0, 60)} → ${response.status}: ${(await response.text()).slice(0, 200)}`);
        }
      }
    });
  });
}
