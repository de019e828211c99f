import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { TestBrowser, csrfFrom, hiddenFields } from '../helpers/browser.ts';
import { discover, openidLogin } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) as openid-client builds the request:
// the end_session_endpoint from discovery, id_token_hint, post_logout_redirect_uri and state.

const callback = 'https://rp.example/cb';
const afterLogout = 'https://rp.example/logged-out';

for (const kind of storeKinds) {
  describe(`RP-initiated logout on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind);
      const registered = await provider.registerClient({ appType: 'web', name: 'Relying party', redirectUris: [callback], postLogoutRedirectUris: [afterLogout] });
      clientId = registered.client.id;
      config = await discover(provider, clientId, registered.clientSecret!);
    });
    after(() => provider.close());

    /** A person signed in who logged in to the app: their browser and their ID token. */
    const loggedIn = () => openidLogin(provider, config, { redirectUri: callback });

    test('the end_session_endpoint is in the metadata', () => {
      assert.equal(config.serverMetadata().end_session_endpoint, `${provider.url}/oauth2/logout`, 'discovery names /oauth2/logout');
    });

    test('with the id_token_hint of the person signed in: the session ends at once and the browser goes to the registered URI with state', async () => {
      const { user, browser, idToken } = await loggedIn();
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: afterLogout, state: 'bye-1' });
      const answer = await browser.get(`${url.pathname}${url.search}`);
      assert.equal(answer.status, 303, `the logout redirects: ${answer.text.slice(0, 200)}`);
      assert.equal(answer.location, `${afterLogout}?state=bye-1`, 'to the registered URI, with state');
      const after = await browser.get('/oauth2/authorize?' + new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'openid', prompt: 'none', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
      assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required', `${user.username} is logged out: prompt=none now answers login_required`);
    });

    test('without a hint the person is asked (en and zh-CN); Stay keeps them signed in, Log out ends the session', async () => {
      const { browser } = await loggedIn();
      const url = client.buildEndSessionUrl(config, { client_id: clientId, post_logout_redirect_uri: afterLogout, state: 'bye-2' });
      const question = await browser.get(`${url.pathname}${url.search}`);
      assert.equal(question.status, 200, 'a question page, not a logout');
      assert.match(question.text, /data-testid="logout-question">Relying party asks to log you out of Grantry\./, 'naming the app');
      const chinese = await browser.get(`${url.pathname}${url.search}`, { 'accept-language': 'zh-CN' });
      assert.match(chinese.text, /data-testid="logout-question">Relying party 请求让你退出 Grantry。/, 'in Chinese too');
      const stillIn = await browser.get('/oauth2/authorize?' + new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'openid', prompt: 'none', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
      assert.ok(new URL(stillIn.location!).searchParams.has('code'), 'the question alone ends nothing');
      const forged = await browser.post('/oauth2/logout', { ...hiddenFields(question.text), csrf_token: 'forged' });
      assert.equal(forged.status, 403, 'an answer without the page\'s CSRF token is refused');
      const answered = await browser.post('/oauth2/logout', hiddenFields(question.text));
      assert.equal(answered.status, 303, 'answering Log out redirects');
      assert.equal(answered.location, `${afterLogout}?state=bye-2`, 'to the registered URI, with state');
      const after = await browser.get('/oauth2/authorize?' + new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'openid', prompt: 'none', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
      assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required', 'the session has ended');
    });

    test("another person's hint is asked about, not obeyed; nobody signed in goes straight back", async () => {
      const ada = await loggedIn();
      const bob = await loggedIn();
      const url = client.buildEndSessionUrl(config, { id_token_hint: ada.idToken, post_logout_redirect_uri: afterLogout });
      const asked = await bob.browser.get(`${url.pathname}${url.search}`);
      assert.equal(asked.status, 200, "ada's hint in bob's browser: bob is asked, not logged out");
      assert.ok(csrfFrom(asked.text), 'the question carries its CSRF token');
      const nobody = await new TestBrowser(provider.url).get(`${url.pathname}${url.search}`);
      assert.equal(nobody.location, afterLogout, 'nobody signed in: straight to the registered URI');
      const noRedirect = await new TestBrowser(provider.url).get('/oauth2/logout');
      assert.equal(noRedirect.status, 200, 'no redirect URI: a page');
      assert.match(noRedirect.text, /You are logged out of Grantry\./, 'saying the person is logged out');
    });

    test('attacks: an unregistered, a near-miss or an unattributed post_logout_redirect_uri is never followed; a forged hint or a mismatched client_id is refused', async () => {
      const { browser, idToken } = await loggedIn();
      const other = await provider.registerClient({ appType: 'web', name: 'Other app', redirectUris: [callback], postLogoutRedirectUris: ['https://other.example/bye'] });
      const cases: [string, Record<string, string>][] = [
        ['an unregistered URI', { id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/' }],
        ['a near-miss (trailing slash)', { id_token_hint: idToken, post_logout_redirect_uri: `${afterLogout}/` }],
        ['a near-miss (another case)', { id_token_hint: idToken, post_logout_redirect_uri: afterLogout.toUpperCase() }],
        ['a near-miss (a query added)', { id_token_hint: idToken, post_logout_redirect_uri: `${afterLogout}?extra=1` }],
        ["another app's URI", { id_token_hint: idToken, post_logout_redirect_uri: 'https://other.example/bye' }],
        ['a URI with no app named', { post_logout_redirect_uri: afterLogout }],
        ['a client_id that is not the hint\'s audience', { id_token_hint: idToken, client_id: other.client.id, post_logout_redirect_uri: 'https://other.example/bye' }],
        ['a forged hint', { id_token_hint: `${idToken.split('.').slice(0, 2).join('.')}.AAAA` }],
        ['an unknown client_id', { client_id: 'nobody' }],
      ];
      for (const [what, params] of cases) {
        const answer = await browser.get(`/oauth2/logout?${new URLSearchParams(params)}`);
        assert.equal(answer.status, 400, `${what}: a 400 page`);
        assert.equal(answer.location ?? null, null, `${what}: never followed`);
        assert.match(answer.text, /data-testid="error"/, `${what}: the page says why`);
      }
      const stillIn = await browser.get('/oauth2/authorize?' + new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'openid', prompt: 'none', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
      assert.ok(new URL(stillIn.location!).searchParams.has('code'), 'none of them ended the session');
    });

    test('a logout request POSTed from the app is sent on as the same GET (303), which carries the session cookie a cross-site POST would not', async () => {
      const { browser, idToken } = await loggedIn();
      const posted = await browser.post('/oauth2/logout', { id_token_hint: idToken, post_logout_redirect_uri: afterLogout, state: 'posted' });
      assert.equal(posted.status, 303, 'a 303');
      const target = new URL(posted.location!, provider.url);
      assert.equal(target.pathname, '/oauth2/logout', 'to the logout endpoint');
      assert.deepEqual(Object.fromEntries(target.searchParams), { id_token_hint: idToken, post_logout_redirect_uri: afterLogout, state: 'posted' }, 'with the same parameters');
      assert.equal((await browser.get(posted.location!)).location, `${afterLogout}?state=posted`, 'and the GET logs out and returns');
      const huge = await browser.post('/oauth2/logout', { state: 'x'.repeat(20_000) });
      assert.equal(huge.status, 400, 'a posted logout request too large for a Location header is refused with 400');
      assert.equal(huge.location ?? null, null, 'and not redirected');
    });

    test('a post_logout_redirect_uri is registered with the rules of redirect URIs', async () => {
      await assert.rejects(
        provider.registerClient({ appType: 'web', name: 'Bad', redirectUris: [callback], postLogoutRedirectUris: ['http://rp.example/bye'] }),
        /https/,
        'plain http off loopback is refused',
      );
      await assert.rejects(provider.registerClient({ appType: 'web', name: 'Bad', redirectUris: [callback], postLogoutRedirectUris: ['https://rp.example/bye#x'] }), /fragment/, 'a fragment is refused');
    });
  });
}
