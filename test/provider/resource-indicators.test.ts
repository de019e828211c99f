import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { registerResource, updateResource } from '../../src/provider/protocol/resources.ts';
import { basic } from '../helpers/basic.ts';
import { TestBrowser, consentDecision, csrfFrom } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { authorizeWithResources, discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Resource indicators (RFC 8707): APIs registered with grantry resource, the `resource` parameter
// at the authorization and token endpoints (openid-client sends it), the tokens' audience, and
// Grantry's own API refusing a token meant for another.

const callback = 'https://rp.example/cb';
const mcp = 'https://api.example.com/mcp';
const photos = 'https://photos.example.com/api';

for (const kind of storeKinds) {
  describe(`resource indicators on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let clientId: string;
    let clientSecret: string;
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;

    before(async () => {
      provider = await startProvider(kind);
      // As an operator would, from another process.
      const created = await runCli(['resource', 'create', '--uri', mcp, '--name', 'Example MCP server', '--scope', 'tools:read', '--scope', 'tools:call', '--access-token-lifetime', '600', '--database-url', provider.databaseUrl, '--json']);
      assert.equal(created.code, 0, `grantry resource create: ${created.stderr}`);
      assert.deepEqual({ ...(created.json() as object), id: undefined }, { id: undefined, uri: mcp, name: 'Example MCP server', scopes: ['tools:read', 'tools:call'], access_token_lifetime: 600, token_format: 'jwt' }, 'the resource as registered: JWT access tokens unless --token-format says otherwise');
      const second = await runCli(['resource', 'create', '--uri', photos, '--name', 'Photos API', '--scope', 'photos:read', '--database-url', provider.databaseUrl, '--json']);
      assert.equal(second.code, 0, `a second resource: ${second.stderr}`);
      user = await provider.createUser();
      const registered = await provider.registerClient({ appType: 'web', name: 'Agent', redirectUris: [callback], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], trusted: true });
      clientId = registered.client.id;
      clientSecret = registered.clientSecret!;
      config = await discover(provider, clientId, clientSecret);
    });
    after(() => provider.close());

    /** Authorizes with these parameters (resource repeated as given) and redeems the code with `tokenResources`. */
    async function authorize(scope: string, resources: string[], tokenResources: string[] = [], person = user) {
      const { back, verifier, consent, parameters } = await authorizeWithResources(provider, config, person, { callback, scope, resources, tokenResources });
      const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, parameters);
      return { consent, tokens };
    }

    test('a token asked for with resource is for that API alone: its aud, its scopes, its lifetime; /api/me refuses it', async () => {
      const { consent, tokens } = await authorize('tools:read', [mcp]);
      assert.match(consent, new RegExp(`data-resource="${mcp}"><strong>Example MCP server</strong>`), 'the consent page names the API');
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.aud, mcp, 'aud is the resource');
      assert.equal(tokens.scope, 'tools:read', 'a scope of the API, which the app was never registered with');
      assert.equal(tokens.expires_in, 600, 'the API\'s lifetime');
      const me = await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 401, 'Grantry\'s own API refuses a token for another resource');
      assert.match(me.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="the token is for another resource"/, 'saying why');
      const introspected = (await (await fetch(`${provider.url}/oauth2/introspect`, {
        method: 'POST', headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.access_token }),
      })).json()) as { active: boolean; aud?: string };
      assert.deepEqual([introspected.active, introspected.aud], [true, mcp], 'introspection says whom the token is for');
    });

    test('two resources: both in aud; the token request and a refresh may narrow to one, never widen', async () => {
      const { tokens } = await authorize('tools:read photos:read', [mcp, photos]);
      assert.deepEqual(decodeJwt(tokens.access_token).aud, [mcp, photos], 'both resources');
      const narrowed = await authorize('tools:read photos:read', [mcp, photos], [photos]);
      assert.equal(decodeJwt(narrowed.tokens.access_token).aud, photos, 'narrowed at the code exchange (RFC 8707 §2.2)');
      assert.equal(narrowed.tokens.scope, 'photos:read', 'and the scope with it: the other API\'s scopes go with that API');
      const refresh = (resource: string) => fetch(`${provider.url}/oauth2/token`, {
        method: 'POST', headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, resource }),
      });
      const wider = await refresh('https://elsewhere.example/api');
      assert.equal(wider.status, 400, 'a refresh for another resource is refused');
      assert.equal(((await wider.json()) as { error: string }).error, 'invalid_target', 'with invalid_target');
      const one = await refresh(mcp);
      const body = (await one.json()) as { access_token: string; scope: string };
      assert.equal(one.status, 200, `a refresh narrowed to one: ${JSON.stringify(body)}`);
      assert.equal(decodeJwt(body.access_token).aud, mcp, 'aud is that one');
      const none = await authorize('profile', []);
      assert.equal(decodeJwt(none.tokens.access_token).aud, provider.url, 'without resource, as before: the issuer');
      const wideningNone = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST', headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: none.tokens.refresh_token!, resource: mcp }),
      });
      assert.equal(((await wideningNone.json()) as { error: string }).error, 'invalid_target', 'a grant made without resources cannot be widened to one');
    });

    test('a remembered consent holds for the APIs it named: another API is asked about, even for a scope allowed before', async () => {
      const person = await provider.createUser();
      const first = await authorize('tools:read', [mcp], [], person);
      assert.match(first.consent, /data-testid="consent-resources"/, 'asked the first time');
      const again = await authorize('tools:read', [mcp], [], person);
      assert.equal(again.consent, '', 'the same scope and API: answered at once');
      const another = await authorize('tools:read', [mcp, photos], [], person);
      assert.match(another.consent, new RegExp(`data-resource="${photos}"`), 'a new API is asked about');
    });

    test('an unknown or malformed resource is invalid_target, at the app\'s redirect URI and at the token endpoint', async () => {
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      for (const resource of ['https://unknown.example/api', 'not a uri', `${mcp}#fragment`]) {
        const answer = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'tools:read', state: 's', resource, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`);
        const back = new URL(answer.location!);
        assert.deepEqual([back.searchParams.get('error'), back.searchParams.get('state')], ['invalid_target', 's'], `${resource}: invalid_target at the redirect URI`);
      }
      const cc = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST', headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://unknown.example/api' }),
      });
      assert.deepEqual([cc.status, ((await cc.json()) as { error: string }).error], [400, 'invalid_target'], 'client_credentials for an unknown resource');
      const scopeOfAnother = await browser.get(`/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback, scope: 'photos:read', resource: mcp, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`);
      assert.equal(new URL(scopeOfAnother.location!).searchParams.get('error'), 'invalid_scope', 'a scope of an API the request does not name is not granted');
    });

    test('client_credentials with resource: aud and the API\'s scopes; a resource changed takes effect', async () => {
      const form = (extra: Record<string, string>) => fetch(`${provider.url}/oauth2/token`, {
        method: 'POST', headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: mcp, ...extra }),
      });
      const answer = await form({ scope: 'tools:call' });
      const body = (await answer.json()) as { access_token: string; scope: string; expires_in: number };
      assert.equal(answer.status, 200, JSON.stringify(body));
      assert.deepEqual([decodeJwt(body.access_token).aud, body.scope, body.expires_in], [mcp, 'tools:call', 600], 'the API\'s audience, scope and lifetime');
      const [resource] = (await provider.store.resources.list()).filter((entry) => entry.uri === mcp);
      await updateResource(provider.store, provider.config, resource!.id, { scopes: ['tools:read'] });
      const after = await form({ scope: 'tools:call' });
      assert.equal(((await after.json()) as { error: string }).error, 'invalid_scope', 'a scope taken from the API is no longer granted');
      await updateResource(provider.store, provider.config, resource!.id, { scopes: ['tools:read', 'tools:call'] });
      const untrusted = await provider.registerClient({ appType: 'service', grantTypes: ['client_credentials'] });
      const refused = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST', headers: { authorization: basic(untrusted.client.id, untrusted.clientSecret!), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: mcp, scope: 'tools:call' }),
      });
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_scope', 'an app no operator trusts gets no API scope without a person\'s consent');
    });

    test('the resource survives login: a stored request keeps every resource it named', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'tools:read photos:read', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      url.searchParams.append('resource', mcp);
      url.searchParams.append('resource', photos);
      const toLogin = await browser.get(`${url.pathname}${url.search}`);
      assert.match(toLogin.location ?? '', /^\/login\?/, 'nobody is signed in: the login page');
      const loginPage = await browser.get(toLogin.location!);
      const loggedIn = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(loginPage.text), return_to: new URL(toLogin.location!, provider.url).searchParams.get('return_to')! });
      const consent = await browser.get(loggedIn.location!);
      assert.match(consent.text, /data-testid="consent-resources"/, `the consent page after login names the APIs: ${consent.status} ${consent.location ?? ''}`);
      const back = (await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'))).location!;
      const tokens = await client.authorizationCodeGrant(config, new URL(back), { pkceCodeVerifier: verifier });
      assert.deepEqual(decodeJwt(tokens.access_token).aud, [mcp, photos], 'both, carried through login');
    });

    test('grantry resource refuses what is not an API URI, and a URI registered twice', async () => {
      const cli = (...args: string[]) => runCli(['resource', ...args, '--database-url', provider.databaseUrl, '--json']);
      for (const [uri, message] of [['http://api.example.com/', /must use https/], ['https://api.example.com/#x', /fragment/], ['https://api.example.com/?q=1', /query/], ['relative/path', /absolute/], [mcp, /registered already/], ['https://API.example.com/a b', /not written as a URI is/]] as const) {
        const refused = await cli('create', '--uri', uri, '--name', 'X');
        assert.notEqual(refused.code, 0, `${uri} is refused`);
        assert.match(refused.stderr, message, `${uri}: says why`);
      }
      await assert.rejects(registerResource(provider.store, provider.config, { uri: provider.url, name: 'Grantry' }), /the issuer itself is not a resource/, 'the issuer is not a resource: its tokens would pass /api/me');
      for (const [scope, message] of [['email', /one of the provider's own scopes/], ['tools:read', /belongs to https:\/\/api\.example\.com\/mcp already/]] as const) {
        const refused = await cli('create', '--uri', 'https://other.example/api', '--name', 'X', '--scope', scope);
        assert.match(refused.stderr, message, `the scope ${scope}: says why`);
      }
      const listed = await cli('list');
      assert.deepEqual(listed.json().resources.map((resource: { uri: string }) => resource.uri), [mcp, photos], 'the two registered');
    });
  });
}
