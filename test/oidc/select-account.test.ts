import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { t } from '../../src/i18n/index.ts';
import { TestBrowser, consentDecision, csrfFrom, hiddenFields, inputValue } from '../helpers/browser.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// prompt=select_account (OpenID Connect Core §3.1.2.1) over HTTP: with someone signed in, the
// account chooser — "Continue as <name>" or "Use another account" (the login page, nothing filled
// in) — in a CSRF-protected form; with nobody signed in, the login page as usual.

const callback = 'https://rp.example/cb';

for (const kind of storeKinds) {
  describe(`prompt=select_account on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind);
      const registered = await provider.registerClient({ appType: 'web', name: 'Relying party', redirectUris: [callback] });
      clientId = registered.client.id;
      config = await discover(provider, clientId, registered.clientSecret!);
    });
    after(() => provider.close());

    /** An openid-client authorization request (PKCE, nonce) and what redeems its answer. */
    async function authorization(extra: Record<string, string> = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback, scope: 'openid profile', state: 'st', nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      });
      return {
        path: `${url.pathname}${url.search}`,
        /** The subject of the ID token the code at `location` is exchanged for (openid-client checks state, nonce, signature). */
        subjectOf: async (location: string) =>
          (await client.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: 'st', idTokenExpected: true })).claims()!.sub,
      };
    }

    /** A person who allowed the app before, signed in on a browser of their own. */
    async function returningPerson(displayName: string) {
      const person = await provider.createUser(undefined, undefined, { displayName });
      const browser = new TestBrowser(provider.url);
      // Signed in a little while ago: a sign-in made after a request was stored is taken as the choice.
      await signIn(provider, browser, person, { secondsAgo: 5 });
      const first = await authorization();
      const consent = await browser.get(first.path);
      assert.equal(consent.status, 200, `the consent page is shown the first time: ${consent.status} ${consent.location ?? ''}`);
      const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.equal(allowed.status, 303, 'allowing redirects to the app');
      return { person, browser };
    }

    /** The chooser's form, as the browser would send it with one of its two buttons. */
    const choose = (page: string, choice: 'continue' | 'another'): Record<string, string> => ({ ...hiddenFields(page), choice });

    test('someone signed in who allowed the app before sees who they are signed in as, not the answer at once; "Continue as" answers the app for them', async () => {
      const { person, browser } = await returningPerson('Ada Lovelace');
      const silent = await authorization();
      assert.equal((await browser.get(silent.path)).status, 302, 'without prompt=select_account the returning person is answered at once');

      const asked = await authorization({ prompt: 'select_account' });
      const page = await browser.get(asked.path);
      assert.equal(page.status, 200, `prompt=select_account shows a page instead: ${page.status} ${page.location ?? ''}`);
      assert.equal(page.headers.get('cache-control'), 'no-store', 'the page, which carries a CSRF token, is not cached');
      assert.match(page.text, /<title>Choose an account · Grantry<\/title>/, 'the page is the account chooser');
      assert.ok(page.text.includes(`>${t('en', 'selectAccount.signedInAs', { name: 'Ada Lovelace', username: person.username })}</p>`), `the page says "You are signed in as Ada Lovelace (@${person.username})."`);
      assert.ok(page.text.includes('>Relying party asks which account to use.</p>'), 'the page names the app that asks');
      assert.ok(page.text.includes('value="continue" class="primary">Continue as Ada Lovelace</button>'), 'the first button is "Continue as Ada Lovelace"');
      assert.ok(page.text.includes('value="another">Use another account</button>'), 'the second button is "Use another account"');
      const fields = hiddenFields(page.text);
      assert.deepEqual(Object.keys(fields).sort(), ['account', 'csrf_token', 'request_id'], 'the form carries the CSRF token, the stored request\'s id and the person shown, nothing else');
      assert.equal(fields.account, person.id, 'the person shown is the one signed in');
      assert.match(fields.request_id!, /^[A-Za-z0-9_-]{43}$/, 'the request is stored, and only its id is on the page');

      const answered = await browser.post('/oauth2/authorize/select', choose(page.text, 'continue'));
      assert.equal(answered.status, 303, `"Continue as" answers with a redirect: ${answered.status} ${answered.text.slice(0, 200)}`);
      assert.ok(answered.location?.startsWith(`${callback}?`), `to the app's redirect URI: ${answered.location}`);
      assert.equal(await asked.subjectOf(answered.location!), person.id, 'the ID token names the person signed in');
      const again = await browser.post('/oauth2/authorize/select', choose(page.text, 'continue'));
      assert.equal(again.status, 400, 'the answered request cannot be chosen for twice');
      assert.match(again.text, /data-reason="request_unknown"/, 'the second choice finds no waiting request');
    });

    test('"Use another account" leads to the login page with nothing filled in (not even login_hint); signing in there as someone else answers for them', async () => {
      const { person: ada, browser } = await returningPerson('Ada Lovelace');
      const bob = await provider.createUser(undefined, undefined, { displayName: 'Bob Builder' });
      const asked = await authorization({ prompt: 'select_account', login_hint: ada.username });
      const page = await browser.get(asked.path);
      assert.equal(page.status, 200, `the chooser is shown: ${page.status} ${page.location ?? ''}`);
      const another = await browser.post('/oauth2/authorize/select', choose(page.text, 'another'));
      assert.equal(another.status, 303, `"Use another account" redirects: ${another.status}`);
      const loginUrl = new URL(another.location!, provider.url);
      assert.equal(loginUrl.pathname, '/login', 'to the login page');
      assert.equal(loginUrl.searchParams.get('return_to'), `/oauth2/authorize/continue?request_id=${hiddenFields(page.text).request_id}`, 'which returns to the stored request');
      const login = await browser.get(another.location!);
      assert.equal(login.status, 200, 'the login page is shown');
      assert.equal(inputValue(login.text, 'username'), '', `the username is not filled in, although the app's login_hint named ${ada.username}`);
      assert.equal((await browser.get(`/login?return_to=${encodeURIComponent(loginUrl.searchParams.get('return_to')!)}`)).text.includes(`name="username" value="${ada.username}"`), true, 'the same request\'s login page without the choice fills in the login_hint (the difference is the choice)');

      // Back to the request without signing in: the choice is still to be made.
      const skipped = await browser.get(loginUrl.searchParams.get('return_to')!);
      assert.equal(skipped.status, 200, 'coming back without signing in shows the chooser again, not the answer');
      assert.equal(hiddenFields(skipped.text).account, ada.id, 'still naming the person signed in');

      const loggedIn = await browser.post('/login', { username: bob.username, password: bob.password, csrf_token: csrfFrom(login.text), return_to: loginUrl.searchParams.get('return_to')! });
      assert.equal(loggedIn.status, 303, 'Bob signs in');
      const consent = await browser.get(loggedIn.location!);
      assert.equal(consent.status, 200, `the sign-in was the choice: no chooser again, but Bob's consent page (he never allowed the app): ${consent.status} ${consent.location ?? ''}`);
      assert.match(consent.text, /<title>Allow Relying party to use your account\? · Grantry<\/title>/, 'the page is the consent page');
      assert.ok(consent.text.includes(t('en', 'consent.signedInAs', { name: 'Bob Builder', username: bob.username })), 'for Bob');
      const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.equal(allowed.status, 303, 'Bob allows');
      assert.equal(await asked.subjectOf(allowed.location!), bob.id, 'the ID token names Bob, who was chosen');
    });

    test('nobody signed in: the login page as usual; the sign-in answers the request without asking which account', async () => {
      const person = await provider.createUser(undefined, undefined, { displayName: 'Cleo' });
      const browser = new TestBrowser(provider.url);
      const asked = await authorization({ prompt: 'select_account', login_hint: person.username });
      const answer = await browser.get(asked.path);
      assert.equal(answer.status, 302, 'a redirect, not the chooser');
      const loginUrl = new URL(answer.location!, provider.url);
      assert.deepEqual([loginUrl.pathname, [...loginUrl.searchParams.keys()]], ['/login', ['return_to']], 'to the login page, as for any request (nothing marks another account)');
      const login = await browser.get(answer.location!);
      assert.equal(inputValue(login.text, 'username'), person.username, 'the login_hint fills in the username as usual');
      const loggedIn = await browser.post('/login', { username: person.username, password: person.password, csrf_token: csrfFrom(login.text), return_to: loginUrl.searchParams.get('return_to')! });
      const consent = await browser.get(loggedIn.location!);
      assert.match(consent.text, /<title>Allow Relying party to use your account\? · Grantry<\/title>/, `after signing in, the consent page, not the chooser: ${consent.status} ${consent.location ?? ''}`);
      const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.equal(await asked.subjectOf(allowed.location!), person.id, 'the ID token names the person who signed in');
    });

    test('with prompt=consent too, "Continue as" leads to the consent page; prompt=none with select_account is invalid_request at the redirect URI', async () => {
      const { person, browser } = await returningPerson('Dora');
      const asked = await authorization({ prompt: 'select_account consent' });
      const page = await browser.get(asked.path);
      assert.equal(page.status, 200, 'the chooser first');
      assert.equal(hiddenFields(page.text).account, person.id, 'naming Dora');
      const next = await browser.post('/oauth2/authorize/select', choose(page.text, 'continue'));
      assert.equal(next.status, 200, `then the consent page that prompt=consent asks for: ${next.status} ${next.location ?? ''}`);
      assert.match(next.text, /<title>Allow Relying party to use your account\? · Grantry<\/title>/, 'the page is the consent page');
      const allowed = await browser.post('/oauth2/authorize', consentDecision(next.text, 'allow'));
      assert.equal(await asked.subjectOf(allowed.location!), person.id, 'and Allow answers the app for Dora');

      const none = await browser.get((await authorization({ prompt: 'none select_account' })).path);
      assert.equal(none.status, 302, 'prompt=none beside select_account: a redirect, no page');
      const error = new URL(none.location!);
      assert.deepEqual([`${error.origin}${error.pathname}`, error.searchParams.get('error'), error.searchParams.get('state')], [callback, 'invalid_request', 'st'], 'invalid_request at the redirect URI, with the state');
    });

    test('someone else signed in since the chooser was shown (another tab): "Continue" asks again, naming them', async () => {
      const { person: ada, browser } = await returningPerson('Ada');
      const eve = await provider.createUser(undefined, undefined, { displayName: 'Eve' });
      const asked = await authorization({ prompt: 'select_account' });
      const page = await browser.get(asked.path);
      assert.equal(hiddenFields(page.text).account, ada.id, 'the chooser names Ada');
      const login = await browser.get('/login');
      assert.equal((await browser.post('/login', { username: eve.username, password: eve.password, csrf_token: csrfFrom(login.text) })).status, 303, 'Eve signs in, in another tab');
      // The CSRF secret is renewed at sign-in: the old page's form now carries a token of the past.
      const stale = await browser.post('/oauth2/authorize/select', choose(page.text, 'continue'));
      assert.equal(stale.status, 403, 'the old page\'s form is refused: its CSRF token was made before the sign-in');
      const refreshed = await browser.get(`/oauth2/authorize/continue?request_id=${hiddenFields(page.text).request_id}`);
      assert.equal(refreshed.status, 200, `the request taken up after Eve's sign-in, which was made after it, needs no choice: ${refreshed.status} ${refreshed.location ?? ''}`);
      assert.match(refreshed.text, /<title>Allow Relying party to use your account\? · Grantry<\/title>/, 'Eve is asked to allow the app');

      // The form of a page that named Ada, posted (with a valid token) while Eve is signed in.
      const second = await authorization({ prompt: 'select_account' });
      await signIn(provider, browser, ada, { secondsAgo: 5 });
      const adaPage = await browser.get(second.path);
      assert.equal(hiddenFields(adaPage.text).account, ada.id, 'a new chooser names Ada');
      await signIn(provider, browser, eve, { secondsAgo: 5 });
      const mixed = await browser.post('/oauth2/authorize/select', choose(adaPage.text, 'continue'));
      assert.equal(mixed.status, 200, `"Continue" for Ada while Eve is signed in is not answered for Eve: ${mixed.status} ${mixed.location ?? ''}`);
      assert.equal(hiddenFields(mixed.text).account, eve.id, 'the chooser is shown again, naming Eve');
      assert.ok(mixed.text.includes('Continue as Eve</button>'), 'offering to continue as Eve');
      // The chooser answered a form: its language switcher comes back to the request taken up again, not to a GET of the POST-only path.
      const switcher = /href="(\/lang\?[^"]+)"[^>]*data-testid="lang-zh-CN"/.exec(mixed.text)?.[1];
      const back = new URLSearchParams((switcher ?? '').replace(/&amp;/g, '&').split('?')[1]).get('return_to');
      assert.equal(back, `/oauth2/authorize/continue?request_id=${hiddenFields(adaPage.text).request_id}`, `the switcher returns to the stored request: ${switcher}`);
      const switched = await browser.get(back!, { 'accept-language': 'zh-CN' });
      assert.equal(switched.status, 200, `and that page exists: ${switched.status}`);
    });

    test('the chooser speaks Simplified Chinese for ui_locales=zh-CN', async () => {
      const { person, browser } = await returningPerson('李华');
      const page = await browser.get((await authorization({ prompt: 'select_account', ui_locales: 'zh-CN' })).path);
      assert.match(page.text, /<html lang="zh-CN">/, 'the page is in Simplified Chinese');
      assert.ok(page.text.includes(`>你已登录为 李华（@${person.username}）。</p>`), 'it says who is signed in, in Chinese');
      assert.ok(page.text.includes('>以 李华 的身份继续</button>'), '"Continue as" in Chinese');
      assert.ok(page.text.includes('>使用其他账号</button>'), '"Use another account" in Chinese');
    });

    test('the choice needs the page\'s CSRF token, a form, and one of the two answers', async () => {
      const { browser } = await returningPerson('Fay');
      const page = await browser.get((await authorization({ prompt: 'select_account' })).path);
      const fields = choose(page.text, 'continue');
      const noToken = await browser.post('/oauth2/authorize/select', { ...fields, csrf_token: '' });
      assert.equal(noToken.status, 403, 'without the CSRF token: 403');
      const otherToken = await browser.post('/oauth2/authorize/select', { ...fields, csrf_token: `${fields.csrf_token!.slice(0, -1)}${fields.csrf_token!.endsWith('A') ? 'B' : 'A'}` });
      assert.equal(otherToken.status, 403, 'with a token not made for this browser: 403');
      const json = await fetch(new URL('/oauth2/authorize/select', provider.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
        body: JSON.stringify(fields),
        redirect: 'manual',
      });
      assert.equal(json.status, 403, 'the same fields as JSON are no form: 403');
      const badChoice = await browser.post('/oauth2/authorize/select', { ...fields, choice: 'maybe' });
      assert.equal(badChoice.status, 400, 'an answer that is neither: 400');
      const stranger = await new TestBrowser(provider.url).post('/oauth2/authorize/select', fields);
      assert.equal(stranger.status, 403, 'from another browser (no CSRF cookie): 403');
      const answered = await browser.post('/oauth2/authorize/select', fields);
      assert.equal(answered.status, 303, 'the refusals used nothing up: the real answer still works');
    });
  });
}
