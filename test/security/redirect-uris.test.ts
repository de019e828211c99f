import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { s256 } from '../../src/lib/crypto.ts';
import { RegistrationError } from '../../src/provider/protocol/clients.ts';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { dumpDatabase } from '../helpers/dump.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Redirect URIs are compared character for character (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3): every
// variant below differs from a registered URI and must get Grantry's own error page (400, no
// Location), never a redirect — before and after the consent form, for every app type.

const registered = 'https://app.example/callback';
const idnRegistered = 'https://bücher.example/cb';
const challenge = s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');

/** Each differs from `registered` (or from `idnRegistered`) by exactly the named trick. */
export const trickyRedirectUris: [string, string][] = [
  ['another scheme (http)', 'http://app.example/callback'],
  ['another scheme (upper case)', 'HTTPS://app.example/callback'],
  ['a private-use scheme', 'app.example:/callback'],
  ['a javascript: URI', 'javascript:alert(1)//app.example/callback'],
  ['host in upper case', 'https://APP.example/callback'],
  ['host in mixed case', 'https://App.Example/callback'],
  ['a trailing dot on the host', 'https://app.example./callback'],
  ['userinfo naming the good host', 'https://app.example@evil.example/callback'],
  ['userinfo with a password', 'https://app.example:callback@evil.example/callback'],
  ['the good host as a subdomain of another', 'https://app.example.evil.example/callback'],
  ['a suffix on the host', 'https://app.examplee/callback'],
  ['a backslash before @', 'https://evil.example\\@app.example/callback'],
  ['a backslash path', 'https://app.example\\callback'],
  ['an extra path segment', 'https://app.example/callback/extra'],
  ['a trailing slash', 'https://app.example/callback/'],
  ['a dot-dot segment', 'https://app.example/callback/../callback'],
  ['a dot-dot escaping the path', 'https://app.example/other/../callback'],
  ['a dot segment', 'https://app.example/./callback'],
  ['a double slash', 'https://app.example//callback'],
  ['a percent-encoded letter', 'https://app.example/%63allback'],
  ['a percent-encoded slash', 'https://app.example/callback%2F..%2Fevil'],
  ['a percent-encoded host', 'https://%61pp.example/callback'],
  ['an encoded @ in the host', 'https://evil.example%40app.example/callback'],
  ['a percent-encoded fragment mark', 'https://app.example/callback%23x'],
  ['an encoded NUL', 'https://app.example/callback%00'],
  ['a trailing space', 'https://app.example/callback '],
  ['a tab inside (the URL parser would drop it)', 'https://app.ex\tample/callback'],
  ['an added query', 'https://app.example/callback?next=https://evil.example'],
  ['an empty query', 'https://app.example/callback?'],
  ['an added fragment', 'https://app.example/callback#evil'],
  ['an empty fragment', 'https://app.example/callback#'],
  ['another port', 'https://app.example:8443/callback'],
  ['the default port written out', 'https://app.example:443/callback'],
  ['a protocol-relative reference', '//app.example/callback'],
  ['a relative path', '/callback'],
  ['a Cyrillic look-alike host (unicode)', 'https://аpp.example/callback'],
  ['a Cyrillic look-alike host (punycode)', 'https://xn--pp-8kc.example/callback'],
  ['a full-width look-alike host', 'https://ａpp.example/callback'],
  ['the punycode form of a registered unicode host', 'https://xn--bcher-kva.example/cb'],
  ['the unicode host in another normalisation (NFD)', 'https://bu\u0308cher.example/cb'],
];

function authorizePath(params: Record<string, string>): string {
  return `/oauth2/authorize?${new URLSearchParams(params)}`;
}

