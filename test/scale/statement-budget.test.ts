import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { s256 } from '../../src/lib/crypto.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, getMe, postForm, redirectUri } from '../provider/token-fixtures.ts';

// The SQL statements each flow runs, counted through the store's onQuery hook. The numbers are
// upper bounds that a regression breaks (exact where the flow has one path); docs/scaling.md lists
// them. The audit trail is written in batches off the request path: each count starts after a flush.

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

for (const kind of storeKinds) {
  describe(`statement budget on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    async function count<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
      await provider.ctx.audit.flush();
      const start = provider.queries.length;
      const result = await work();
      return { result, statements: provider.queries.slice(start) };
    }
    const show = (statements: string[]) => statements.join('\n');

    /** A returning user: signed in, consent for `profile` remembered in the store (never read by the provider yet). */
    async function returningUser(scope = 'profile') {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
      const user = await provider.createUser();
      await provider.store.consents.save(user.id, client.id, { scope, redirectUris: client.redirectUris, resources: [] });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      return { client, auth: basicAuth(client.id, clientSecret!), browser, scope };
    }

    /** authorize → code → token → /api/me, each step asserted. */
    async function fullFlow(setup: Awaited<ReturnType<typeof returningUser>>) {
      const query = new URLSearchParams({
        response_type: 'code', client_id: setup.client.id, redirect_uri: redirectUri, scope: setup.scope, state: 's1', nonce: 'n-0S6_WzA2Mj',
        code_challenge: s256(verifier), code_challenge_method: 'S256',
      });
      const authorized = await setup.browser.get(`/oauth2/authorize?${query}`);
      assert.equal(authorized.status, 302, authorized.text);
      const code = new URL(authorized.location!).searchParams.get('code');
      assert.ok(code, authorized.location!);
      const token = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, setup.auth);
      assert.equal(token.status, 200, JSON.stringify(token.body));
      const me = await getMe(provider, token.body.access_token);
      assert.equal(me.status, 200, `/api/me accepts the access token: ${JSON.stringify(me.body)}`);
      return token.body as { access_token: string; refresh_token: string; id_token?: string };
    }

    test('authorization-code flow of a returning user, client not cached: 7 statements', async () => {
      const setup = await returningUser();
      const { statements } = await count(() => fullFlow(setup));
      // client · session+user+consent · code · redemption · grant · refresh token · grant+user at /api/me
      assert.equal(statements.length, 7, show(statements));
    });

    test('an OpenID Connect code flow costs what the plain one does: the ID token is a signature, not a statement', async () => {
      const setup = await returningUser('openid profile');
      await fullFlow(setup);
      const { result, statements } = await count(() => fullFlow(setup));
      assert.ok(result.id_token, 'the openid flow gets an ID token');
      assert.equal(statements.length, 6, show(statements));
    });

    test('authorization-code flow of a returning user, client cached: 6 statements', async () => {
      const setup = await returningUser();
      await fullFlow(setup);
      const { statements } = await count(() => fullFlow(setup));
      assert.equal(statements.length, 6, show(statements));
      assert.equal(statements.filter((sql) => /from "clients"/.test(sql)).length, 0, show(statements));
    });

    test('client_credentials, client cached: 0 statements for a JWT, 1 for an opaque token', async () => {
      for (const [tokenFormat, expected] of [['jwt', 0], ['opaque', 1]] as const) {
        const { client, clientSecret } = await provider.registerClient({ appType: 'service', tokenFormat });
        const auth = basicAuth(client.id, clientSecret!);
        const cold = await count(() => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth));
        assert.equal(cold.result.status, 200, `${tokenFormat}: the first client_credentials request is answered: ${JSON.stringify(cold.result.body)}`);
        assert.equal(cold.statements.length, expected + 1, show(cold.statements));
        const warm = await count(() => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, auth));
        assert.equal(warm.result.status, 200, `${tokenFormat}: the cached client_credentials request is answered: ${JSON.stringify(warm.result.body)}`);
        assert.equal(warm.statements.length, expected, `${tokenFormat}: ${show(warm.statements)}`);
      }
    });

    test('refresh, client cached: 3 statements (4 with an opaque access token)', async () => {
      for (const [tokenFormat, expected] of [['jwt', 3], ['opaque', 4]] as const) {
        const setup = await returningUser();
        if (tokenFormat === 'opaque') await provider.store.clients.update(setup.client.id, { tokenFormat });
        const tokens = await fullFlow(setup);
        const { result, statements } = await count(() => postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, setup.auth));
        assert.equal(result.status, 200, JSON.stringify(result.body));
        // the token with its grant and user · the atomic rotation · the new refresh token (· the opaque access token)
        assert.equal(statements.length, expected, show(statements));
      }
    });

    test('GET /api/me: 1 statement with a JWT, 1 with an opaque token, 1 for an app\'s own JWT (403)', async () => {
      const jwt = await fullFlow(await returningUser());
      const opaqueSetup = await returningUser();
      await provider.store.clients.update(opaqueSetup.client.id, { tokenFormat: 'opaque' });
      const opaque = await fullFlow(opaqueSetup);
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const own = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!))).body.access_token;
      for (const [token, status] of [[jwt.access_token, 200], [opaque.access_token, 200], [own, 403]] as const) {
        const { result, statements } = await count(() => getMe(provider, token));
        assert.equal(result.status, status, `/api/me answers ${status}: ${JSON.stringify(result.body)}`);
        assert.equal(statements.length, 1, show(statements));
      }
    });

    test('introspection, caller cached: 1 statement for each kind of token', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const resourceServer = basicAuth(client.id, clientSecret!);
      const own = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, resourceServer)).body.access_token;
      const setup = await returningUser();
      const user = await fullFlow(setup);
      const cases: [string, Record<string, string>, Record<string, string>][] = [
        ['user JWT', { token: user.access_token }, resourceServer],
        ['app\'s own JWT', { token: own }, resourceServer],
        ['refresh token, hinted', { token: user.refresh_token, token_type_hint: 'refresh_token' }, setup.auth],
      ];
      for (const [name, form, auth] of cases) {
        const { result, statements } = await count(() => postForm(provider, '/oauth2/introspect', form, auth));
        assert.equal(result.body.active, true, name);
        assert.equal(statements.length, 1, `${name}: ${show(statements)}`);
      }
    });

    test('revocation, client cached: 1 statement for a JWT (the grant, or the jti of an app\'s own token)', async () => {
      const setup = await returningUser();
      const user = await fullFlow(setup);
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const service = basicAuth(client.id, clientSecret!);
      const own = (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, service)).body.access_token;
      for (const [token, auth] of [[user.access_token, setup.auth], [own, service]] as const) {
        const { result, statements } = await count(() => postForm(provider, '/oauth2/revoke', { token }, auth));
        assert.equal(result.status, 200, `the revocation answers 200: ${JSON.stringify(result.body)}`);
        assert.equal(statements.length, 1, show(statements));
        assert.equal((await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active, false, 'the revoked token is inactive');
      }
    });
  });
}
