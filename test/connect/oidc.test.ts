import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
// @ts-expect-error oidc-provider 8 ships no type declarations.
import OidcProvider from 'oidc-provider';
import { oidc, refreshTokens, revokeToken, unsealTokens, ConnectError, validateIdToken } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { startSite, TestBrowser, visible, type TestSite } from './helpers.ts';
import { listenFirst } from '../../src/lib/listen-first.ts';

// The full authorization-code + PKCE + OIDC flow against oidc-provider (a provider nobody here
// wrote), in-process on a loopback port, its development login and consent pages driven like a
// person would: follow redirects, fill in the forms.

function formAction(page: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no form on the page:\n${page.slice(0, 400)}`);
  return match[1]!;
}

/** From the provider's authorization URL to the site's callback answer, logging in as `account`. */
async function throughProvider(browser: TestBrowser, authorizeUrl: string, issuer: string, account: string) {
  let response = await browser.get(authorizeUrl);
  for (let step = 0; step < 12; step += 1) {
    if (response.location) {
      const next = new URL(response.location, issuer);
      if (next.origin !== issuer) return { landing: next, callback: await browser.get(next.href) };
      response = await browser.get(next.href);
      continue;
    }
    assert.equal(response.status, 200, response.text.slice(0, 400));
    const action = new URL(formAction(response.text), issuer).href;
    const prompt = /name="prompt" value="(\w+)"/.exec(response.text)?.[1];
    response = await browser.post(action, prompt === 'login' ? { prompt: 'login', login: account, password: 'any' } : { prompt: prompt ?? 'consent' });
  }
  throw new Error('the provider never sent the browser back');
}

for (const kind of storeKinds) {
  describe(`OpenID Connect against oidc-provider on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let closeOp: () => Promise<void>;
    let site: TestSite;
    let issuer: string;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      // Both listen before they are built: the provider's issuer names its port, and its client's
      // redirect URIs name the site's.
      const opEarly = await listenFirst('127.0.0.1');
      closeOp = opEarly.close;
      issuer = `http://127.0.0.1:${opEarly.port}`;
      site = await startSite(store, async (siteUrl) => {
      const op = new OidcProvider(issuer, {
        clients: [{
          client_id: 'connect-site',
          client_secret: 'connect-site-secret-which-is-long-enough',
          redirect_uris: [`${siteUrl}/auth/op/callback`, `${siteUrl}/spa/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        }],
        async findAccount(_ctx: unknown, id: string) {
          return { accountId: id, claims: async () => ({ sub: id, name: `OP ${id}`, email: `${id}@op.example`, email_verified: true }) };
        },
        claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        issueRefreshToken: async () => true,
        features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
        cookies: { keys: ['oidc-test-cookie-key'] },
      });
      op.on('server_error', (_ctx: unknown, error: Error) => console.error('oidc-provider:', error));
      opEarly.serverFactory(op.callback());
      return [oidc({ id: 'op', name: 'Test OP', issuer, clientId: 'connect-site', clientSecret: 'connect-site-secret-which-is-long-enough' })];
      });
    });
    after(async () => {
      await site.close();
      await closeOp();
      await dispose();
    });

    test('code + PKCE + nonce, RFC 9207 iss on the callback, ID token checked, identity from claims and userinfo', async () => {
      const browser = new TestBrowser(site.url);
      const start = await browser.post('/auth/op/login', {});
      const authorize = new URL(start.location!);
      assert.equal(authorize.origin, issuer, 'the login sends the browser to the provider');
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'the login uses PKCE with S256');
      assert.ok(authorize.searchParams.get('nonce'), 'the login carries a nonce');
      assert.match(authorize.searchParams.get('scope')!, /openid/, 'the login asks for the openid scope');
      const { landing, callback } = await throughProvider(browser, authorize.href, issuer, 'ada');
      assert.equal(landing.searchParams.get('iss'), issuer, 'oidc-provider sends iss');
      assert.equal(callback.status, 303, callback.text);
      assert.equal(callback.location, '/auth/pending', 'the first login of an unknown account ends on the pending page');
      const identity = (await store.findIdentityBySubject('op', 'ada'))!;
      assert.deepEqual(identity.profile, { name: 'OP ada', email: 'ada@op.example', emailVerified: true, avatar: null }, 'the identity is read from the claims and userinfo');
      const tokens = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens!);
      assert.ok(tokens.idToken && tokens.accessToken, 'the ID token and the access token are stored');
      assert.ok(!visible(callback).includes(tokens.accessToken), 'the provider\'s access token is not shown to the browser');

      const created = await browser.post('/auth/pending/register', { username: 'ada', displayName: 'Ada' });
      assert.equal(created.location, '/account', 'registering from the pending page ends on the account page');
      const again = new TestBrowser(site.url);
      const second = await throughProvider(again, (await again.post('/auth/op/login', {})).location!, issuer, 'ada');
      assert.equal(second.callback.location, '/account', 'known and bound: signed in');
    });

    test('a callback naming another issuer is refused before the code is used (mix-up)', async () => {
      const browser = new TestBrowser(site.url);
      const start = await browser.post('/auth/op/login', {});
      const { landing } = await throughProviderStopping(browser, start.location!, issuer, 'mallory');
      landing.searchParams.set('iss', 'https://attacker.example');
      const refused = await browser.get(landing.href);
      assert.equal(refused.status, 400, `a callback naming another issuer is refused (400): ${refused.text.slice(0, 300)}`);
      assert.match(refused.text, /attacker\.example/, 'the refusal names the other issuer');
      // oidc-provider always sends iss, so a callback without it is refused too.
      const again = await browser.post('/auth/op/login', {});
      const stripped = (await throughProviderStopping(browser, again.location!, issuer, 'mallory')).landing;
      stripped.searchParams.delete('iss');
      const silent = await browser.get(stripped.href);
      assert.equal(silent.status, 400, `a callback without iss is refused (400): ${silent.text.slice(0, 300)}`);
      assert.match(silent.text, /always sends iss/, 'the refusal says that this provider always sends iss');
    });

    test('an ID token for another login (nonce) or another audience is refused', async () => {
      const provider = (await site.connect.provider('op'))!;
      const identity = (await store.findIdentityBySubject('op', 'ada'))!;
      const { idToken } = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens!);
      await assert.rejects(validateIdToken(provider, idToken!, 'another-nonce'), (e: unknown) => e instanceof ConnectError && e.code === 'nonce_mismatch', 'an ID token checked against another nonce is refused as nonce_mismatch');
      await assert.rejects(validateIdToken({ ...provider, clientId: 'someone-else' }, idToken!, 'x'), (e: unknown) => e instanceof ConnectError && e.code === 'invalid_id_token', 'an ID token for another audience is refused as invalid_id_token');
      await assert.rejects(validateIdToken({ ...provider, issuer: 'https://other.example' }, idToken!, 'x'), (e: unknown) => e instanceof ConnectError && e.code === 'invalid_id_token', 'an ID token from another issuer is refused as invalid_id_token');
    });

    test('refresh and revocation at the provider', async () => {
      const provider = (await site.connect.provider('op'))!;
      const browser = new TestBrowser(site.url);
      // offline_access needs prompt=consent; ask for it directly through the client functions.
      const { createAuthorizationRequest, completeAuthorization } = await import('../../src/connect/index.ts');
      const request = createAuthorizationRequest(provider, { redirectUri: `${site.url}/auth/op/callback`, scope: 'openid offline_access', params: { prompt: 'consent' } });
      const { landing } = await throughProviderStopping(browser, request.url, issuer, 'grace');
      assert.equal(landing.searchParams.get('state'), request.state, 'the provider sends back the state of the request');
      const params = Object.fromEntries(landing.searchParams);
      const { tokens, identity } = await completeAuthorization(provider, params, { codeVerifier: request.codeVerifier, nonce: request.nonce, redirectUri: `${site.url}/auth/op/callback` });
      assert.equal(identity.subject, 'grace', 'the identity is the account that logged in at the provider');
      assert.ok(tokens.refreshToken, 'a refresh token for offline_access');
      const fresh = await refreshTokens(provider, tokens.refreshToken!);
      assert.notEqual(fresh.accessToken, tokens.accessToken, 'the refresh gives a new access token');
      await revokeToken(provider, fresh.refreshToken!, 'refresh_token');
      await assert.rejects(refreshTokens(provider, fresh.refreshToken!), /invalid_grant/, 'a revoked refresh token is refused as invalid_grant');
      // The code was used: a second exchange fails at the provider.
      await assert.rejects(completeAuthorization(provider, params, { codeVerifier: request.codeVerifier, nonce: request.nonce, redirectUri: `${site.url}/auth/op/callback` }), /invalid_grant/, 'a code used once is refused as invalid_grant');
    });
  });
}

/** Like throughProvider, but stops before the site's callback is requested. */
async function throughProviderStopping(browser: TestBrowser, authorizeUrl: string, issuer: string, account: string) {
  let response = await browser.get(authorizeUrl);
  for (let step = 0; step < 12; step += 1) {
    if (response.location) {
      const next = new URL(response.location, issuer);
      if (next.origin !== issuer) return { landing: next };
      response = await browser.get(next.href);
      continue;
    }
    const action = new URL(formAction(response.text), issuer).href;
    const prompt = /name="prompt" value="(\w+)"/.exec(response.text)?.[1];
    response = await browser.post(action, prompt === 'login' ? { prompt: 'login', login: account, password: 'any' } : { prompt: prompt ?? 'consent' });
  }
  throw new Error('the provider never sent the browser back');
}
