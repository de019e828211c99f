import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { s256, sha256 } from '../../src/lib/crypto.ts';
import { TestBrowser, consentDecision, csrfFrom, hiddenFields } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';
import { storedParameters } from '../../src/provider/protocol/authorization.ts';

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const callback = 'https://app.example/callback';

function authorizePath(params: Record<string, string | string[]>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) query.append(name, v);
  return `/oauth2/authorize?${query}`;
}

for (const kind of storeKinds) {
  describe(`authorization endpoint on ${kind.name}`, () => {
    let provider: RunningProvider;
    let webClientId: string;
    let spaClientId: string;
    let legacyClientId: string;
    let browser: TestBrowser;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;

    before(async () => {
      provider = await startProvider(kind);
      const owner = await provider.createUser('owner');
      user = await provider.createUser('alice');
      webClientId = (await provider.registerClient({ appType: 'web', name: 'Photo Printer', ownerId: owner.id })).client.id;
      spaClientId = (await provider.registerClient({ appType: 'spa', name: 'Browser App' })).client.id;
      legacyClientId = (await provider.registerClient({ appType: 'web', name: 'Legacy', pkceRequired: false })).client.id;
      browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
    });
    after(() => provider.close());

    const codeRequest = (overrides: Record<string, string | string[]> = {}) => ({
      response_type: 'code',
      client_id: webClientId,
      redirect_uri: callback,
      scope: 'profile',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });

    describe('errors that are never redirected', () => {
      test('an unknown client gets an error page', async () => {
        const response = await browser.get(authorizePath(codeRequest({ client_id: 'nobody' })));
        assert.equal(response.status, 400, 'an unknown client gets the error page with 400');
        assert.equal(response.location, null, 'an unknown client is never redirected');
        assert.match(response.text, /No app is registered with this App Key \(client_id\)\./, 'the error page says no app has this App Key');
        assert.match(response.text, /data-reason="client_unknown"/, 'the error page gives the reason client_unknown');
      });

      test('a missing client_id gets an error page', async () => {
        const { client_id: _, ...rest } = codeRequest();
        const response = await browser.get(authorizePath(rest));
        assert.equal(response.status, 400, 'a missing client_id gets the error page with 400');
        assert.equal(response.location, null, 'a missing client_id is never redirected');
      });

      for (const [why, uri] of [
        ['a trailing slash', `${callback}/`],
        ['another case', 'https://APP.example/callback'],
        ['an added query', `${callback}?next=/`],
        ['another host', 'https://evil.example/callback'],
        ['a fragment', `${callback}#x`],
        ['http instead of https', 'http://app.example/callback'],
      ]) {
        test(`a redirect_uri that differs by ${why} gets an error page`, async () => {
          const response = await browser.get(authorizePath(codeRequest({ redirect_uri: uri! })));
          assert.equal(response.status, 400, `a redirect_uri that differs by ${why} gets the error page with 400`);
          assert.equal(response.location, null, `a redirect_uri that differs by ${why} is never redirected to`);
          assert.match(
            response.text,
            /The callback URL \(redirect_uri\) is not one this app registered\./,
            `the error page says the callback URL is not registered (${why})`,
          );
          assert.match(response.text, /data-reason="redirect_uri_mismatch"/, `the error page gives the reason redirect_uri_mismatch (${why})`);
        });
      }

      test('a repeated redirect_uri gets an error page', async () => {
        const response = await browser.get(authorizePath(codeRequest({ redirect_uri: [callback, callback] })));
        assert.equal(response.status, 400, 'a repeated redirect_uri gets the error page with 400');
        assert.equal(response.location, null, 'a repeated redirect_uri is never redirected to');
      });
    });

    describe('errors redirected to the app with state and iss (RFC 6749 §4.1.2.1, RFC 9207)', () => {
      async function redirectedError(params: Record<string, string | string[]>) {
        const response = await browser.get(authorizePath(params));
        assert.equal(response.status, 302, 'the error is redirected to the app with 302');
        const location = new URL(response.location!);
        assert.equal(`${location.origin}${location.pathname}`, callback, 'the error is redirected to the registered callback');
        return location.searchParams;
      }

      test('an unsupported response_type', async () => {
        const error = await redirectedError(codeRequest({ response_type: 'code id_token' }));
        assert.equal(error.get('error'), 'unsupported_response_type', 'an unsupported response_type is unsupported_response_type');
        assert.equal(error.get('state'), 'xyz', 'the error carries the state back');
        assert.equal(error.get('iss'), provider.url, 'the error carries iss (RFC 9207)');
        assert.ok(error.get('error_description'), 'the error carries an error_description');
      });

      test('a missing response_type', async () => {
        const { response_type: _, ...rest } = codeRequest();
        assert.equal((await redirectedError(rest)).get('error'), 'invalid_request', 'a missing response_type is invalid_request');
      });

      test('an unknown scope', async () => {
        assert.equal(
          (await redirectedError(codeRequest({ scope: 'profile admin' }))).get('error'),
          'invalid_scope',
          'an unknown scope is invalid_scope',
        );
      });

      test('a scope the app was not allowed', async () => {
        const { client } = await provider.registerClient({ appType: 'web', scopes: ['profile'] });
        const error = await redirectedError(codeRequest({ client_id: client.id, scope: 'email' }));
        assert.equal(error.get('error'), 'invalid_scope', 'a scope the app was not allowed is invalid_scope');
      });

      test('a repeated parameter', async () => {
        assert.equal(
          (await redirectedError(codeRequest({ scope: ['profile', 'email'] }))).get('error'),
          'invalid_request',
          'a repeated scope parameter is invalid_request',
        );
      });

      test('no code_challenge where PKCE is required', async () => {
        const { code_challenge: _, code_challenge_method: __, ...rest } = codeRequest();
        const error = await redirectedError(rest);
        assert.equal(error.get('error'), 'invalid_request', 'no code_challenge where PKCE is required is invalid_request');
        assert.match(error.get('error_description')!, /PKCE/, 'the error_description names PKCE');
      });

      test('code_challenge_method=plain is refused', async () => {
        const error = await redirectedError(codeRequest({ code_challenge: verifier, code_challenge_method: 'plain' }));
        assert.equal(error.get('error'), 'invalid_request', 'code_challenge_method=plain is invalid_request');
        assert.match(error.get('error_description')!, /S256/, 'the error_description names S256');
      });

      test('a missing code_challenge_method is not taken to mean plain', async () => {
        const { code_challenge_method: _, ...rest } = codeRequest();
        assert.equal((await redirectedError(rest)).get('error'), 'invalid_request', 'a code_challenge without its method is invalid_request');
      });

      test('response_type=token for an app not allowed the implicit grant comes back in the fragment', async () => {
        const response = await browser.get(authorizePath({ response_type: 'token', client_id: spaClientId, redirect_uri: callback, state: 's1' }));
        assert.equal(response.status, 302, 'the refused implicit request is redirected to the app with 302');
        const fragment = new URLSearchParams(new URL(response.location!).hash.slice(1));
        assert.equal(fragment.get('error'), 'unauthorized_client', 'an app not allowed the implicit grant is unauthorized_client, in the fragment');
        assert.equal(fragment.get('state'), 's1', 'the fragment carries the state back');
      });
    });

    describe('odd input is refused without a server error', () => {
      test('a client_id holding a NUL or thousands of characters gets the error page', async () => {
        for (const clientId of ['a\u0000b', 'x'.repeat(5000)]) {
          const response = await browser.get(authorizePath(codeRequest({ client_id: clientId })));
          assert.equal(response.status, 400, `a client_id of ${clientId.length} characters gets the error page with 400`);
          assert.equal(response.location, null, `a client_id of ${clientId.length} characters is never redirected`);
        }
      });

      test('a native loopback redirect URI with an impossible port gets the error page', async () => {
        const native = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/cb'] });
        const response = await browser.get(authorizePath({ response_type: 'bogus', client_id: native.client.id, redirect_uri: 'http://127.0.0.1:99999/cb' }));
        assert.equal(response.status, 400, 'an impossible loopback port gets the error page with 400');
        assert.equal(response.location, null, 'an impossible loopback port is never redirected to');
      });

      test('scope names inherited from JavaScript objects are unknown scopes', async () => {
        for (const scope of ['constructor', 'toString', '__proto__']) {
          const response = await browser.get(authorizePath(codeRequest({ scope })));
          assert.equal(response.status, 302, `the scope ${scope} is sent back to the app with 302`);
          assert.equal(
            new URL(response.location!).searchParams.get('error'),
            'invalid_scope',
            `the scope ${scope} is an unknown scope (invalid_scope)`,
          );
        }
      });

      test('the consent form takes form bodies only: JSON is refused with 403', async () => {
        const page = await browser.get(authorizePath(codeRequest({ prompt: 'consent' })));
        const response = await fetch(`${provider.url}/oauth2/authorize`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; ') },
          body: JSON.stringify({ ...codeRequest({ scope: 5 as unknown as string, state: { x: 1 } as unknown as string }), csrf_token: csrfFrom(page.text), decision: 'allow' }),
          redirect: 'manual',
        });
        assert.equal(response.status, 403, 'a JSON body on the consent form is refused with 403');
      });
    });

    test('a stranger is sent to log in with only the stored request\'s id, and brought back to that same request', async () => {
      const stranger = new TestBrowser(provider.url);
      const response = await stranger.get(authorizePath(codeRequest({ state: 'stranger-state' })));
      assert.equal(response.status, 302, 'a stranger is redirected with 302');
      const location = new URL(response.location!, provider.url);
      assert.equal(location.pathname, '/login', 'a stranger is sent to the login page');
      const back = new URL(location.searchParams.get('return_to')!, provider.url);
      assert.equal(back.pathname, '/oauth2/authorize/continue', 'the login page is given the stored request to come back to');
      assert.deepEqual([...back.searchParams.keys()], ['request_id'], 'the way back carries the request id and none of its parameters');
      assert.match(back.searchParams.get('request_id')!, /^[A-Za-z0-9_-]{43}$/, 'the request id is 256 random bits');
      assert.ok(stranger.cookies.get('grantry_browser'), 'the browser gets the cookie its stored request is bound to');

      const stored = (await provider.store.requests.find(sha256(back.searchParams.get('request_id')!)))!;
      assert.equal(storedParameters(provider.ctx, stored).state, 'stranger-state', 'the request is stored with its parameters, under the hash of its id');
      assert.doesNotMatch(stored.sealedParameters, /stranger-state/, 'sealed: the state is not readable in the database');

      const stranger2 = await provider.createUser();
      assert.equal((await stranger.login(stranger2.username, stranger2.password)).status, 303, 'the stranger logs in');
      const consent = await stranger.get(back.pathname + back.search);
      assert.equal(consent.status, 200, `after login the stored request asks for consent: ${consent.text.slice(0, 200)}`);
      const allowed = await stranger.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
      assert.equal(allowed.status, 303, 'Allow redirects to the app');
      const answer = new URL(allowed.location!);
      assert.equal(answer.searchParams.get('state'), 'stranger-state', 'the app gets the state of the request it made, kept on the server');
      assert.ok(answer.searchParams.get('code'), 'and a code');
    });

    test('another browser cannot continue or answer a stored request, even with its id', async () => {
      const owner = new TestBrowser(provider.url);
      const started = await owner.get(authorizePath(codeRequest()));
      const requestId = new URL(new URL(started.location!, provider.url).searchParams.get('return_to')!, provider.url).searchParams.get('request_id')!;
      // The attacker is signed in too, and holds the id (a leaked link): their browser is not the one it is bound to.
      const attacker = new TestBrowser(provider.url);
      await signIn(provider, attacker, await provider.createUser());
      const continued = await attacker.get(`/oauth2/authorize/continue?request_id=${requestId}`);
      assert.equal(continued.status, 400, 'another browser gets the error page');
      assert.match(continued.text, /data-reason="request_unknown"/, 'which says the request is unknown here');
      const page = await attacker.get('/console');
      const answered = await attacker.post('/oauth2/authorize', { csrf_token: csrfFrom(page.text), request_id: requestId, decision: 'allow' });
      assert.equal(answered.status, 400, 'another browser cannot answer it either');
      assert.equal(answered.location, null, 'and nothing is sent to the app');
    });

    test('prompt=login sends even a signed-in user to log in; only a sign-in made after the request satisfies it', async () => {
      const fresh = new TestBrowser(provider.url);
      const person = await provider.createUser();
      await signIn(provider, fresh, person, { secondsAgo: 60 });
      const response = await fresh.get(authorizePath(codeRequest({ prompt: 'login consent' })));
      assert.equal(response.status, 302, 'prompt=login redirects a signed-in user with 302');
      const location = new URL(response.location!, provider.url);
      assert.equal(location.pathname, '/login', 'prompt=login sends a signed-in user to the login page');
      const back = location.searchParams.get('return_to')!;
      // The consent form cannot skip the fresh sign-in: the id from the login redirect, posted with a valid CSRF token.
      const skipped = await fresh.post('/oauth2/authorize', {
        csrf_token: csrfFrom((await fresh.get('/console')).text),
        request_id: new URL(back, provider.url).searchParams.get('request_id')!,
        decision: 'allow',
      });
      assert.equal(new URL(skipped.location!, provider.url).pathname, '/login', 'posting the consent form without the fresh sign-in leads to the login page, not a code');
      const stillOld = await fresh.get(back);
      assert.equal(new URL(stillOld.location!, provider.url).pathname, '/login', 'the session from before the request does not satisfy prompt=login');
      await fresh.login(person.username, person.password);
      const consent = await fresh.get(back);
      assert.equal(consent.status, 200, 'after a fresh sign-in the request goes on to consent (prompt=consent is kept)');
      assert.ok(hiddenFields(consent.text).request_id, 'the consent form names the stored request');
    });

    test('the consent page names the app, its type, who registered it and the scopes in plain words', async () => {
      const response = await browser.get(authorizePath(codeRequest({ scope: 'profile email' })));
      assert.equal(response.status, 200, 'a signed-in user without a remembered consent gets the consent page');
      assert.match(response.text, /<h2 id="app-heading" data-testid="consent-app">Photo Printer<\/h2>/, 'the consent page names the app');
      assert.match(
        response.text,
        /data-testid="consent-type"><strong>Web app with a server<\/strong><br><span class="muted">A website whose server keeps its own secret\.<\/span>/,
        "the consent page names the app's type and explains it",
      );
      assert.match(response.text, /data-testid="consent-owner">a user of this site, @owner</, 'the consent page names who registered the app, by username');
      assert.match(response.text, /<li data-scope="email">See your email address /, 'the consent page lists the email scope in plain words');
      assert.match(
        response.text,
        /<li data-scope="profile">See your user id, username, display name and the profile details on record /,
        'the consent page lists the profile scope in plain words',
      );
      assert.match(response.text, /data-testid="consent-destination">https:\/\/app\.example</, 'the consent page shows where the user goes');
      assert.match(response.text, />Allow</, 'the consent page has an Allow button');
      assert.match(response.text, />Deny</, 'the consent page has a Deny button');
      assert.equal(response.headers.get('cache-control'), 'no-store', 'the consent page is not cached');
      assert.equal(response.headers.get('x-frame-options'), 'DENY', 'the consent page may not be framed');
    });

    test('Allow answers with a single code, hashed at rest, with state and iss; the form is answered once', async () => {
      const page = await browser.get(authorizePath(codeRequest()));
      const form = consentDecision(page.text, 'allow');
      const response = await browser.post('/oauth2/authorize', form);
      assert.equal(response.status, 303, 'Allow redirects to the app with 303');
      const location = new URL(response.location!);
      assert.equal(`${location.origin}${location.pathname}`, callback, 'Allow redirects to the registered callback');
      const code = location.searchParams.get('code')!;
      assert.ok(code.length >= 43, 'at least 256 bits');
      assert.equal(location.searchParams.get('state'), 'xyz', 'the code comes back with the state');
      assert.equal(location.searchParams.get('iss'), provider.url, 'the code comes back with iss (RFC 9207)');
      const redemption = await provider.store.codes.redeem(sha256(code), webClientId);
      assert.equal(redemption.outcome, 'redeemed', 'the hash of the code is what is stored, and redeems once');
      if (redemption.outcome === 'redeemed') {
        assert.equal(redemption.code.codeChallenge, challenge, 'the code keeps the code_challenge');
        assert.equal(redemption.code.redirectUri, callback, 'the code keeps the redirect_uri');
        assert.equal(redemption.code.userId, user.id, 'the code belongs to the user who allowed');
        assert.ok(redemption.code.expiresAt - Date.now() / 1000 <= 60, 'the code lives for at most 60 seconds');
      }
      assert.equal((await provider.store.codes.redeem(code, webClientId)).outcome, 'unknown', 'the plain code is not what is stored');
      const stored = await provider.store.requests.find(sha256(form.request_id!));
      assert.equal(stored?.userId, user.id, 'the stored request records who answered it');
      assert.ok(stored?.completedAt, 'and when');
      const again = await browser.post('/oauth2/authorize', form);
      assert.equal(again.status, 400, 'the same form sent again gets the error page');
      assert.equal(again.location, null, 'and no second code');
    });

    test('the parameters a consent post carries are ignored: the stored request is what is answered', async () => {
      const page = await browser.get(authorizePath(codeRequest({ prompt: 'consent', state: 'kept' })));
      const response = await browser.post('/oauth2/authorize', {
        ...consentDecision(page.text, 'allow'),
        redirect_uri: 'https://evil.example/steal',
        state: 'changed',
        scope: 'profile email',
      });
      assert.equal(response.status, 303, 'the decision is answered');
      const location = new URL(response.location!);
      assert.equal(`${location.origin}${location.pathname}`, callback, 'to the redirect URI of the stored request');
      assert.equal(location.searchParams.get('state'), 'kept', 'with its state');
    });

    test('a remembered consent is not asked again, unless prompt=consent or new scopes are asked for', async () => {
      const again = await browser.get(authorizePath(codeRequest()));
      assert.equal(again.status, 302, 'a remembered consent is sent straight back to the app with 302');
      assert.ok(new URL(again.location!).searchParams.get('code'), 'a remembered consent gets a code at once');

      const prompted = await browser.get(authorizePath(codeRequest({ prompt: 'consent' })));
      assert.equal(prompted.status, 200, 'prompt=consent shows the consent page even when remembered');
      assert.match(prompted.text, />Allow</, 'the consent page for prompt=consent has an Allow button');

      const wider = await browser.get(authorizePath(codeRequest({ scope: 'profile email' })));
      assert.equal(wider.status, 200, 'asking for new scopes shows the consent page again');
      assert.match(wider.text, />Allow</, 'the consent page for new scopes has an Allow button');
    });

    test('Deny answers access_denied with state and iss', async () => {
      const page = await browser.get(authorizePath(codeRequest({ scope: 'email', state: 'deny-state' })));
      const response = await browser.post('/oauth2/authorize', consentDecision(page.text, 'deny'));
      assert.equal(response.status, 303, 'Deny redirects to the app with 303');
      const params = new URL(response.location!).searchParams;
      assert.equal(params.get('error'), 'access_denied', 'Deny answers access_denied');
      assert.equal(params.get('state'), 'deny-state', 'Deny carries the state back');
      assert.equal(params.get('iss'), provider.url, 'Deny carries iss (RFC 9207)');
      assert.equal(params.get('code'), null, 'Deny issues no code');
    });

    test('the consent form refuses a post without its CSRF token, and issues nothing', async () => {
      const page = await browser.get(authorizePath(codeRequest({ prompt: 'consent' })));
      const response = await browser.post('/oauth2/authorize', { ...consentDecision(page.text, 'allow'), csrf_token: 'forged' });
      assert.equal(response.status, 403, 'a consent post with a forged CSRF token is refused with 403');
      assert.equal(response.location, null, 'a refused consent post is not redirected');
    });

    test('the consent form carries only the stored request\'s id and the CSRF token', async () => {
      const page = await browser.get(authorizePath(codeRequest({ prompt: 'consent', state: 'carry' })));
      const fields = hiddenFields(page.text);
      assert.deepEqual(Object.keys(fields).sort(), ['csrf_token', 'request_id'], 'no parameter of the request is in the form');
      const stored = (await provider.store.requests.find(sha256(fields.request_id!)))!;
      assert.deepEqual(
        storedParameters(provider.ctx, stored),
        { client_id: webClientId, redirect_uri: callback, response_type: 'code', scope: 'profile', code_challenge: challenge, code_challenge_method: 'S256', state: 'carry', prompt: 'consent' },
        'the stored request holds every parameter a check vouched for',
      );
      assert.equal(stored?.browserHash, sha256(browser.cookies.get('grantry_browser')!), 'bound to this browser');
    });

    test('an expired stored request is refused', async () => {
      const page = await browser.get(authorizePath(codeRequest({ prompt: 'consent' })));
      const form = consentDecision(page.text, 'allow');
      const at = Math.floor(Date.now() / 1000);
      await provider.store.requests.create({
        handleHash: sha256('x'.repeat(43)), clientId: webClientId, sealedParameters: 'never read: the request has expired',
        browserHash: sha256(browser.cookies.get('grantry_browser')!), createdAt: at - 3600, expiresAt: at - 1,
      });
      const response = await browser.post('/oauth2/authorize', { ...form, request_id: 'x'.repeat(43) });
      assert.equal(response.status, 400, 'an expired request gets the error page');
      assert.match(response.text, /data-reason="request_unknown"/, 'which says the request has expired or is unknown');
    });

    test('a legacy confidential app with PKCE switched off may send no code_challenge', async () => {
      const response = await browser.get(authorizePath({ response_type: 'code', client_id: legacyClientId, redirect_uri: callback, state: 's' }));
      assert.equal(response.status, 200, 'a legacy app without PKCE gets the consent page');
      assert.match(response.text, /Allow Legacy to use your account\?/, 'the consent page names the legacy app');
    });

    test('a native app may use any port on its loopback redirect URI (RFC 8252); a web app may not', async () => {
      const native = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/callback'] });
      const ok = await browser.get(authorizePath({
        response_type: 'code', client_id: native.client.id, redirect_uri: 'http://127.0.0.1:51234/callback',
        code_challenge: s256(verifier), code_challenge_method: 'S256',
      }));
      assert.equal(ok.status, 200, 'a native app may use any port on its loopback callback');
      const web = await provider.registerClient({ appType: 'web', redirectUris: ['http://127.0.0.1/callback'] });
      const refused = await browser.get(authorizePath(codeRequest({ client_id: web.client.id, redirect_uri: 'http://127.0.0.1:51234/callback' })));
      assert.equal(refused.status, 400, 'a web app may not change the port of its loopback callback');
    });

    // Issue 13, finding 3 (RFC 8252 §8.6, RFC 6749 §10.2): after Alice allowed a native app once, a
    // request with its client_id, a loopback redirect on another port and the attacker's own PKCE
    // challenge got a code with no page shown, and the attacker's verifier got her tokens.
    test('a native app allowed before gets a one-click confirmation, not a silent code, for any program that sends its client_id', async () => {
      const { client: native } = await provider.registerClient({ appType: 'native', name: 'Desk Notes', redirectUris: ['http://127.0.0.1/callback'] });
      const request = (port: number, ownChallenge: string) => authorizePath({
        response_type: 'code', client_id: native.id, redirect_uri: `http://127.0.0.1:${port}/callback`, scope: 'profile', state: 's',
        code_challenge: ownChallenge, code_challenge_method: 'S256',
      });
      const first = await browser.get(request(50100, challenge));
      const allowed = await browser.post('/oauth2/authorize', consentDecision(first.text, 'allow'));
      assert.equal(allowed.status, 303, 'Alice allows the app once');
      assert.deepEqual((await provider.store.consents.find(user.id, native.id))?.redirectUris, ['http://127.0.0.1/callback'], 'the consent is remembered for the registered loopback URI');

      const attackerVerifier = 'attacker-verifier-attacker-verifier-attacker-0';
      const attack = await browser.get(request(50999, s256(attackerVerifier)));
      assert.equal(attack.status, 200, 'another program on another port gets a page, not a 302 with a code');
      assert.equal(attack.location, null, 'no redirect');
      assert.match(attack.text, /data-testid="consent-confirm"/, 'the page is the confirmation: Alice allowed this app before');
      assert.match(attack.text, /<h1>Continue to Desk Notes\?<\/h1>/, 'the confirmation names the app');
      assert.match(attack.text, /value="allow" class="primary">Continue<\/button>/, 'one click continues');
      const cancelled = await browser.post('/oauth2/authorize', consentDecision(attack.text, 'deny'));
      assert.equal(new URL(cancelled.location!).searchParams.get('error'), 'access_denied', 'Cancel answers access_denied');
      assert.deepEqual((await provider.store.consents.find(user.id, native.id))?.scope, 'profile', 'and forgets nothing Alice allowed');

      await provider.store.clients.update(native.id, { silentReturning: true });
      const silent = await browser.get(request(51000, challenge));
      assert.equal(silent.status, 302, 'an app the operator marked silentReturning is answered at once');
      assert.ok(new URL(silent.location!).searchParams.get('code'), 'with a code');
    });

    // Issue 13, finding 4: the owner's console (or whoever took it over) added a redirect URI, and
    // the next authorization to it returned a code silently to everyone who had consented.
    test('a redirect URI added after the consent asks again', async () => {
      const { client } = await provider.registerClient({ appType: 'web', name: 'Mailer', redirectUris: [callback] });
      const first = await browser.get(authorizePath(codeRequest({ client_id: client.id })));
      assert.equal((await browser.post('/oauth2/authorize', consentDecision(first.text, 'allow'))).status, 303, 'Alice allows the app');
      assert.equal((await browser.get(authorizePath(codeRequest({ client_id: client.id })))).status, 302, 'at the same redirect URI she is not asked again');

      await provider.store.clients.update(client.id, { redirectUris: [callback, 'https://evil.example/steal'] });
      const stolen = await browser.get(authorizePath(codeRequest({ client_id: client.id, redirect_uri: 'https://evil.example/steal' })));
      assert.equal(stolen.status, 200, 'the added redirect URI gets the consent page, not a code');
      assert.doesNotMatch(stolen.text, /data-testid="consent-confirm"/, 'the whole consent page: she never allowed this address');
      assert.match(stolen.text, /data-testid="consent-destination">https:\/\/evil\.example</, 'showing where she would be sent');
    });

    // Issue 13, finding 5: a user whose display name was "the operator of this site" made their
    // app's consent page read exactly like the operator's.
    test("an app's owner is named by username; no display name can read as the operator", async () => {
      const impostor = await provider.createUser('impostor', 'correct horse battery staple', { displayName: 'the operator of this site' });
      const { client } = await provider.registerClient({ appType: 'web', name: 'Official Helper', ownerId: impostor.id, redirectUris: [callback] });
      const page = await browser.get(authorizePath(codeRequest({ client_id: client.id })));
      assert.equal(page.status, 200, 'the consent page answers 200');
      assert.match(page.text, /data-testid="consent-owner">a user of this site, @impostor<\/dd>/, 'the owner is named by username');
      assert.doesNotMatch(page.text, /operator-badge|consent-operator|the operator of this site/, 'nothing on the page reads as the operator');
      const { client: operatorApp } = await provider.registerClient({ appType: 'web', name: 'Operator App', redirectUris: [callback] });
      const operatorPage = await browser.get(authorizePath(codeRequest({ client_id: operatorApp.id })));
      assert.match(operatorPage.text, /<strong class="operator-badge" data-testid="consent-operator">the operator of this site<\/strong>/, "the operator's app carries the badge");
    });
  });
}
