import assert from 'node:assert/strict';
import { registerResource } from '../../src/provider/protocol/resources.ts';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { makeConfig } from '../../src/config/config.ts';
import { checkOverrides, overridesFromEnv } from '../../src/config/settings-check.ts';
import { randomToken, sha256 } from '../../src/lib/crypto.ts';
import { runHousekeeping } from '../../src/provider/housekeeping.ts';
import { newClientId } from '../../src/provider/protocol/clients.ts';
import { TestBrowser, csrfFrom } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { discover, openidLogin } from '../helpers/oidc.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Dynamic client registration (RFC 7591) and its management (RFC 7592): an app registers itself
// with openid-client (an independent implementation) and signs a person in; every refusal has the
// RFC's status and error code; initial access tokens are spent exactly once under a race; the
// per-address throttle; housekeeping of unused apps; the operator's console page; the CLI.

const insecure = { execute: [oidc.allowInsecureRequests] };
const day = 24 * 3600;

interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(provider: RunningProvider, method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const response = await fetch(new URL(path, provider.url), {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const register = (provider: RunningProvider, body: unknown, headers: Record<string, string> = {}) => call(provider, 'POST', '/oauth2/register', { body, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const webMetadata = { client_name: 'Web tool', redirect_uris: ['https://tool.example/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };

test('registration settings come from the environment and are checked (GRANTRY_REGISTRATION__MODE, GRANTRY_CONSOLE__OPERATORS)', () => {
  const overrides = checkOverrides('environment', overridesFromEnv({ GRANTRY_REGISTRATION__MODE: 'open', GRANTRY_REGISTRATION__PER_ADDRESS: '4', GRANTRY_CONSOLE__OPERATORS: 'olga, ops ' }));
  const config = makeConfig({ secret: testSecret, ...overrides });
  assert.equal(config.registration.mode, 'open', 'GRANTRY_REGISTRATION__MODE sets registration.mode');
  assert.equal(config.registration.perAddress, 4, 'GRANTRY_REGISTRATION__PER_ADDRESS sets registration.perAddress');
  assert.equal(config.registration.unusedClientDays, 30, 'unset settings keep their defaults');
  assert.deepEqual(config.console.operators, ['olga', 'ops'], 'a list from the environment is comma-separated, trimmed');
  assert.equal(makeConfig({ secret: testSecret }).registration.mode, 'off', 'registration is off unless an operator turns it on');
  assert.throws(() => makeConfig({ secret: testSecret, ...checkOverrides('environment', overridesFromEnv({ GRANTRY_REGISTRATION__MODE: 'anyone' })) }), /registration\.mode must be one of off, open, token/, 'an unknown mode is refused');
  assert.throws(() => checkOverrides('grantry.config.json', { console: { operators: 'olga' } }), /"console\.operators" must be a list of strings/, 'operators in a file must be a list');
});

for (const kind of storeKinds) {
  describe(`dynamic registration, mode open, on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { registration: { mode: 'open', perAddress: 1000 }, clientCacheSeconds: 0 })));
    after(() => provider.close());

    test('the metadata names the registration endpoint (RFC 8414 §2)', async () => {
      const metadata = await call(provider, 'GET', '/.well-known/openid-configuration');
      assert.equal(metadata.body.registration_endpoint, `${provider.url}/oauth2/register`, 'registration_endpoint is advertised while registration is on');
    });

    test('openid-client registers a confidential client, which then signs a person in with the code flow', async () => {
      const configuration = await oidc.dynamicClientRegistration(new URL(provider.url), { ...webMetadata, token_endpoint_auth_method: 'client_secret_basic' }, undefined, insecure);
      const info = configuration.clientMetadata();
      assert.match(info.client_id, /^[0-9a-f]{32}$/, 'a client_id is issued');
      assert.equal(typeof info.client_secret, 'string', 'a confidential client gets a secret');
      assert.equal(info.client_secret_expires_at, 0, 'the secret does not expire (RFC 7591 §3.2.1: 0)');
      assert.equal(typeof info.client_id_issued_at, 'number', 'client_id_issued_at is given');
      assert.equal(info.registration_client_uri, `${provider.url}/oauth2/register/${info.client_id}`, 'the registration client URI is under the endpoint');
      assert.equal(typeof info.registration_access_token, 'string', 'a registration access token is issued');
      assert.deepEqual(info.grant_types, ['authorization_code', 'refresh_token'], 'the grants asked for are registered');

      const stored = (await provider.store.clients.find(info.client_id))!;
      assert.equal(stored.origin, 'registration', 'the app is recorded as self-registered');
      assert.equal(stored.ownerId, null, 'no person owns it');
      assert.equal(stored.appType, 'web', 'client_secret_basic maps to a confidential web app');
      assert.equal(stored.trusted, false, 'a self-registered app is never trusted');
      assert.equal(stored.pkceRequired, true, 'a self-registered app always needs PKCE');
      assert.equal(stored.registrationTokenHash, sha256(info.registration_access_token as string), 'only the SHA-256 of the registration access token is stored');
      assert.equal(stored.lastUsedAt, undefined, 'a new app has not been used');

      const config = await discover(provider, info.client_id, info.client_secret as string);
      const { tokens } = await openidLogin(provider, config, { redirectUri: 'https://tool.example/callback' });
      assert.equal(typeof tokens.access_token, 'string', 'the registered client obtains an access token');
      assert.equal(typeof tokens.refresh_token, 'string', 'and a refresh token, as it registered refresh_token');
      const used = (await provider.store.clients.find(info.client_id))!;
      assert.ok(used.lastUsedAt !== undefined && Math.abs(used.lastUsedAt - Date.now() / 1000) < 60, 'obtaining a token records the use');

      // Within the day, a further token writes nothing more: with the record in hand, not even a statement is sent.
      const before = provider.queries.filter((sql) => /last_used_at/.test(sql) && /^update/i.test(sql)).length;
      await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const afterRefresh = provider.queries.filter((sql) => /last_used_at/.test(sql) && /^update/i.test(sql)).length;
      assert.equal(afterRefresh, before, 'a use within the day sends no UPDATE');
    });

    test('a token for a console app sends no last-use statement at all', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const before = provider.queries.filter((sql) => /last_used_at/.test(sql) && /^update/i.test(sql)).length;
      const answer = await fetch(`${provider.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${clientSecret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(answer.status, 200, 'the console app gets its token');
      assert.equal(provider.queries.filter((sql) => /last_used_at/.test(sql) && /^update/i.test(sql)).length, before, 'no statement about last use for an app a person registered');
    });

    test('a public client with only loopback redirect URIs and no application_type is native, and any port matches (RFC 8252 §7.3)', async () => {
      const configuration = await oidc.dynamicClientRegistration(
        new URL(provider.url),
        { client_name: 'CLI tool', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] },
        oidc.None(),
        insecure,
      );
      const info = configuration.clientMetadata();
      assert.equal(info.client_secret, undefined, 'a public client gets no secret');
      assert.equal(info.application_type, 'native', 'it is reported as native');
      assert.equal((await provider.store.clients.find(info.client_id))!.appType, 'native', 'it is stored as a native app');
      const config = await discover(provider, info.client_id);
      const { tokens } = await openidLogin(provider, config, { redirectUri: 'http://127.0.0.1:51234/callback' });
      assert.equal(typeof tokens.access_token, 'string', 'a redirect to a port it never named is accepted and the code redeemed');
    });

    test('a public client with https redirect URIs is a spa; application_type native makes it native', async () => {
      const spa = await register(provider, { redirect_uris: ['https://spa.example/cb'], token_endpoint_auth_method: 'none' });
      assert.equal(spa.status, 201, `registered: ${JSON.stringify(spa.body)}`);
      assert.equal((await provider.store.clients.find(spa.body.client_id))!.appType, 'spa', 'public with an https redirect URI: spa');
      assert.equal(spa.body.client_name, 'Unnamed client', 'a client without a name gets a placeholder');
      const native = await register(provider, { redirect_uris: ['com.example.app:/cb'], token_endpoint_auth_method: 'none', application_type: 'native' });
      assert.equal(native.status, 201, `registered: ${JSON.stringify(native.body)}`);
      assert.equal((await provider.store.clients.find(native.body.client_id))!.appType, 'native', 'application_type native is honoured');
      const service = await register(provider, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
      assert.equal(service.status, 201, `registered: ${JSON.stringify(service.body)}`);
      assert.equal((await provider.store.clients.find(service.body.client_id))!.appType, 'service', 'client_credentials alone: a service app');
      assert.deepEqual(service.body.response_types, [], 'a service app has no response types');
    });

    test('unknown metadata is ignored (RFC 7591 §2); scope is limited to what the provider has', async () => {
      const answer = await register(provider, { ...webMetadata, scope: 'openid profile', software_id: 'x', logo_uri: 'https://tool.example/logo.png', 'x-anything': { deep: true } });
      assert.equal(answer.status, 201, `registered: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.scope, 'openid profile', 'the scopes asked for are registered');
      assert.equal(answer.body.software_id, undefined, 'an ignored field is not echoed as registered');
      const unknownScope = await register(provider, { ...webMetadata, scope: 'openid admin' });
      assert.equal(unknownScope.status, 400, 'an unknown scope is refused');
      assert.equal(unknownScope.body.error, 'invalid_client_metadata', 'with invalid_client_metadata');
      assert.match(unknownScope.body.error_description, /admin/, 'naming the scope');
      // An MCP client registers with the scopes its server's metadata lists: a registered API's (RFC 8707).
      await registerResource(provider.store, provider.config, { uri: 'https://mcp.example/api', name: 'MCP', scopes: ['tools:call'] });
      const apiScope = await register(provider, { ...webMetadata, scope: 'tools:call profile' });
      assert.equal(apiScope.status, 201, `a registered API's scope is taken: ${JSON.stringify(apiScope.body)}`);
      assert.equal(apiScope.body.scope, 'profile', 'and not kept on the app: any app may ask for it with the API named');
    });

    test('bad redirect URIs get invalid_redirect_uri (RFC 7591 §3.2.2)', async () => {
      const cases: [string, unknown][] = [
        ['http on a host that is not loopback', ['http://tool.example/callback']],
        ['a fragment', ['https://tool.example/callback#x']],
        ['a relative URI', ['/callback']],
        ['credentials in the URI', ['https://user:pw@tool.example/cb']],
        ['javascript:', ['javascript:alert(1)']],
        ['not a list', 'https://tool.example/callback'],
        ['no URI for the code grant', []],
      ];
      for (const [what, redirectUris] of cases) {
        const answer = await register(provider, { ...webMetadata, redirect_uris: redirectUris });
        assert.equal(answer.status, 400, `${what}: 400`);
        assert.equal(answer.body.error, 'invalid_redirect_uri', `${what}: invalid_redirect_uri (${answer.body.error_description})`);
        assert.equal(typeof answer.body.error_description, 'string', `${what}: with a description`);
      }
    });

    test('metadata Grantry will not register gets invalid_client_metadata; malformed and oversized bodies a 4xx', async () => {
      const cases: [string, unknown][] = [
        ['the password grant', { ...webMetadata, grant_types: ['password'] }],
        ['the implicit grant', { ...webMetadata, grant_types: ['implicit'], response_types: ['token'] }],
        ['response type token', { ...webMetadata, response_types: ['token'] }],
        ['code without authorization_code', { ...webMetadata, grant_types: ['refresh_token'], response_types: ['code'] }],
        ['a public client with client_credentials', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }],
        ['private_key_jwt', { ...webMetadata, token_endpoint_auth_method: 'private_key_jwt' }],
        ['a non-string name', { ...webMetadata, client_name: 42 }],
        ['a name over 100 characters', { ...webMetadata, client_name: 'n'.repeat(101) }],
        ['an unknown application_type', { ...webMetadata, application_type: 'desktop' }],
        ['an ID token algorithm Grantry has not', { ...webMetadata, id_token_signed_response_alg: 'none' }],
        ['a JSON array', [webMetadata]],
        ['a JSON string', 'hello'],
        ['null', null],
      ];
      for (const [what, body] of cases) {
        const answer = await call(provider, 'POST', '/oauth2/register', { raw: JSON.stringify(body) });
        assert.equal(answer.status, 400, `${what}: 400 (${JSON.stringify(answer.body)})`);
        assert.equal(answer.body.error, 'invalid_client_metadata', `${what}: invalid_client_metadata`);
      }
      const malformed = await call(provider, 'POST', '/oauth2/register', { raw: '{"redirect_uris": [' });
      assert.equal(malformed.status, 400, 'malformed JSON is a 400');
      assert.equal(malformed.body.error, 'invalid_request', 'malformed JSON is invalid_request');
      const form = await call(provider, 'POST', '/oauth2/register', { raw: 'client_name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(form.status, 400, 'a form body is refused');
      assert.equal(form.body.error, 'invalid_request', 'client metadata must be JSON (RFC 7591 §3.1)');
      const huge = await call(provider, 'POST', '/oauth2/register', { body: { ...webMetadata, client_uri: `https://tool.example/${'a'.repeat(20_000)}` } });
      assert.equal(huge.status, 413, 'a body over registration.maxBodyBytes is 413, not a 5xx');
      assert.equal(huge.body.error, 'invalid_request', 'in the OAuth error shape');
      const many = await register(provider, { ...webMetadata, redirect_uris: Array.from({ length: 51 }, (_, i) => `https://tool.example/${i}`) });
      assert.equal(many.status, 400, 'more than 50 redirect URIs are refused');
    });

    test('RFC 7592: read, replace and delete with the registration access token; others get 401 without learning whether the client exists', async () => {
      const first = await register(provider, { ...webMetadata, token_endpoint_auth_method: 'client_secret_post' });
      const second = await register(provider, webMetadata);
      assert.equal(first.status, 201, 'the first client is registered');
      const { client_id: id, registration_access_token: token, registration_client_uri: uri, client_secret: secret } = first.body;
      const path = new URL(uri).pathname;

      const read = await call(provider, 'GET', path, { headers: bearer(token) });
      assert.equal(read.status, 200, 'the right token reads the registration');
      assert.equal(read.headers.get('cache-control'), 'no-store', 'never cached');
      assert.equal(read.body.client_id, id, 'the client it reads is its own');
      assert.deepEqual(read.body.redirect_uris, webMetadata.redirect_uris, 'with its metadata');
      assert.equal(read.body.registration_access_token, token, 'and its registration access token (RFC 7592 §3)');
      assert.equal(read.body.client_secret, undefined, 'the secret is not shown again (only its hash is kept)');

      const refusals: [string, Record<string, string>, string][] = [
        ['no token', {}, path],
        ['another client\'s token', bearer(second.body.registration_access_token), path],
        ['a made-up token', bearer(randomToken(32)), path],
        ['the right token on an unknown client', bearer(token), `/oauth2/register/${newClientId()}`],
        ['a malformed client id', bearer(token), '/oauth2/register/..%2F..%2Fetc'],
        ['Basic instead of Bearer', { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` }, path],
      ];
      for (const method of ['GET', 'PUT', 'DELETE']) {
        for (const [what, headers, target] of refusals) {
          const answer = await call(provider, method, target, { headers, ...(method === 'PUT' ? { body: { ...webMetadata, client_id: id } } : {}) });
          assert.equal(answer.status, 401, `${method} with ${what}: 401`);
          assert.equal(answer.body.error, 'invalid_token', `${method} with ${what}: invalid_token`);
          assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="grantry"/, `${method} with ${what}: a Bearer challenge (RFC 6750 §3)`);
        }
      }

      const console = await provider.registerClient({ appType: 'web' });
      const consoleRead = await call(provider, 'GET', `/oauth2/register/${console.client.id}`, { headers: bearer(token) });
      assert.equal(consoleRead.status, 401, 'an app a person registered cannot be managed through RFC 7592');

      const wrongId = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: second.body.client_id } });
      assert.equal(wrongId.status, 400, 'a PUT naming another client_id is refused');
      assert.equal(wrongId.body.error, 'invalid_request', 'with invalid_request (RFC 7592 §2.2)');
      const wrongSecret = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: id, client_secret: 'not-it' } });
      assert.equal(wrongSecret.status, 400, 'a PUT with a secret that is not the current one is refused');
      const becomePublic = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: id, token_endpoint_auth_method: 'none' } });
      assert.equal(becomePublic.status, 400, 'a confidential client cannot become public');
      assert.equal(becomePublic.body.error, 'invalid_client_metadata', 'with invalid_client_metadata');
      const badUri = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: id, redirect_uris: ['http://evil.example/cb'] } });
      assert.equal(badUri.body.error, 'invalid_redirect_uri', 'a PUT is validated as a registration is');
      const tooBig = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: id, client_uri: `https://tool.example/${'a'.repeat(20_000)}` } });
      assert.equal(tooBig.status, 413, 'an oversized PUT is 413');

      const withAlg = await call(provider, 'PUT', path, { headers: bearer(token), body: { ...webMetadata, client_id: id, client_secret: secret, id_token_signed_response_alg: 'EdDSA' } });
      assert.equal(withAlg.status, 200, `a replacement choosing EdDSA: ${JSON.stringify(withAlg.body)}`);
      assert.equal((await provider.store.clients.find(id))!.idTokenSignedResponseAlg, 'EdDSA', 'EdDSA kept');
      const replaced = await call(provider, 'PUT', path, {
        headers: bearer(token),
        body: { client_id: id, client_secret: secret, client_name: 'Renamed tool', redirect_uris: ['https://tool.example/v2'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post' },
      });
      assert.equal(replaced.status, 200, `the right token replaces the metadata: ${JSON.stringify(replaced.body)}`);
      assert.equal(replaced.body.client_name, 'Renamed tool', 'the new name is answered');
      const stored = (await provider.store.clients.find(id))!;
      assert.deepEqual(stored.redirectUris, ['https://tool.example/v2'], 'the redirect URIs are replaced, not merged');
      assert.deepEqual(stored.grantTypes, ['authorization_code'], 'the grant types are replaced');
      assert.equal(stored.trusted, false, 'still not trusted');
      assert.equal(stored.idTokenSignedResponseAlg, 'RS256', 'RFC 7592 §2.2: the algorithm the replacement leaves out is the default again, not what was');

      const deleted = await call(provider, 'DELETE', path, { headers: bearer(token) });
      assert.equal(deleted.status, 204, 'the right token deletes the client');
      assert.equal(await provider.store.clients.find(id), undefined, 'the app is gone');
      const again = await call(provider, 'GET', path, { headers: bearer(token) });
      assert.equal(again.status, 401, 'its registration access token died with it');
      const token2 = await fetch(`${provider.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: id, client_secret: secret, redirect_uri: 'https://tool.example/v2' }) });
      assert.equal(token2.status, 401, 'the deleted client can no longer authenticate at the token endpoint');
      assert.ok(await provider.store.clients.find(second.body.client_id), 'the other client is untouched');
    });

    test('housekeeping removes self-registered apps unused for registration.unusedClientDays, and nothing else', async () => {
      const now = Math.floor(Date.now() / 1000);
      const template = (await register(provider, webMetadata)).body;
      const base = (await provider.store.clients.find(template.client_id))!;
      const make = async (fields: { createdAt: number; lastUsedAt?: number; origin?: 'registration' | 'console' }) => {
        const { lastUsedAt: _none, ...rest } = base;
        const client = { ...rest, id: newClientId(), ...fields, origin: fields.origin ?? 'registration', ...(fields.origin === 'console' ? { registrationTokenHash: undefined } : {}) };
        await provider.store.clients.create(client);
        return client.id;
      };
      const neverUsedOld = await make({ createdAt: now - 31 * day });
      const usedLongAgo = await make({ createdAt: now - 90 * day, lastUsedAt: now - 31 * day });
      const usedRecently = await make({ createdAt: now - 90 * day, lastUsedAt: now - 2 * day });
      const newAndUnused = await make({ createdAt: now - 2 * day });
      const oldConsoleApp = await make({ createdAt: now - 400 * day, origin: 'console' });

      const counts = await runHousekeeping(provider.ctx).runOnce();
      assert.equal(counts.unused_registered_clients >= 2, true, `the two unused apps are removed (${counts.unused_registered_clients})`);
      assert.equal(await provider.store.clients.find(neverUsedOld), undefined, 'registered 31 days ago and never used: removed');
      assert.equal(await provider.store.clients.find(usedLongAgo), undefined, 'last used 31 days ago: removed');
      assert.ok(await provider.store.clients.find(usedRecently), 'used two days ago: kept');
      assert.ok(await provider.store.clients.find(newAndUnused), 'registered two days ago: kept');
      assert.ok(await provider.store.clients.find(oldConsoleApp), 'an app a person registered is never removed for disuse');
      assert.ok(await provider.store.clients.find(template.client_id), 'the app just registered is kept');
    });
  });

  describe(`dynamic registration, mode off, on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('no endpoint, and none in the metadata', async () => {
      const answer = await register(provider, webMetadata);
      assert.equal(answer.status, 404, 'POST /oauth2/register is 404 while registration is off');
      assert.equal(answer.body.error, 'not_found', 'the same answer as for a path with no route');
      const management = await call(provider, 'GET', `/oauth2/register/${newClientId()}`, { headers: bearer('x') });
      assert.equal(management.status, 404, 'the management endpoint is 404 too');
      const metadata = await call(provider, 'GET', '/.well-known/oauth-authorization-server');
      assert.equal('registration_endpoint' in metadata.body, false, 'no registration_endpoint in the metadata');
    });
  });

  describe(`dynamic registration, mode token, on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { registration: { mode: 'token', perAddress: 1000 } })));
    after(() => provider.close());

    const mint = async (fields: { usesLeft?: number | null; expiresAt?: number | null } = {}) => {
      const token = randomToken(32);
      const id = randomToken(8);
      await provider.store.initialAccessTokens.create({ id, tokenHash: sha256(token), usesLeft: fields.usesLeft ?? null, expiresAt: fields.expiresAt ?? null, createdAt: Math.floor(Date.now() / 1000) });
      return { token, id };
    };

    test('without, with a wrong, an expired or a used-up initial access token: 401 invalid_token with a Bearer challenge', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await mint({ expiresAt: now - 1 });
      const oneUse = await mint({ usesLeft: 1 });
      const first = await register(provider, webMetadata, bearer(oneUse.token));
      assert.equal(first.status, 201, 'a one-use token registers once');
      const cases: [string, Record<string, string>][] = [
        ['no token', {}],
        ['a wrong token', bearer(randomToken(32))],
        ['an expired token', bearer(expired.token)],
        ['a used-up token', bearer(oneUse.token)],
        ['a malformed header', { authorization: 'Bearer' }],
      ];
      for (const [what, headers] of cases) {
        const answer = await register(provider, webMetadata, headers);
        assert.equal(answer.status, 401, `${what}: 401`);
        assert.equal(answer.body.error, 'invalid_token', `${what}: invalid_token`);
        assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="grantry"/, `${what}: WWW-Authenticate Bearer`);
      }
    });

    test('openid-client registers with an initial access token; a refused registration does not spend it', async () => {
      const { token, id } = await mint({ usesLeft: 1 });
      const refused = await register(provider, { ...webMetadata, redirect_uris: ['http://evil.example/cb'] }, bearer(token));
      assert.equal(refused.body.error, 'invalid_redirect_uri', 'bad metadata is refused');
      assert.equal((await provider.store.initialAccessTokens.list()).find((row) => row.id === id)?.usesLeft, 1, 'the refused registration gave its use back');
      const configuration = await oidc.dynamicClientRegistration(new URL(provider.url), webMetadata, undefined, { ...insecure, initialAccessToken: token });
      assert.match(configuration.clientMetadata().client_id, /^[0-9a-f]{32}$/, 'openid-client registers with the token');
      assert.equal((await provider.store.initialAccessTokens.list()).find((row) => row.id === id)?.usesLeft, 0, 'the use is spent');
    });

    test('a one-use token raced by ten registrations registers exactly one client', async () => {
      const { token } = await mint({ usesLeft: 1 });
      const before = (await provider.store.clients.list()).length;
      const answers = await Promise.all(Array.from({ length: 10 }, () => register(provider, webMetadata, bearer(token))));
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [201, 401, 401, 401, 401, 401, 401, 401, 401, 401], 'exactly one registration succeeds; the others get 401');
      assert.equal((await provider.store.clients.list()).length, before + 1, 'exactly one client is stored');
    });
  });

  describe(`dynamic registration throttled per address on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { registration: { mode: 'open', perAddress: 3, windowSeconds: 3600 }, trustProxy: true })));
    after(() => provider.close());

    test('a flood from one address gets 429 with Retry-After while another address still registers', async () => {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      for (let i = 0; i < 3; i++) {
        const answer = await register(provider, webMetadata, from('203.0.113.7'));
        assert.equal(answer.status, 201, `registration ${i + 1} of 3 from one address passes`);
      }
      const flooded = await register(provider, webMetadata, from('203.0.113.7'));
      assert.equal(flooded.status, 429, 'the fourth within the window is refused');
      const retryAfter = Number(flooded.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `Retry-After says when (${flooded.headers.get('retry-after')})`);
      assert.equal(typeof flooded.body.error_description, 'string', 'with a description');
      const refusedBad = await register(provider, { redirect_uris: 'x' }, from('203.0.113.7'));
      assert.equal(refusedBad.status, 429, 'a flooded address is refused before its metadata is read');
      const other = await register(provider, webMetadata, from('198.51.100.4'));
      assert.equal(other.status, 201, 'another address registers meanwhile');
    });
  });

  describe(`the operator's console page on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { registration: { mode: 'open', perAddress: 1000 }, console: { operators: ['Olga', 'ops'] } })));

    test('nobody can sign up under an operator\'s name, even before the operator\'s account exists', async () => {
      for (const username of ['ops', 'OPS']) {
        const browser = new TestBrowser(provider.url);
        const form = await browser.get('/signup');
        const answer = await browser.post('/signup', { csrf_token: csrfFrom(form.text), username, password: 'correct horse battery staple', password_confirmation: 'correct horse battery staple' });
        assert.equal(answer.status, 409, `${username}: refused as a name already taken (${answer.status})`);
        assert.equal(await provider.store.users.findByUsername(username), undefined, `${username}: no account made`);
        assert.equal((await browser.get('/console/operator')).status, 303, `${username}: and no operator's page (not signed in)`);
      }
    });
    after(() => provider.close());

    test('an operator sees self-registered apps apart and the registered APIs, and deletes an app with a CSRF-protected form', async () => {
      const registered = (await register(provider, { ...webMetadata, client_name: 'Agent <b>tool</b>' })).body;
      const personal = await provider.registerClient({ appType: 'web', name: 'Personal app' });
      await provider.store.resources.create({ id: 'res1', uri: 'https://api.example/', name: 'Photos API', scopes: ['photos.read'], accessTokenLifetime: null, tokenFormat: 'jwt', createdAt: 1, updatedAt: 1 });
      const operator = await provider.createUser('olga');
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, operator);
      const page = await browser.get('/console/operator');
      assert.equal(page.status, 200, 'an operator (names compared case-insensitively) gets the page');
      assert.match(page.text, /Apps registered by the app itself/, 'the self-registered apps have their own heading');
      assert.match(page.text, new RegExp(`data-client-id="${registered.client_id}"`), 'the self-registered app is listed');
      assert.match(page.text, /Agent &lt;b&gt;tool&lt;\/b&gt;/, 'its name is escaped');
      assert.doesNotMatch(page.text, new RegExp(personal.client.id), "a person's app is not listed there");
      assert.match(page.text, /never/, 'an app never used says so');
      assert.match(page.text, /Photos API[\s\S]*https:\/\/api\.example\//, 'the registered API is listed');
      const zh = await browser.get('/console/operator', { 'accept-language': 'zh-CN' });
      assert.match(zh.text, /应用自行注册的应用/, 'the page speaks Chinese to a zh-CN reader');

      const forged = await browser.post(`/console/operator/apps/${registered.client_id}/delete`, { csrf_token: 'forged' });
      assert.equal(forged.status, 403, 'a delete without the CSRF token is refused');
      assert.ok(await provider.store.clients.find(registered.client_id), 'and deletes nothing');
      const csrf = csrfFrom(page.text);
      const personalDelete = await browser.post(`/console/operator/apps/${personal.client.id}/delete`, { csrf_token: csrf });
      assert.equal(personalDelete.status, 404, "the operator page does not delete a person's app");
      assert.ok(await provider.store.clients.find(personal.client.id), "the person's app stays");
      const deleted = await browser.post(`/console/operator/apps/${registered.client_id}/delete`, { csrf_token: csrf });
      assert.equal(deleted.status, 303, 'the delete redirects back');
      assert.equal(deleted.location, '/console/operator?deleted=1', 'to the operator page');
      assert.equal(await provider.store.clients.find(registered.client_id), undefined, 'the app is gone');
    });

    test('to anyone else the page does not exist; a stranger is sent to log in', async () => {
      const stranger = new TestBrowser(provider.url);
      const anonymous = await stranger.get('/console/operator');
      assert.equal(anonymous.status, 303, 'a stranger is redirected');
      assert.match(anonymous.location ?? '', /^\/login\?return_to=/, 'to the login page');
      const person = await provider.createUser('notanoperator');
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, person);
      const page = await browser.get('/console/operator', { accept: 'text/html' });
      assert.equal(page.status, 404, 'a person who is not an operator gets 404');
      const csrf = csrfFrom((await browser.get('/console')).text);
      const target = (await register(provider, webMetadata)).body.client_id;
      const attempt = await browser.post(`/console/operator/apps/${target}/delete`, { csrf_token: csrf });
      assert.equal(attempt.status, 404, 'and cannot delete');
      assert.ok(await provider.store.clients.find(target), 'the app stays');
    });
  });

  describe(`grantry registration token on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { registration: { mode: 'token', perAddress: 1000 } })));
    after(() => provider.close());

    const cli = (...args: string[]) => runCli([...args, '--database-url', provider.databaseUrl, '--json'], { env: { GRANTRY_REGISTRATION__MODE: 'token' } });

    test('create prints the token once and stores its hash; list shows it; revoke ends it', async () => {
      const created = await cli('registration', 'token', 'create', '--uses', '2', '--expires-in', '3600');
      assert.equal(created.code, 0, created.stderr);
      const printed = created.json();
      assert.equal(typeof printed.token, 'string', 'the token is printed');
      assert.equal(printed.uses_left, 2, 'with its uses');
      const stored = (await provider.store.initialAccessTokens.list()).find((row) => row.id === printed.id)!;
      assert.equal(stored.tokenHash, sha256(printed.token), 'only its SHA-256 is stored');
      assert.ok(stored.expiresAt! > Date.now() / 1000 + 3500, 'it expires in an hour');

      const registered = await register(provider, webMetadata, bearer(printed.token));
      assert.equal(registered.status, 201, 'the printed token registers a client');

      const listed = await cli('registration', 'token', 'list');
      assert.equal(listed.code, 0, listed.stderr);
      const row = listed.json().tokens.find((token: { id: string }) => token.id === printed.id);
      assert.equal(row.uses_left, 1, 'list shows the uses left');
      assert.equal(row.token, undefined, 'list never shows the token');
      assert.doesNotMatch(listed.stdout, new RegExp(printed.token), 'nor its value anywhere');

      const revoked = await cli('registration', 'token', 'revoke', printed.id);
      assert.equal(revoked.code, 0, revoked.stderr);
      const refused = await register(provider, webMetadata, bearer(printed.token));
      assert.equal(refused.status, 401, 'a revoked token registers nothing');
      const again = await cli('registration', 'token', 'revoke', printed.id);
      assert.equal(again.code, 2, 'revoking an unknown id is a usage error');

      const bad = await cli('registration', 'token', 'create', '--uses', '0');
      assert.equal(bad.code, 2, '--uses 0 is refused');
      const unknown = await runCli(['registration', 'token', 'frobnicate']);
      assert.match(unknown.stderr, /^grantry: unknown command: registration token frobnicate\n/, 'an unknown subcommand is named with its command');
    });
  });
}
