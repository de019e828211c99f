import assert from 'node:assert/strict';
import { randomUUID, sign } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { s256 } from '../../src/lib/crypto.ts';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { dumpDatabase } from '../helpers/dump.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { sqliteKind, storeKinds } from '../helpers/stores.ts';
import { startDemoFor } from '../helpers/demo.ts';
import { basicAuth, getMe, makeCode, postForm, webAppWithTokens } from '../provider/token-fixtures.ts';

// The requirements of RFC 9700 and RFC 6749 §10 that no other test covered (docs/security.md maps
// every requirement to its test).

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const callback = 'https://app.example/callback';

for (const kind of storeKinds) {
  describe(`security requirements on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { login: { lockAfterFailures: 3, addressFailures: 3 } })));
    after(() => provider.close());

    test('every credential Grantry generates has 256 random bits: codes, refresh tokens, opaque access tokens, client secrets, session ids (RFC 6749 §10.10)', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      assert.equal((await browser.login(user.username, user.password)).status, 303, 'the test user signs in (303)');
      const seen = new Set<string>();
      const check = (what: string, value: string | undefined | null) => {
        assert.ok(value, what);
        // 43 base64url characters: 258 bits of text carrying 32 random bytes.
        assert.match(value!, /^[A-Za-z0-9_-]{43}$/, what);
        assert.ok(!seen.has(value!), `${what} repeated`);
        seen.add(value!);
      };
      check('session id', browser.cookies.get('grantry_session'));
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', tokenFormat: 'opaque' });
      check('client secret', clientSecret);
      for (let i = 0; i < 20; i++) {
        const request = { response_type: 'code', client_id: client.id, redirect_uri: callback, state: 's', code_challenge: s256(verifier), code_challenge_method: 'S256', prompt: 'consent' };
        const consent = await browser.get(`/oauth2/authorize?${new URLSearchParams(request)}`);
        const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
        const code = new URL(allowed.location!).searchParams.get('code');
        check('code', code);
        const tokens = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code: code!, redirect_uri: callback, code_verifier: verifier }, basicAuth(client.id, clientSecret!));
        check('opaque access token', tokens.body.access_token);
        check('refresh token', tokens.body.refresh_token);
      }
    });

    test('the authorization endpoint does not answer CORS; the endpoints browser apps call do (RFC 9700 §2.6)', async () => {
      const { client } = await provider.registerClient({ appType: 'spa' });
      const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: callback, code_challenge: s256(verifier), code_challenge_method: 'S256' });
      const preflight = await fetch(`${provider.url}/oauth2/authorize?${query}`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null, 'the authorization endpoint answers no CORS preflight');
      const get = await fetch(`${provider.url}/oauth2/authorize?${query}`, { headers: { origin: 'https://app.example' }, redirect: 'manual' });
      assert.equal(get.headers.get('access-control-allow-origin'), null, 'the authorization endpoint allows no cross-origin GET');
      const post = await fetch(`${provider.url}/oauth2/authorize`, { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded' }, body: query, redirect: 'manual' });
      assert.equal(post.headers.get('access-control-allow-origin'), null, 'the authorization endpoint allows no cross-origin POST');
      for (const path of ['/oauth2/token', '/oauth2/revoke']) {
        const response = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
        assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      }
      for (const path of ['/.well-known/oauth-authorization-server', '/oauth2/jwks']) {
        assert.equal((await fetch(`${provider.url}${path}`)).headers.get('access-control-allow-origin'), '*', path);
      }
    });

    test('requests that carry credentials are redirected with 303, never 307 (RFC 9700 §4.12)', async () => {
      const user = await provider.createUser();
      const { client } = await provider.registerClient({ appType: 'web' });
      const browser = new TestBrowser(provider.url);
      const request = { response_type: 'code', client_id: client.id, redirect_uri: callback, state: 's', code_challenge: s256(verifier), code_challenge_method: 'S256' };
      const loginPage = await browser.get(`/login?return_to=${encodeURIComponent(`/oauth2/authorize?${new URLSearchParams(request)}`)}`);
      const loggedIn = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(loginPage.text), return_to: `/oauth2/authorize?${new URLSearchParams(request)}` });
      assert.equal(loggedIn.status, 303, 'the login form redirects with 303, never 307');
      for (const decision of ['allow', 'deny'] as const) {
        // Each decision answers a request of its own: a stored request is answered once.
        const consent = await browser.get(`/oauth2/authorize?${new URLSearchParams({ ...request, prompt: 'consent' })}`);
        const answer = await browser.post('/oauth2/authorize', consentDecision(consent.text, decision));
        assert.equal(answer.status, 303, `${decision} redirects with 303, never 307`);
      }
      const signup = await browser.get('/signup');
      const signedUp = await new TestBrowser(provider.url).post('/signup', { username: `new-${randomUUID().slice(0, 8)}`, display_name: 'N', email: 'n@example.com', password: 'a long enough password', password_confirmation: 'a long enough password', csrf_token: csrfFrom(signup.text) });
      assert.ok([303, 403].includes(signedUp.status), `signing up redirects with 303 (or is refused with 403), never 307: ${signedUp.status}`);
      assert.equal((await browser.post('/logout', { csrf_token: csrfFrom((await browser.get('/console')).text) })).status, 303, 'logging out redirects with 303, never 307');
    });

    test('the login and consent pages load nothing from, and link to nothing on, another site (RFC 9700 §4.2.4)', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const { client } = await provider.registerClient({ appType: 'web', homepage: 'https://third-party.example/', description: 'see https://third-party.example/more' });
      const request = { response_type: 'code', client_id: client.id, redirect_uri: callback, state: 's', code_challenge: s256(verifier), code_challenge_method: 'S256' };
      const pages = {
        consent: await browser.get(`/oauth2/authorize?${new URLSearchParams(request)}`),
        login: await new TestBrowser(provider.url).get('/login'),
        error: await browser.get('/oauth2/authorize?client_id=nobody'),
      };
      assert.equal(pages.consent.status, 200, 'the consent page is shown to the signed-in user');
      for (const [what, page] of Object.entries(pages)) {
        for (const [, attribute, url] of page.text.matchAll(/\b(src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"/gi)) {
          const resolved = new URL(url!.replace(/&amp;/g, '&'), provider.url);
          assert.equal(resolved.origin, new URL(provider.url).origin, `${what}: ${attribute}="${url}"`);
        }
        assert.doesNotMatch(page.text, /url\(\s*['"]?https?:/i, what);
      }
    });

    test('X-Forwarded-For is not trusted: spoofed addresses do not escape the per-address count (RFC 9700 §4.13)', async () => {
      const attempt = (forwardedFor: string, password: string) => new Promise<number>((resolve, reject) => {
        const url = new URL(provider.url);
        const go = (method: string, path: string, body?: string, cookie?: string) => new Promise<{ status: number; body: string; cookies: string[] }>((done, fail) => {
          const headers: Record<string, string> = { 'x-forwarded-for': forwardedFor, 'x-real-ip': forwardedFor, forwarded: `for=${forwardedFor}` };
          if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
          if (cookie) headers.cookie = cookie;
          const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, localAddress: '127.0.9.9' }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c) => (text += c));
            res.on('end', () => done({ status: res.statusCode!, body: text, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!) }));
          });
          req.on('error', fail);
          req.end(body);
        });
        go('GET', '/login').then((page) => go('POST', '/login', new URLSearchParams({ username: `ghost-${forwardedFor}`, password, csrf_token: csrfFrom(page.body) }).toString(), page.cookies.join('; ')))
          .then((answer) => resolve(answer.status), reject);
      });
      for (const spoofed of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) assert.equal(await attempt(spoofed, 'wrong'), 401, `a failed login from spoofed address ${spoofed} is refused with 401 while the real address is not yet locked`);
      // Three failures from the one real address: the address is locked, whatever the headers say.
      const locked = await attempt('10.0.0.4', 'wrong');
      assert.equal(locked, 429, 'the fourth failure from the one real address is locked (429), whatever the forwarded headers say');
      const buckets = JSON.parse(await dumpDatabase(provider.databaseUrl)).login_buckets as { key: string }[];
      assert.ok(buckets.some((b) => b.key === 'addr:127.0.9.9'), 'the failures are counted against the real address 127.0.9.9');
      assert.ok(!buckets.some((b) => b.key.startsWith('addr:10.')), 'no spoofed address was counted');
    });

    test('a return_to that would leave the site is never followed after login (RFC 9700 §4.11, no open redirector)', async () => {
      const user = await provider.createUser();
      for (const returnTo of ['https://evil.example/', '//evil.example/', '/\\evil.example/', '\\\\evil.example', 'https:evil.example', '/%0d%0aLocation:%20https://evil.example', 'javascript:alert(1)', ' /console', '/\t/evil.example']) {
        const browser = new TestBrowser(provider.url);
        const page = await browser.get('/login');
        const answer = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(page.text), return_to: returnTo });
        assert.equal(answer.status, 303, returnTo);
        const target = new URL(answer.location!, provider.url);
        assert.equal(target.origin, new URL(provider.url).origin, `${returnTo} → ${answer.location}`);
      }
    });

    test('PKCE support is published in the metadata, S256 only (RFC 9700 §2.1.1)', async () => {
      const metadata = await (await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).json();
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'], 'the metadata publishes S256 as the only PKCE method');
      assert.equal(metadata.authorization_response_iss_parameter_supported, true, 'the metadata publishes that the authorization response carries iss');
    });

    test('an access token made for another audience is refused at /api/me (RFC 9700 §2.3)', async () => {
      const { tokens, grantId, client, user } = await webAppWithTokens(provider);
      assert.equal((await getMe(provider, tokens.access_token)).status, 200, 'the token made for this provider is accepted at /api/me');
      const key = provider.ctx.keys.signingKey();
      const at = Math.floor(Date.now() / 1000);
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString());
      const claims = { iss: provider.url, sub: user.id, aud: 'https://another-api.example', client_id: client.id, scope: 'profile', gid: grantId, jti: randomUUID(), iat: at, exp: at + 600 };
      const input = `${encode(header)}.${encode(claims)}`;
      const forged = `${input}.${sign(null, Buffer.from(input), key.privateKey!).toString('base64url')}`;
      const refused = await getMe(provider, forged);
      assert.equal(refused.status, 401, `a token made for another audience is refused at /api/me: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_token', 'the refusal of a token for another audience is invalid_token');
      // The same token with the right audience is accepted: the audience is what was refused.
      const rightInput = `${encode(header)}.${encode({ ...claims, aud: provider.url })}`;
      assert.equal((await getMe(provider, `${rightInput}.${sign(null, Buffer.from(rightInput), key.privateKey!).toString('base64url')}`)).status, 200, 'the same token with this provider as its audience is accepted at /api/me');
    });
  });
}

