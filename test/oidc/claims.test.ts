import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { updateClient } from '../../src/provider/protocol/clients.ts';
import { TestBrowser, consentDecision } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Claims (OpenID Connect Core §5): the address and phone scopes, claims an operator gives a person
// (grantry user claims), the claims request parameter (§5.5) for UserInfo and the ID token, what the
// consent page says of them, offline_access (§11), and the parameters Grantry accepts and keeps
// (display, acr_values, claims_locales). Driven with openid-client over HTTP.

const callback = 'https://rp.example/cb';

for (const kind of storeKinds) {
  describe(`claims on ${kind.name}`, () => {
    let provider: RunningProvider;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;

    before(async () => {
      provider = await startProvider(kind);
      user = await provider.createUser(undefined, undefined, { displayName: 'Ada Lovelace', email: 'ada@example.com' });
      // As an operator would, from another process: grantry user claims.
      const set = await runCli(['user', 'claims', user.username, '--set', 'phone_number=+44 20 7946 0958', '--set', 'phone_number_verified=true', '--set', 'address.locality=London', '--set', 'address.country=GB', '--set', 'given_name=Ada', '--database-url', provider.databaseUrl, '--json']);
      assert.equal(set.code, 0, `grantry user claims: ${set.stderr}`);
      assert.deepEqual(set.json().claims, { phone_number: '+44 20 7946 0958', phone_number_verified: true, address: { locality: 'London', country: 'GB' }, given_name: 'Ada' }, 'the claims as stored');
    });
    after(() => provider.close());

    /** An app, its openid-client configuration, and a signed-in browser. */
    async function app(scopes?: string[]) {
      const registered = await provider.registerClient({ appType: 'web', redirectUris: [callback], grantTypes: ['authorization_code', 'refresh_token'], ...(scopes ? { scopes } : {}) });
      const config = await discover(provider, registered.client.id, registered.clientSecret!);
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      return { config, browser, clientId: registered.client.id };
    }

    /** Logs in with these parameters; returns the consent page and the tokens. */
    async function logIn(target: Awaited<ReturnType<typeof app>>, params: Record<string, string>, headers: Record<string, string> = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(target.config, { redirect_uri: callback, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params });
      const consent = await target.browser.get(`${url.pathname}${url.search}`, headers);
      assert.equal(consent.status, 200, `the consent page: ${consent.location ?? consent.text.slice(0, 200)}`);
      const back = (await target.browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'))).location!;
      const tokens = await client.authorizationCodeGrant(target.config, new URL(back), { pkceCodeVerifier: verifier, idTokenExpected: true });
      return { consent: consent.text, tokens };
    }

    test('the address and phone scopes reveal the claims an operator recorded; profile the rest; nothing empty', async () => {
      const target = await app();
      const { tokens } = await logIn(target, { scope: 'openid address phone' });
      const info = await client.fetchUserInfo(target.config, tokens.access_token, tokens.claims()!.sub);
      assert.deepEqual(info, { sub: user.id, address: { locality: 'London', country: 'GB' }, phone_number: '+44 20 7946 0958', phone_number_verified: true }, 'address and phone, and nothing of profile or email');
      const withProfile = await logIn(target, { scope: 'openid profile' });
      const profile = await client.fetchUserInfo(target.config, withProfile.tokens.access_token, user.id);
      assert.deepEqual(profile, { sub: user.id, name: 'Ada Lovelace', given_name: 'Ada', preferred_username: user.username }, 'profile: the claims with a value, no empty ones');
    });

    test('the claims parameter adds claims to UserInfo and to the ID token (also on refresh); the consent page names them, in English and Chinese', async () => {
      const target = await app();
      const claims = JSON.stringify({ userinfo: { given_name: null, phone_number: { essential: true } }, id_token: { email: null, address: { essential: false }, not_a_claim: null } });
      const { consent, tokens } = await logIn(target, { scope: 'openid', claims });
      assert.match(consent, /data-testid="consent-claims"/, 'the consent page lists the claims asked for beyond the scopes');
      for (const name of ['given_name', 'phone_number', 'email', 'address']) assert.match(consent, new RegExp(`data-claim="${name}"`), `${name} is named on the consent page`);
      assert.doesNotMatch(consent, /data-claim="not_a_claim"/, 'an unknown claim is not');
      const idClaims = tokens.claims()!;
      assert.equal(idClaims.email, 'ada@example.com', 'the ID token carries email, asked for by name');
      assert.deepEqual(idClaims.address, { locality: 'London', country: 'GB' }, 'and the address');
      assert.equal(idClaims.phone_number, undefined, 'not what was asked of UserInfo');
      assert.equal(idClaims.not_a_claim, undefined, 'unknown claims are ignored (Core §5.5)');
      const info = await client.fetchUserInfo(target.config, tokens.access_token, idClaims.sub);
      assert.deepEqual(info, { sub: user.id, given_name: 'Ada', phone_number: '+44 20 7946 0958' }, 'UserInfo: what the claims parameter asked of it');
      const refreshed = await client.refreshTokenGrant(target.config, tokens.refresh_token!);
      assert.equal(refreshed.claims()!.email, 'ada@example.com', 'the refreshed ID token carries the claims asked for too');
      const chinese = await target.browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: target.clientId, redirect_uri: callback, scope: 'openid', claims, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`, { 'accept-language': 'zh-CN' });
      assert.match(chinese.text, /它还要求查看：/, 'asked again (claims by name are not remembered), with the claims heading in Chinese');
      assert.match(chinese.text, /你的电话号码/, 'and the phone number in Chinese');
    });

    test('claims asked for by name stop when an operator takes their scope from the app', async () => {
      const target = await app();
      const { tokens } = await logIn(target, { scope: 'openid', claims: JSON.stringify({ userinfo: { phone_number: null }, id_token: { phone_number: null } }) });
      assert.equal(tokens.claims()!.phone_number, '+44 20 7946 0958', 'given while the app may have phone');
      await updateClient(provider.store, provider.config, target.clientId, { scopes: ['openid', 'profile', 'email'] });
      const info = await client.fetchUserInfo(target.config, tokens.access_token, user.id);
      assert.equal(info.phone_number, undefined, 'UserInfo no longer gives it');
      const refreshed = await client.refreshTokenGrant(target.config, tokens.refresh_token!);
      assert.equal(refreshed.claims()!.phone_number, undefined, 'nor a refreshed ID token');
    });

    test('a claim of a scope the app may not be granted is ignored: it cannot reach past its scopes by name', async () => {
      const target = await app(['openid', 'profile']);
      const { consent, tokens } = await logIn(target, { scope: 'openid', claims: JSON.stringify({ userinfo: { phone_number: null, given_name: null } }) });
      assert.doesNotMatch(consent, /data-claim="phone_number"/, 'the phone number is not asked on the consent page');
      const info = await client.fetchUserInfo(target.config, tokens.access_token, user.id);
      assert.deepEqual(info, { sub: user.id, given_name: 'Ada' }, 'only the claim of a scope the app may have');
    });

    test('a malformed claims, display, acr_values or claims_locales is invalid_request at the app; well-formed ones are accepted', async () => {
      const target = await app();
      const bad: [string, Record<string, string>][] = [
        ['claims that is not JSON', { claims: '{userinfo' }],
        ['claims that is an array', { claims: '[]' }],
        ['claims.userinfo that is not an object', { claims: '{"userinfo":[]}' }],
        ['a claim request that is a string', { claims: '{"id_token":{"email":"yes"}}' }],
        ['essential that is not a boolean', { claims: '{"id_token":{"email":{"essential":"true"}}}' }],
        ['claims too long', { claims: JSON.stringify({ userinfo: { name: { values: ['x'.repeat(5000)] } } }) }],
        ['an unknown display', { display: 'hologram' }],
        ['acr_values with a control character', { acr_values: 'urn:a\u0001' }],
        ['claims_locales that are not language tags', { claims_locales: 'en_US!' }],
      ];
      for (const [what, params] of bad) {
        const answer = await target.browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: target.clientId, redirect_uri: callback, scope: 'openid', state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', ...params })}`);
        assert.equal(answer.status, 302, `${what}: redirected to the app`);
        const back = new URL(answer.location!);
        assert.deepEqual([back.searchParams.get('error'), back.searchParams.get('state')], ['invalid_request', 's'], `${what}: invalid_request, with the state`);
      }
      const { tokens } = await logIn(target, { scope: 'openid', display: 'popup', acr_values: 'urn:grantry:password', claims_locales: 'zh-CN en', ui_locales: 'en' });
      assert.equal(typeof tokens.id_token, 'string', 'display, acr_values and claims_locales are accepted');
    });

    test('offline_access is granted with a code, named on the consent page, and a refresh token comes', async () => {
      const target = await app();
      const { consent, tokens } = await logIn(target, { scope: 'openid offline_access' });
      assert.match(consent, /data-scope="offline_access"/, 'the consent page names offline_access');
      assert.equal(tokens.scope, 'openid offline_access', 'granted');
      assert.equal(typeof tokens.refresh_token, 'string', 'with a refresh token');
      assert.equal(decodeJwt(tokens.id_token!).aud, target.clientId, 'and an ID token');
    });

    test('grantry user claims refuses what is not a claim it states, and --unset removes', async () => {
      const cli = (...args: string[]) => runCli(['user', 'claims', user.username, ...args, '--database-url', provider.databaseUrl, '--json']);
      for (const [args, message] of [
        [['--set', 'email=x@example.com'], /comes from the user's own record/],
        [['--set', 'favourite_colour=blue'], /not a claim Grantry states/],
        [['--set', 'address.planet=Mars'], /an address has the parts/],
        [['--set', 'phone_number_verified=yes'], /true or false/],
        [['--set', 'no-equals-sign'], /NAME=VALUE/],
      ] as const) {
        const refused = await cli(...args);
        assert.notEqual(refused.code, 0, `${args.join(' ')} is refused`);
        assert.match(refused.stderr, message, `${args.join(' ')}: says why`);
      }
      const updated = await cli('--set', 'updated_at=1796000000');
      assert.equal(updated.json().claims.updated_at, 1796000000, 'updated_at is a number (Core §5.1)');
      assert.match((await cli('--set', 'updated_at=yesterday')).stderr, /seconds since the epoch/, 'and nothing else');
      await cli('--unset', 'updated_at');
      const unset = await cli('--unset', 'given_name', '--unset', 'address.country');
      assert.deepEqual(unset.json().claims, { phone_number: '+44 20 7946 0958', phone_number_verified: true, address: { locality: 'London' } }, 'given_name and one part of the address gone');
      await cli('--set', 'given_name=Ada', '--set', 'address.country=GB');
    });
  });
}
