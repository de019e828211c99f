import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { createProviderContext } from '../../src/provider/context.ts';
import { RegistrationError, updateClient } from '../../src/provider/protocol/clients.ts';
import { subjectFor } from '../../src/provider/protocol/subject.ts';
import { basic } from '../helpers/basic.ts';
import { TestBrowser, consentDecision } from '../helpers/browser.ts';
import { discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Pairwise subject identifiers (OpenID Connect Core §8.1), through openid-client: a pairwise app
// names the person by an id of its sector's own, the same in everything it receives, the same for
// every app of its sector, and different from every other sector's and from the public id.

for (const kind of storeKinds) {
  describe(`pairwise subjects on ${kind.name}`, () => {
    let provider: RunningProvider;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;

    before(async () => {
      provider = await startProvider(kind);
      user = await provider.createUser();
    });
    after(() => provider.close());

    /** Registers an app, logs the person in to it with openid, and returns everything that names them. */
    async function namesIn(registration: { redirectUri: string; subjectType?: 'public' | 'pairwise'; sectorIdentifier?: string; tokenFormat?: 'jwt' | 'opaque' }, signedIn?: TestBrowser) {
      const registered = await provider.registerClient({
        appType: 'web',
        name: 'Relying party',
        redirectUris: [registration.redirectUri],
        grantTypes: ['authorization_code', 'refresh_token'],
        subjectType: registration.subjectType,
        sectorIdentifier: registration.sectorIdentifier,
        tokenFormat: registration.tokenFormat,
      });
      const id = registered.client.id;
      const secret = registered.clientSecret!;
      const config = await discover(provider, id, secret);
      const browser = signedIn ?? new TestBrowser(provider.url);
      if (!signedIn) await signIn(provider, browser, user);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: registration.redirectUri, scope: 'openid profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const page = await browser.get(`${url.pathname}${url.search}`);
      const back = (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location!;
      const tokens = await client.authorizationCodeGrant(config, new URL(back), { pkceCodeVerifier: verifier, idTokenExpected: true });
      const sub = tokens.claims()!.sub;
      const userInfo = await client.fetchUserInfo(config, tokens.access_token, sub);
      const me = (await (await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as { uid: string };
      const introspected = (await (await fetch(`${provider.url}/oauth2/introspect`, {
        method: 'POST',
        headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }),
      })).json()) as { sub: string };
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      return {
        clientId: id,
        config,
        browser,
        idToken: tokens.id_token!,
        sub,
        names: {
          'UserInfo sub': userInfo.sub,
          'token response uid': String(tokens.uid),
          '/api/me uid': me.uid,
          'introspection sub': introspected.sub,
          'refreshed ID token sub': refreshed.claims()!.sub,
          ...(registration.tokenFormat === 'opaque' ? {} : { 'JWT access token sub': String(decodeJwt(tokens.access_token).sub) }),
        },
      };
    }

    test('a pairwise app gets its own id for the person, the same everywhere it looks; apps of one sector share it, other sectors and public apps do not', async () => {
      const first = await namesIn({ redirectUri: 'https://rp.example/cb', subjectType: 'pairwise' });
      assert.notEqual(first.sub, user.id, 'not the public id');
      assert.match(first.sub, /^[A-Za-z0-9_-]{43}$/, 'an opaque id');
      for (const [where, name] of Object.entries(first.names)) assert.equal(name, first.sub, `${where} is the ID token's sub`);
      const sameSector = await namesIn({ redirectUri: 'https://rp.example/other-callback', subjectType: 'pairwise', tokenFormat: 'opaque' });
      assert.equal(sameSector.sub, first.sub, 'another app on the same host: the same id (one sector)');
      for (const [where, name] of Object.entries(sameSector.names)) assert.equal(name, first.sub, `${where} of the opaque-token app is the ID token's sub`);
      const otherSector = await namesIn({ redirectUri: 'https://elsewhere.example/cb', subjectType: 'pairwise' });
      assert.notEqual(otherSector.sub, first.sub, 'another host: another id');
      const publicApp = await namesIn({ redirectUri: 'https://rp.example/cb' });
      assert.equal(publicApp.sub, user.id, 'a public app still gets the user id, as the uid always was');
      for (const [where, name] of Object.entries(publicApp.names)) assert.equal(name, user.id, `${where} of the public app is the user id`);
      const bySectorIdentifier = await namesIn({ redirectUri: 'https://login.elsewhere.example/cb', subjectType: 'pairwise', sectorIdentifier: 'elsewhere.example' });
      assert.equal(bySectorIdentifier.sub, otherSector.sub, 'an operator-set sector identifier joins that sector');
    });

    test('the pairwise id is stable: the salt is kept in the database, not made again when the provider restarts', async () => {
      const before = await namesIn({ redirectUri: 'https://stable.example/cb', subjectType: 'pairwise' });
      const restarted = await createProviderContext(provider.config, provider.store);
      assert.equal(restarted.pairwiseSalt, provider.ctx.pairwiseSalt, 'the same salt after a restart');
      const again = await namesIn({ redirectUri: 'https://stable.example/cb', subjectType: 'pairwise' });
      assert.equal(again.sub, before.sub, 'the same id for the same sector');
    });

    test('the sector is fixed when an app becomes pairwise: an operator moving its callbacks changes no one\'s id; apps on loopback or a private-use scheme share with no one', async () => {
      const app = await namesIn({ redirectUri: 'https://moving.example/cb', subjectType: 'pairwise' });
      const stored = (await provider.store.clients.find(app.clientId))!;
      assert.equal(stored.sectorIdentifier, 'moving.example', 'the sector is kept with the app');
      await updateClient(provider.store, provider.config, app.clientId, { redirectUris: ['https://new-home.example/cb'] });
      const moved = await provider.store.clients.find(app.clientId);
      const restarted = await createProviderContext(provider.config, provider.store);
      assert.equal(subjectFor(restarted.pairwiseSalt, moved!, user.id), app.sub, 'the same id after the callbacks moved to another host (Core §8: never reassigned)');
      const loopbackA = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/cb'], subjectType: 'pairwise' });
      const loopbackB = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/cb'], subjectType: 'pairwise' });
      assert.notEqual(subjectFor(provider.ctx.pairwiseSalt, loopbackA.client, user.id), subjectFor(provider.ctx.pairwiseSalt, loopbackB.client, user.id), 'two apps on loopback do not share a sector');
      const schemeA = await provider.registerClient({ appType: 'native', redirectUris: ['com.example.app:/cb'], subjectType: 'pairwise' });
      const schemeB = await provider.registerClient({ appType: 'native', redirectUris: ['com.example.app:/cb'], subjectType: 'pairwise' });
      assert.notEqual(subjectFor(provider.ctx.pairwiseSalt, schemeA.client, user.id), subjectFor(provider.ctx.pairwiseSalt, schemeB.client, user.id), 'nor two apps claiming one private-use scheme');
    });

    test('two apps signed in through one provider session get different sids', async () => {
      const first = await namesIn({ redirectUri: 'https://sid-one.example/cb' });
      const second = await namesIn({ redirectUri: 'https://sid-two.example/cb' }, first.browser);
      const sids = [decodeJwt(first.idToken).sid, decodeJwt(second.idToken).sid];
      assert.ok(typeof sids[0] === 'string' && typeof sids[1] === 'string', `both carry a sid: ${sids.join(', ')}`);
      assert.notEqual(sids[0], sids[1], 'each app has its own sid of a session, so no two apps can join their users on it');
    });

    test('id_token_hint and RP-initiated logout know the person by the pairwise id', async () => {
      const app = await namesIn({ redirectUri: 'https://hint.example/cb', subjectType: 'pairwise' });
      const silent = client.buildAuthorizationUrl(app.config, {
        redirect_uri: 'https://hint.example/cb', scope: 'openid', prompt: 'none', id_token_hint: app.idToken, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      });
      const answer = await app.browser.get(`${silent.pathname}${silent.search}`);
      assert.ok(new URL(answer.location!).searchParams.has('code'), `the hint names the person signed in: ${answer.location}`);
      const logout = await app.browser.get(`/oauth2/logout?${new URLSearchParams({ id_token_hint: app.idToken })}`);
      assert.match(logout.text, /You are logged out of Grantry\./, 'the hint is theirs: logged out at once, not asked');
    });

    test('registration: a pairwise app needs one host, or an operator\'s sector identifier; the subject type and sector are checked', async () => {
      await assert.rejects(
        provider.registerClient({ appType: 'web', redirectUris: ['https://a.example/cb', 'https://b.example/cb'], subjectType: 'pairwise' }),
        (error: unknown) => error instanceof RegistrationError && error.code === 'subject_type_sector',
        'two hosts and no sector identifier',
      );
      const withSector = await provider.registerClient({ appType: 'web', redirectUris: ['https://a.example/cb', 'https://b.example/cb'], subjectType: 'pairwise', sectorIdentifier: 'example-group.example' });
      assert.equal(withSector.client.sectorIdentifier, 'example-group.example', 'kept');
      assert.equal((await provider.store.clients.find(withSector.client.id))?.subjectType, 'pairwise', 'stored');
      await assert.rejects(provider.registerClient({ appType: 'web', subjectType: 'sideways' as never }), /public or pairwise/, 'an unknown subject type');
      await assert.rejects(provider.registerClient({ appType: 'web', subjectType: 'pairwise', sectorIdentifier: 'https://x.example/' }), /not a host name/, 'a sector identifier is a host, not a URL');
      const nativeApp = await provider.registerClient({ appType: 'native', redirectUris: ['com.example.app:/cb', 'com.example.app:/other'], subjectType: 'pairwise' });
      assert.equal(nativeApp.client.subjectType, 'pairwise', 'a native app\'s private-use scheme is its sector');
    });
  });
}