describe('Connect and tokens from the implicit flow', () => {
  test('a token handed to the site in place of a code signs nobody in (RFC 6749 §10.16)', async () => {
    const provider = await startProvider(sqliteKind);
    const { site, siteUrl, base, app } = await startDemoFor({ ...provider, issuer: provider.url });
    try {
      // A real access token, issued to this very site for a real user: what an attacker would inject.
      const user = await provider.createUser();
      const { code, verifier } = await makeCode(provider, { client: app.client, user, redirectUri: `${siteUrl}/auth/grantry/callback` });
      const tokens = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: `${siteUrl}/auth/grantry/callback`, code_verifier: verifier! }, basicAuth(app.client.id, app.clientSecret!));
      assert.equal(tokens.status, 200, `the site's code is exchanged for tokens: ${JSON.stringify(tokens.body)}`);
      const accessToken = tokens.body.access_token as string;

      const json = { 'content-type': 'application/json', origin: siteUrl };
      const started = await fetch(`${base}/api/auth/grantry/authorize`, { method: 'POST', headers: json, body: '{}' });
      assert.equal(started.status, 200, 'the site starts a Grantry sign-in');
      const cookie = started.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const state = new URL((await started.json()).url).searchParams.get('state')!;
      const signedIn = (response: Response) => response.headers.getSetCookie().some((c) => c.startsWith('connect_session=') && !/max-age=0/i.test(c));

      const viaJson = await fetch(`${base}/api/auth/grantry/callback`, { method: 'POST', headers: { ...json, cookie }, body: JSON.stringify({ state, access_token: accessToken, token_type: 'Bearer' }) });
      assert.ok(viaJson.status >= 400 && viaJson.status < 500, String(viaJson.status));
      assert.ok(!signedIn(viaJson), 'an access token posted to the JSON callback signs nobody in');
      assert.ok(!['signed_in', 'pending', 'linked'].includes((await viaJson.json()).status), 'an access token posted to the JSON callback neither signs in, nor leaves a pending sign-in, nor links an account');

      const viaRedirect = await fetch(`${base}/auth/grantry/callback?${new URLSearchParams({ state, access_token: accessToken, token_type: 'Bearer' })}`, { headers: { cookie }, redirect: 'manual' });
      assert.ok(viaRedirect.status < 500, `an access token in the callback URL is refused without a server error: ${viaRedirect.status}`);
      assert.ok(!signedIn(viaRedirect), 'an access token in the callback URL signs nobody in');
      assert.notEqual(viaRedirect.headers.get('location'), '/account', 'an access token in the callback URL does not lead to the account page');
      assert.notEqual(viaRedirect.headers.get('location'), '/auth/pending', 'an access token in the callback URL does not lead to a pending sign-in');
    } finally {
      await site.close();
      await provider.close();
    }
  });
});