for (const kind of storeKinds) {
  describe(`redirect URI exact matching on ${kind.name}`, () => {
    let provider: RunningProvider;
    let browser: TestBrowser;
    const clients: Record<string, string> = {};

    before(async () => {
      provider = await startProvider(kind);
      const user = await provider.createUser();
      for (const appType of ['web', 'spa', 'native'] as const) {
        clients[appType] = (await provider.registerClient({ appType, redirectUris: [registered, idnRegistered] })).client.id;
      }
      clients.spaImplicit = (await provider.registerClient({ appType: 'spa', redirectUris: [registered], grantTypes: ['authorization_code', 'implicit'] })).client.id;
      browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
    });
    after(() => provider.close());

    const request = (clientId: string, redirectUri: string, responseType = 'code') => ({
      response_type: responseType, client_id: clientId, redirect_uri: redirectUri, scope: 'profile', state: 's', code_challenge: challenge, code_challenge_method: 'S256',
    });

    test('the registered URIs themselves are accepted (the consent page is shown)', async () => {
      for (const uri of [registered, idnRegistered]) {
        const page = await browser.get(authorizePath(request(clients.web!, uri)));
        assert.equal(page.status, 200, uri);
        assert.equal(page.location, null, `${uri}: the consent page is shown, not a redirect`);
      }
    });

    for (const [why, uri] of trickyRedirectUris) {
      test(`GET /oauth2/authorize: ${why} gets the error page on every app type, never a redirect`, async () => {
        for (const [name, clientId] of Object.entries(clients)) {
          for (const responseType of name === 'spaImplicit' ? ['code', 'token'] : ['code']) {
            const page = await browser.get(authorizePath(request(clientId, uri, responseType)));
            assert.equal(page.status, 400, `${name} ${responseType} ${JSON.stringify(uri)}`);
            assert.equal(page.location, null, `${name} ${responseType} ${JSON.stringify(uri)}: an error page, never a redirect`);
            assert.match(page.headers.get('content-type') ?? '', /text\/html/, `${name} ${responseType} ${JSON.stringify(uri)}: the error is an HTML page`);
          }
        }
      });
    }

    test('POST /oauth2/authorize (the consent form) cannot swap the redirect_uri: the stored request\'s is the one answered', async () => {
      for (const [why, uri] of trickyRedirectUris) {
        const consent = await browser.get(authorizePath({ ...request(clients.web!, registered), prompt: 'consent' }));
        const posted = await browser.post('/oauth2/authorize', { ...consentDecision(consent.text, 'allow'), redirect_uri: uri });
        assert.equal(posted.status, 303, `${why}: the decision is answered`);
        const location = new URL(posted.location!);
        assert.equal(`${location.origin}${location.pathname}`, registered, `${why}: at the registered redirect URI, not the posted one`);
      }
      const codes = JSON.parse(await dumpDatabase(provider.databaseUrl)).authorization_codes as { redirect_uri: string }[];
      assert.deepEqual([...new Set(codes.map((code) => code.redirect_uri))], [registered], 'every code issued is bound to the registered redirect URI');
    });

    test('a native app may use any port on a loopback redirect URI (RFC 8252 §7.3), and nothing else may vary', async () => {
      const native = (await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8080/callback', 'http://localhost/cb'] })).client.id;
      for (const uri of ['http://127.0.0.1:1/callback', 'http://127.0.0.1:51234/callback', 'http://127.0.0.1:65535/callback', 'http://127.0.0.1/callback', 'http://[::1]/callback', 'http://[::1]:9/callback', 'http://localhost:3000/cb']) {
        const page = await browser.get(authorizePath(request(native, uri)));
        assert.equal(page.status, 200, uri);
      }
      for (const uri of [
        'http://127.0.0.1:51234/callback/extra',
        'http://127.0.0.1:51234/Callback',
        'http://127.0.0.1:51234/callback?x=1',
        'http://127.0.0.1:51234/callback#x',
        'http://127.0.0.1:5000@evil.example/callback',
        'http://127.0.0.1.evil.example:5000/callback',
        'http://127.0.0.2:5000/callback',
        'http://localhost:5000/callback',
        'http://127.0.0.1:5000/cb',
        'https://127.0.0.1:5000/callback',
        'http://127.0.0.1:99999/callback',
        'http://localhost.evil.example:3000/cb',
        'http://LOCALHOST:3000/cb',
      ]) {
        const page = await browser.get(authorizePath(request(native, uri)));
        assert.equal(page.status, 400, uri);
        assert.equal(page.location, null, uri);
      }
    });

    test('web and browser apps get no loopback port leeway', async () => {
      for (const appType of ['web', 'spa'] as const) {
        const id = (await provider.registerClient({ appType, redirectUris: ['http://127.0.0.1/callback'] })).client.id;
        assert.equal((await browser.get(authorizePath(request(id, 'http://127.0.0.1/callback')))).status, 200, `${appType}: the registered loopback URI is accepted`);
        const page = await browser.get(authorizePath(request(id, 'http://127.0.0.1:51234/callback')));
        assert.equal(page.status, 400, appType);
        assert.equal(page.location, null, `${appType}: a loopback URI with another port gets the error page, never a redirect`);
      }
    });

    test('registration refuses userinfo, fragments, http off loopback, script and data schemes, and relative URIs', async () => {
      for (const uri of [
        'https://app.example@evil.example/callback',
        'https://user:pass@app.example/callback',
        'https://app.example/callback#x',
        'https://app.example/callback#',
        'http://app.example/callback',
        'javascript:alert(1)',
        'data:text/html,<script>alert(1)</script>',
        'file:///etc/passwd',
        '/callback',
        '//app.example/callback',
        'not a url',
      ]) {
        await assert.rejects(provider.registerClient({ appType: 'web', redirectUris: [uri] }), RegistrationError, uri);
      }
    });
  });
}
