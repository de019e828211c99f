import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import { protectedResource, ResourceError } from '../../src/resource/index.ts';
import { openStore } from '../../src/store/index.ts';
import * as resourceTokenFormat from '../../src/store/migrations/016-resource-token-format.ts';
import { openDatabase } from '../../src/store/open.ts';
import { runCli } from '../helpers/cli.ts';
import { authorizeWithResources, discover } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, getMe, postForm } from './token-fixtures.ts';

// Each registered API (RFC 8707 resource) chooses the format of its access tokens: `grantry
// resource create --token-format opaque` makes its tokens opaque, stored with their audience, so
// that only the issuer can say what they hold (RFC 7662 introspection) and whom they are for. A
// token whose audience names any opaque API is opaque; a JWT API alone still gets JWTs.

const callback = 'https://rp.example/cb';
const vault = 'https://vault.example.com/api';
const photos = 'https://photos.example.com/api';

interface Introspection {
  active: boolean;
  aud?: string | string[];
  username?: string;
  client_id?: string;
  scope?: string;
  token_type?: string;
  sub?: string;
}

for (const kind of storeKinds) {
  describe(`access-token format chosen by the API, on ${kind.name}`, () => {
    let provider: RunningProvider;
    let config: client.Configuration;
    let app: { id: string; secret: string };
    let resourceServer: { clientId: string; clientSecret: string };
    let user: Awaited<ReturnType<RunningProvider['createUser']>>;

    const cli = (...args: string[]) => runCli(['resource', ...args, '--database-url', provider.databaseUrl, '--json']);

    before(async () => {
      // Resources are cached by the provider for clientCacheSeconds: a long period keeps statement counts exact.
      provider = await startProvider(kind, { clientCacheSeconds: 300 });
      // As an operator would, from another process, before the provider has read any resource.
      const created = await cli('create', '--uri', vault, '--name', 'Vault API', '--scope', 'vault:read', '--scope', 'vault:write', '--token-format', 'opaque');
      assert.equal(created.code, 0, `grantry resource create --token-format opaque: ${created.stderr}`);
      assert.deepEqual({ ...created.json<object>(), id: undefined }, { id: undefined, uri: vault, name: 'Vault API', scopes: ['vault:read', 'vault:write'], access_token_lifetime: null, token_format: 'opaque' }, 'registered with opaque tokens, said in --json');
      const jwtApi = await cli('create', '--uri', photos, '--name', 'Photos API', '--scope', 'photos:read');
      assert.equal(jwtApi.json().token_format, 'jwt', `an API registered without --token-format gets JWTs: ${jwtApi.stdout}${jwtApi.stderr}`);
      user = await provider.createUser();
      // The app's own format is JWT: for an API, the API's format decides.
      const registered = await provider.registerClient({ appType: 'web', name: 'Agent', redirectUris: [callback], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], trusted: true, tokenFormat: 'jwt' });
      app = { id: registered.client.id, secret: registered.clientSecret! };
      config = await discover(provider, app.id, app.secret);
      // The Vault API's own credentials at the introspection endpoint: a service app may ask about any token (RFC 7662 §4).
      const service = await provider.registerClient({ appType: 'service', name: 'Vault API' });
      resourceServer = { clientId: service.client.id, clientSecret: service.clientSecret! };
    });
    after(() => provider.close());

    /** Authorizes (resource repeated as given), redeems the code with `tokenResources`, and counts the exchange's statements. */
    async function authorize(scope: string, resources: string[], tokenResources: string[] = []) {
      const { back, verifier, parameters } = await authorizeWithResources(provider, config, user, { callback, scope, resources, tokenResources });
      const { result: tokens, statements } = await countStatements(provider, () => client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier }, parameters));
      return { tokens, statements };
    }

    const introspect = async (token: string, caller = { id: resourceServer.clientId, secret: resourceServer.clientSecret }) => {
      const answer = await postForm(provider, '/oauth2/introspect', { token }, basicAuth(caller.id, caller.secret));
      assert.equal(answer.status, 200, `introspection answers: ${JSON.stringify(answer.body)}`);
      return answer.body as Introspection;
    };

    const refresh = (refreshToken: string, resource?: string) =>
      postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...(resource ? { resource } : {}) }, basicAuth(app.id, app.secret));

    const isOpaque = (token: string) => !token.includes('.');

    test('a token for the opaque API is opaque, stored in one insert with its audience; introspection names the API; /api/me and UserInfo refuse it', async () => {
      const { tokens, statements } = await authorize('openid vault:read', [vault]);
      assert.ok(isOpaque(tokens.access_token), 'an opaque access token (no dots), though the app\'s own format is JWT');
      assert.equal(tokens.scope, 'openid vault:read', 'the API\'s scope');
      const inserts = statements.filter((sql) => /^insert into "access_tokens"/i.test(sql));
      assert.equal(inserts.length, 1, `one insert makes the opaque token known:\n${statements.join('\n')}`);
      assert.match(inserts[0]!, /"audience"/, 'its audience in the same statement');
      assert.ok(decodeJwt(tokens.id_token!).aud, 'the ID token is still a JWT, for the app');

      const answer = await introspect(tokens.access_token);
      assert.deepEqual([answer.active, answer.aud, answer.client_id, answer.scope, answer.token_type], [true, vault, app.id, 'openid vault:read', 'Bearer'], 'RFC 7662 §2.2: active, aud the API (one: a string), the app, the scope');
      assert.equal(answer.username, undefined, 'no username: the token has no profile scope, and the API learns the person no better than the app did');

      for (const path of ['/api/me', '/oauth2/userinfo']) {
        const refused = await getMe(provider, tokens.access_token, path);
        assert.equal(refused.status, 401, `${path}: the provider's own API refuses a token for another resource`);
        assert.equal(refused.headers.get('www-authenticate')?.match(/error="[^"]*", error_description="[^"]*"/)?.[0], 'error="invalid_token", error_description="the token is for another resource"', `${path}: the same words as for a JWT of another API`);
      }
    });

    test('refresh keeps the token opaque; a two-API audience with one opaque API is opaque with both in aud; narrowing to the JWT API alone gives a JWT', async () => {
      const alone = await authorize('vault:read', [vault]);
      const refreshed = await refresh(alone.tokens.refresh_token!);
      assert.equal(refreshed.status, 200, `refreshed: ${JSON.stringify(refreshed.body)}`);
      assert.ok(isOpaque(refreshed.body.access_token), 'the refreshed token is opaque too');
      assert.equal((await introspect(refreshed.body.access_token)).aud, vault, 'for the same API');

      const both = await authorize('vault:read photos:read', [vault, photos]);
      assert.ok(isOpaque(both.tokens.access_token), 'one opaque API in the audience makes the token opaque: the JWT API must not get a readable copy of what the other keeps unreadable');
      assert.deepEqual((await introspect(both.tokens.access_token)).aud, [vault, photos], 'both APIs in aud, as a list');

      const toPhotos = await refresh(both.tokens.refresh_token!, photos);
      assert.equal(toPhotos.status, 200, `narrowed to the JWT API: ${JSON.stringify(toPhotos.body)}`);
      assert.deepEqual([decodeJwt(toPhotos.body.access_token).aud, toPhotos.body.scope], [photos, 'photos:read'], 'RFC 8707 §2.2: a JWT for the JWT API alone, with its scope alone');
      const toVault = await refresh(toPhotos.body.refresh_token, vault);
      assert.equal(toVault.status, 200, `narrowed to the opaque API: ${JSON.stringify(toVault.body)}`);
      assert.ok(isOpaque(toVault.body.access_token), 'the opaque API alone: opaque');
      const narrowed = await introspect(toVault.body.access_token);
      assert.deepEqual([narrowed.aud, narrowed.scope], [vault, 'vault:read'], 'its audience and scope narrowed');
      const wider = await refresh(toVault.body.refresh_token, 'https://elsewhere.example/api');
      assert.deepEqual([wider.status, wider.body.error], [400, 'invalid_target'], 'never widened');

      const atExchange = await authorize('vault:read photos:read', [vault, photos], [photos]);
      assert.equal(decodeJwt(atExchange.tokens.access_token).aud, photos, 'narrowed to the JWT API at the code exchange: a JWT');
      assert.equal(atExchange.statements.filter((sql) => /^insert into "access_tokens"/i.test(sql)).length, 0, 'and nothing stored for it');
    });

    test('client_credentials for the opaque API: opaque, one statement once the app and the APIs are cached; an opaque app without resource is as before', async () => {
      const form = { grant_type: 'client_credentials', resource: vault, scope: 'vault:write' };
      const cold = await postForm(provider, '/oauth2/token', form, basicAuth(app.id, app.secret));
      assert.equal(cold.status, 200, JSON.stringify(cold.body));
      const { result: warm, statements } = await countStatements(provider, () => postForm(provider, '/oauth2/token', form, basicAuth(app.id, app.secret)));
      assert.equal(warm.status, 200, JSON.stringify(warm.body));
      assert.ok(isOpaque(warm.body.access_token), 'an opaque token for the app itself');
      assert.equal(statements.length, 1, `the insert alone:\n${statements.join('\n')}`);
      assert.match(statements[0]!, /^insert into "access_tokens"/i, 'which is the token\'s row');
      const answer = await introspect(warm.body.access_token);
      assert.deepEqual([answer.active, answer.aud, answer.sub, answer.scope], [true, vault, app.id, 'vault:write'], 'for the API, the app its own subject');
      assert.equal((await getMe(provider, warm.body.access_token)).status, 401, '/api/me refuses it');

      // An app whose own format is opaque, for its issuer's API: opaque with aud the issuer, accepted by /api/me.
      const opaqueApp = await provider.registerClient({ appType: 'service', tokenFormat: 'opaque', grantTypes: ['client_credentials'], trusted: true });
      const own = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(opaqueApp.client.id, opaqueApp.clientSecret!));
      assert.ok(isOpaque(own.body.access_token), 'the app\'s own format when no API is named');
      assert.equal((await introspect(own.body.access_token)).aud, provider.url, 'aud is the issuer: no audience stored');
      // The same opaque app, for the JWT API: the API's format decides.
      const forPhotos = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', resource: photos, scope: 'photos:read' }, basicAuth(opaqueApp.client.id, opaqueApp.clientSecret!));
      assert.equal(forPhotos.status, 200, JSON.stringify(forPhotos.body));
      assert.equal(decodeJwt(forPhotos.body.access_token).aud, photos, 'a JWT for the JWT API, whatever the app\'s format');
    });

    test('grantry/resource at the opaque API verifies its token through introspection; another API refuses it; revoked, it is refused once its cache entry ends', async () => {
      const { tokens } = await authorize('vault:read', [vault]);
      const clock = { at: Math.floor(Date.now() / 1000) };
      const api = protectedResource({ resource: vault, authorizationServers: [provider.url], introspection: { ...resourceServer, cacheSeconds: 30 }, now: () => clock.at * 1000 });
      const verified = await api.verify(`Bearer ${tokens.access_token}`, { scopes: ['vault:read'] });
      assert.deepEqual([verified.audience, verified.clientId, verified.scopes, verified.issuer], [[vault], app.id, ['vault:read'], provider.url], 'verified: for this API, this app, this scope, from this issuer');
      assert.equal(verified.subject, user.id, 'the person');

      const refusal = async (promise: Promise<unknown>) => {
        const error = await promise.then(() => assert.fail('the token was accepted'), (caught: unknown) => caught);
        assert.ok(error instanceof ResourceError, `a ResourceError: ${String(error)}`);
        return [error.status, error.code, error.message];
      };
      const otherApi = protectedResource({ resource: photos, authorizationServers: [provider.url], introspection: resourceServer });
      assert.deepEqual(await refusal(otherApi.verify(`Bearer ${tokens.access_token}`)), [401, 'invalid_token', 'the token is for another resource'], 'RFC 8707: the Photos API, asking the same issuer, learns the token is not its own');

      const revoked = await postForm(provider, '/oauth2/revoke', { token: tokens.access_token }, basicAuth(app.id, app.secret));
      assert.equal(revoked.status, 200, 'revoked at the issuer (RFC 7009)');
      assert.equal((await introspect(tokens.access_token)).active, false, 'the issuer says inactive at once');
      clock.at += 29;
      assert.equal((await api.verify(`Bearer ${tokens.access_token}`)).token, tokens.access_token, 'still accepted from the cache 29 s on (RFC 7662 §4\'s trade)');
      clock.at += 1;
      assert.deepEqual(await refusal(api.verify(`Bearer ${tokens.access_token}`)), [401, 'invalid_token', 'the token is not active'], 'refused once the entry has ended');
    });

    test('attacks: another app cannot learn about the token, a replayed revoked token stays dead, a bad --token-format is refused', async () => {
      const { tokens } = await authorize('vault:read', [vault]);
      // RFC 7662 §4: an app that is not a resource server learns nothing of another app's token.
      const other = await provider.registerClient({ appType: 'web', redirectUris: [callback] });
      assert.deepEqual(await introspect(tokens.access_token, { id: other.client.id, secret: other.clientSecret! }), { active: false }, 'another app: inactive');
      assert.equal((await introspect(tokens.access_token, { id: app.id, secret: app.secret })).aud, vault, 'the app itself may ask about its own token');
      // The token presented as a refresh token: nothing.
      const misuse = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.access_token }, basicAuth(app.id, app.secret));
      assert.deepEqual([misuse.status, misuse.body.error], [400, 'invalid_grant'], 'an access token is not a refresh token');
      await postForm(provider, '/oauth2/revoke', { token: tokens.access_token, token_type_hint: 'access_token' }, basicAuth(app.id, app.secret));
      assert.deepEqual(await introspect(tokens.access_token), { active: false }, 'revoked: inactive');
      const again = await postForm(provider, '/oauth2/revoke', { token: tokens.access_token }, basicAuth(app.id, app.secret));
      assert.equal(again.status, 200, 'RFC 7009 §2.2: revoking again is answered 200');

      const bad = await cli('create', '--uri', 'https://bad.example/api', '--name', 'Bad', '--token-format', 'paseto');
      assert.notEqual(bad.code, 0, 'an unknown format is refused');
      assert.match(bad.stderr, /--token-format takes jwt or opaque/, `saying which formats there are: ${bad.stderr}`);
      const listed = await cli('list');
      const formats = Object.fromEntries(listed.json().resources.map((resource: { uri: string; token_format: string }) => [resource.uri, resource.token_format]));
      assert.deepEqual(formats, { [vault]: 'opaque', [photos]: 'jwt' }, 'nothing registered by the refused command; list --json shows each format');
      const text = await runCli(['resource', 'list', '--database-url', provider.databaseUrl]);
      assert.match(text.stdout, new RegExp(`${vault}  Vault API  opaque  vault:read vault:write`), `the text list shows the format: ${text.stdout}`);
    });

    test('grantry resource update --token-format switches an API; a wrong value is refused before the database is touched', async () => {
      const created = await cli('create', '--uri', 'https://switch.example/api', '--name', 'Switch', '--scope', 'switch:use');
      assert.equal(created.code, 0, created.stderr);
      const id = created.json().id as string;
      const toOpaque = await cli('update', id, '--token-format', 'opaque');
      assert.deepEqual([toOpaque.code, toOpaque.json().token_format, toOpaque.json().scopes], [0, 'opaque', ['switch:use']], `switched to opaque, the rest kept: ${toOpaque.stderr}`);
      const wrong = await runCli(['resource', 'update', id, '--token-format', 'JWT', '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
      assert.match(wrong.stderr, /--token-format takes jwt or opaque/, `a usage error, not a connection error: ${wrong.stderr}`);
      const back = await cli('update', id, '--token-format', 'jwt');
      assert.equal(back.json().token_format, 'jwt', 'and back');
      assert.equal((await provider.store.resources.find(id))?.tokenFormat, 'jwt', 'as stored');
    });
  });

  describe(`migration 016 over a database written before it, on ${kind.name}`, () => {
    test('the APIs registered before get JWTs, and the opaque tokens stored before stay the issuer\'s', async () => {
      const fresh = await kind.open();
      try {
        // The database as it was at migration 015: 016 undone, with a resource and an opaque token of then.
        const probe = await openDatabase<unknown>(fresh.url, { migrations: {}, table: 'grantry_probe_migrations', lockTable: 'grantry_probe_migrations_lock' }, fresh.schema ? { schema: fresh.schema } : {});
        const db = probe.db as Kysely<any>;
        await resourceTokenFormat.down(db);
        await db.deleteFrom('grantry_migrations').where('name', '=', '016-resource-token-format').execute();
        await db.insertInto('resources').values({ id: 'old', uri: 'https://old.example/api', name: 'Old API', scopes: 'old:read', access_token_lifetime: null, created_at: 1, updated_at: 1 }).execute();
        await db.insertInto('access_tokens').values({ token_hash: 'old-token-hash', grant_id: null, client_id: 'old-app', user_id: null, scope: 'profile', expires_at: 4_000_000_000 }).execute();
        await probe.close();

        const upgraded = await openStore(fresh.url, fresh.schema ? { schema: fresh.schema } : {});
        try {
          assert.deepEqual(await upgraded.readiness(), { ready: true }, 'migration 016 ran on opening');
          assert.equal((await upgraded.resources.find('old'))?.tokenFormat, 'jwt', 'an API registered before keeps getting JWTs (the column\'s default)');
          const token = await upgraded.accessTokens.find('old-token-hash');
          assert.deepEqual(token && { ...token }, { tokenHash: 'old-token-hash', grantId: null, clientId: 'old-app', userId: null, scope: 'profile', expiresAt: 4_000_000_000 }, 'an opaque token stored before has no audience: the issuer\'s own API');
        } finally {
          await upgraded.close();
        }
      } finally {
        await fresh.dispose();
      }
    });
  });
}
