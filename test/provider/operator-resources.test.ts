import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { makeConfig } from '../../src/config/config.ts';
import { createProviderContext } from '../../src/provider/context.ts';
import { buildProviderServer } from '../../src/provider/http/server.ts';
import { registerResource } from '../../src/provider/protocol/resources.ts';
import type { Resource } from '../../src/provider/storage.ts';
import { openStore } from '../../src/store/index.ts';
import { TestBrowser, csrfFrom, inputValue, type BrowserResponse } from '../helpers/browser.ts';
import { testSecret, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, postForm } from './token-fixtures.ts';

// The registered APIs (RFC 8707 resources) from the console's operator page: the "Register an API"
// form on /console/operator and each API's page /console/operator/resources/:id, under the rules
// grantry resource follows (src/provider/protocol/resources.ts). Only operators (console.operators)
// see them; every change needs a recent sign-in (login.reauthenticationSeconds), since it changes
// what tokens say for every app; refusals are shown on the form in the reader's language.

/** The text of an element marked with data-testid, its entities decoded as a reader sees them. */
function testIdText(page: string, testId: string): string | undefined {
  const match = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</p>`).exec(page);
  return match?.[1]!.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A second provider process's worth of state over the same database: its own store handle and caches, as another instance has. */
async function startSecondInstance(provider: RunningProvider, clientCacheSeconds: number) {
  const store = await openStore(provider.databaseUrl);
  const config = makeConfig({ secret: testSecret, argon2: { memoryCost: 1024, timeCost: 1 }, clientCacheSeconds, port: 0 });
  const ctx = await createProviderContext(config, store);
  const app = await buildProviderServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  Object.assign(ctx.config, { issuer: url });
  return {
    url,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

for (const kind of storeKinds) {
  describe(`APIs registered and changed on the operator page, on ${kind.name}`, () => {
    let provider: RunningProvider;
    let operator: Awaited<ReturnType<RunningProvider['createUser']>>;
    /** The operator's browser, signed in just now. */
    let browser: TestBrowser;
    /** A service app an operator trusts: it may get an API's scopes with client_credentials, where no person consents. */
    let service: { id: string; secret: string };
    /** An API registered as grantry resource would, which owns the scope taken:read. */
    let taken: Resource;

    before(async () => {
      provider = await startProvider(kind, { console: { operators: ['olga'] }, clientCacheSeconds: 1 });
      operator = await provider.createUser('Olga');
      browser = new TestBrowser(provider.url);
      await signIn(provider, browser, operator);
      const registered = await provider.registerClient({ appType: 'service', name: 'Agent', grantTypes: ['client_credentials'], trusted: true });
      service = { id: registered.client.id, secret: registered.clientSecret! };
      taken = await registerResource(provider.store, provider.config, { uri: 'https://taken.example/api', name: 'Taken API', scopes: ['taken:read'] });
    });
    after(() => provider.close());

    /** What the register form sends; each field may be overridden (or dropped with undefined). */
    const registration = (fields: Record<string, string | undefined> = {}) => {
      const form: Record<string, string> = { uri: 'https://api.example.com/mcp', name: 'Example MCP server', scopes: 'tools:read tools:call', access_token_lifetime: '', token_format: 'jwt', ...fields } as Record<string, string>;
      for (const [name, value] of Object.entries(form)) if (value === undefined) delete form[name];
      return form;
    };

    /** The register form posted from the operator page, as the operator's browser would. */
    const register = async (fields: Record<string, string>, on = browser, headers?: Record<string, string>) => {
      const page = await on.get('/console/operator', headers);
      assert.equal(page.status, 200, `the operator page: ${page.status}`);
      return on.post('/console/operator/resources', { csrf_token: csrfFrom(page.text), ...fields }, headers);
    };

    /** An API's page and its form posted back with these fields, as the operator's browser would. */
    const edit = async (id: string, fields: Record<string, string>, on = browser, headers?: Record<string, string>) => {
      const page = await on.get(`/console/operator/resources/${id}`, headers);
      assert.equal(page.status, 200, `the API's page: ${page.status}`);
      return on.post(`/console/operator/resources/${id}`, { csrf_token: csrfFrom(page.text), ...fields }, headers);
    };

    /** A client_credentials token asked of an instance for an API. */
    const tokenFor = (base: string, resource: string, scope: string) =>
      fetch(`${base}/oauth2/token`, {
        method: 'POST',
        headers: { ...basicAuth(service.id, service.secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      }).then(async (answer) => ({ status: answer.status, body: (await answer.json()) as { access_token?: string; scope?: string; expires_in?: number; error?: string } }));

    const storedUris = async () => (await provider.store.resources.list()).map((resource) => resource.uri).sort();

    const assertRefused = (answer: BrowserResponse, status: number, field: string | undefined, message: RegExp, what: string) => {
      assert.equal(answer.status, status, `${what}: refused with ${status}, got ${answer.status} ${answer.location ?? ''}`);
      assert.match(testIdText(answer.text, 'error') ?? '', message, `${what}: the form says why (${testIdText(answer.text, 'error')})`);
      if (field) assert.match(testIdText(answer.text, `${field}-error`) ?? '', message, `${what}: beside the ${field} field`);
    };

    test('an operator registers an API from the form: a token for it is issued here at once, and by another instance within clientCacheSeconds', async () => {
      const other = await startSecondInstance(provider, 1);
      try {
        const uri = 'https://api.example.com/mcp';
        // The other instance reads (and keeps for clientCacheSeconds) the list of APIs before the registration.
        assert.equal((await tokenFor(other.url, uri, 'tools:call')).body.error, 'invalid_target', 'before: the API is unknown to the other instance');
        const page = await browser.get('/console/operator');
        assert.match(page.text, /data-testid="register-resource-form"/, 'the operator page has the register form');
        assert.doesNotMatch(page.text, /data-testid="sign-in-again"/, 'a fresh sign-in is not asked to sign in again');
        const switcher = await browser.get('/console/operator/resources');
        assert.deepEqual([switcher.status, switcher.location], [303, '/console/operator#register-resource'], 'the register form\'s own path (where the language switcher of a refused form comes back) leads to the form');
        const answer = await register(registration({ access_token_lifetime: '600' }));
        assert.equal(answer.status, 303, `registered: ${answer.status} ${testIdText(answer.text, 'error') ?? ''}`);
        assert.equal(answer.location, '/console/operator?registered=1#resources', 'back to the operator page, its APIs');
        const registeredAt = Date.now();
        const stored = (await provider.store.resources.list()).find((resource) => resource.uri === uri);
        assert.deepEqual(
          stored && { name: stored.name, scopes: stored.scopes, lifetime: stored.accessTokenLifetime, format: stored.tokenFormat },
          { name: 'Example MCP server', scopes: ['tools:read', 'tools:call'], lifetime: 600, format: 'jwt' },
          'stored as typed: scopes split on spaces',
        );

        const here = await tokenFor(provider.url, uri, 'tools:call');
        assert.equal(here.status, 200, `this instance issues a token for it at once: ${JSON.stringify(here.body)}`);
        assert.deepEqual([decodeJwt(here.body.access_token!).aud, here.body.scope, here.body.expires_in], [uri, 'tools:call', 600], 'its audience, scope and lifetime');

        // The other instance sees it once its cached list is older than clientCacheSeconds (1 s): asked until then, and a little after.
        let there = await tokenFor(other.url, uri, 'tools:call');
        while (there.status !== 200 && Date.now() - registeredAt < 1000 + 2000) there = await tokenFor(other.url, uri, 'tools:call');
        assert.equal(there.status, 200, `the other instance issues it within clientCacheSeconds: ${JSON.stringify(there.body)}`);
        assert.equal(decodeJwt(there.body.access_token!).aud, uri, 'for the API');

        const listed = await browser.get(answer.location!);
        assert.match(testIdText(listed.text, 'resource-registered') ?? '', /The API was registered/, 'the page says it was registered');
        assert.match(listed.text, new RegExp(`data-resource-id="${stored!.id}">\\s*<td><a href="/console/operator/resources/${stored!.id}">Example MCP server</a>`), 'listed, with a link to its page');

        await provider.ctx.audit.flush();
        const events = await provider.store.audit.list({ event: 'resource_registered', userId: operator.id, limit: 10 });
        assert.equal(events.length, 1, 'one resource_registered event, with the operator');
        assert.deepEqual(events[0]!.detail, { resource_id: stored!.id, uri, name: 'Example MCP server', scopes: ['tools:read', 'tools:call'], access_token_lifetime: 600, token_format: 'jwt' }, 'saying what was registered');
      } finally {
        await other.close();
      }
    });

    test('the token format is chosen on the form: opaque tokens for an API that asks the issuer', async () => {
      const uri = 'https://vault.example.com/api';
      const answer = await register(registration({ uri, name: 'Vault', scopes: 'vault:read', token_format: 'opaque' }));
      assert.equal(answer.status, 303, `registered: ${testIdText(answer.text, 'error') ?? answer.status}`);
      const stored = (await provider.store.resources.list()).find((resource) => resource.uri === uri)!;
      assert.deepEqual([stored.tokenFormat, stored.accessTokenLifetime], ['opaque', null], 'opaque; an empty lifetime is the provider\'s');
      const token = await tokenFor(provider.url, uri, 'vault:read');
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.notEqual(token.body.access_token!.split('.').length, 3, 'the token is opaque, not a JWT');
      assert.equal(token.body.expires_in, provider.config.lifetimes.accessToken, 'with the provider\'s lifetime');
    });

    test('each refusal is shown on the form with its reason and what was typed; nothing is stored', async () => {
      const before = await storedUris();
      const cases: [string, Record<string, string>, string | undefined, RegExp][] = [
        ['http on a public host', { uri: 'http://api.example.com/x' }, 'uri', /"http:\/\/api\.example\.com\/x" is not an API URI/],
        ['a fragment (RFC 8707 §2: must not)', { uri: 'https://api.example.com/#x' }, 'uri', /is not an API URI/],
        ['a query (RFC 8707 §2: should not)', { uri: 'https://api.example.com/?q=1' }, 'uri', /is not an API URI/],
        ['not absolute', { uri: 'relative/path' }, 'uri', /"relative\/path" is not an API URI/],
        ['credentials in the URI', { uri: 'https://user:pw@api.example.com/' }, 'uri', /is not an API URI/],
        ['not written as sent', { uri: 'https://API.example.com/a b' }, 'uri', /is not an API URI/],
        ['a NUL byte', { uri: 'https://api.example.com/\0' }, 'uri', /is not an API URI/],
        ['an empty URI', { uri: '' }, 'uri', /is not an API URI/],
        ['the issuer itself', { uri: provider.url }, 'uri', /is this provider itself/],
        ['the issuer with a slash', { uri: `${provider.url}/` }, 'uri', /is this provider itself/],
        ['a URI registered already (the store\'s unique constraint)', { uri: taken.uri, scopes: '' }, 'uri', /An API with the URI https:\/\/taken\.example\/api is registered already/],
        ['an oversized URI', { uri: `https://${'a'.repeat(3000)}.example/` }, 'uri', /at most 2000 characters/],
        ['a provider scope', { uri: 'https://new.example/api', scopes: 'new:read openid' }, 'scopes', /"openid" is one of this provider's own scopes/],
        ['another API\'s scope', { uri: 'https://new.example/api', scopes: 'taken:read' }, 'scopes', /The scope "taken:read" belongs to another API already \(https:\/\/taken\.example\/api\)/],
        ['a scope that is no scope name', { uri: 'https://new.example/api', scopes: 'ok:read bad"quote' }, 'scopes', /"bad"quote" is not a scope name/],
        ['a hundred and one scopes', { uri: 'https://new.example/api', scopes: Array.from({ length: 101 }, (_, i) => `s${i}`).join(' ') }, 'scopes', /at most 100 scopes/],
        ['an oversized scope', { uri: 'https://new.example/api', scopes: 'x'.repeat(201) }, 'scopes', /each at most 200 characters/],
        ['no name', { uri: 'https://new.example/api', name: '   ' }, 'name', /Give the API a name/],
        ['a name too long', { uri: 'https://new.example/api', name: 'n'.repeat(101) }, 'name', /Give the API a name of at most 100 characters/],
        ['a lifetime of 0', { uri: 'https://new.example/api', access_token_lifetime: '0' }, 'lifetime', /whole number of seconds from 1/],
        ['a negative lifetime', { uri: 'https://new.example/api', access_token_lifetime: '-5' }, 'lifetime', /whole number of seconds from 1/],
        ['a fractional lifetime', { uri: 'https://new.example/api', access_token_lifetime: '1.5' }, 'lifetime', /whole number of seconds from 1/],
        ['an exponent', { uri: 'https://new.example/api', access_token_lifetime: '1e3' }, 'lifetime', /whole number of seconds from 1/],
        ['words for a lifetime', { uri: 'https://new.example/api', access_token_lifetime: 'an hour' }, 'lifetime', /whole number of seconds from 1/],
        ['a lifetime of ten digits', { uri: 'https://new.example/api', access_token_lifetime: '9999999999' }, 'lifetime', /whole number of seconds from 1/],
        ['an unknown token format', { uri: 'https://new.example/api', token_format: 'paper' }, 'token_format', /JWT or opaque/],
      ];
      for (const [what, fields, field, message] of cases) {
        // Scopes of no API yet, so that each case meets only its own refusal.
        const form = registration({ scopes: 'new:read', ...fields });
        const answer = await register(form);
        assertRefused(answer, 400, field, message, what);
        // What was typed is kept (trimmed), so that the operator corrects it rather than typing it again.
        if (form.uri!.length <= 2000 && !form.uri!.includes('\0')) assert.equal(inputValue(answer.text, 'uri'), form.uri!.trim(), `${what}: the URI typed is kept`);
        assert.equal(inputValue(answer.text, 'name'), form.name!.trim(), `${what}: the name typed is kept`);
        assert.equal(inputValue(answer.text, 'scopes'), form.scopes!.trim(), `${what}: the scopes typed are kept`);
        assert.equal(inputValue(answer.text, 'access_token_lifetime'), form.access_token_lifetime, `${what}: the lifetime typed is kept`);
      }
      assert.deepEqual(await storedUris(), before, 'none of them stored anything');
      await provider.ctx.audit.flush();
      assert.equal((await provider.store.audit.list({ event: 'resource_registered', userId: operator.id, limit: 100 })).filter((event) => event.detail?.uri === 'https://new.example/api').length, 0, 'and none is in the audit trail');
    });

    test('two registrations of one URI at the same moment: one is registered, the other is told the URI is taken', async () => {
      const uri = 'https://race.example/api';
      const page = await browser.get('/console/operator');
      const form = { csrf_token: csrfFrom(page.text), ...registration({ uri, scopes: '' }) };
      const answers = await Promise.all([browser.post('/console/operator/resources', form), browser.post('/console/operator/resources', form)]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [303, 400], `one registered, one refused: ${answers.map((answer) => answer.status)}`);
      const refused = answers.find((answer) => answer.status === 400)!;
      assert.match(testIdText(refused.text, 'error') ?? '', /An API with the URI https:\/\/race\.example\/api is registered already/, 'the loser is told why, not a 500');
      assert.equal((await provider.store.resources.list()).filter((resource) => resource.uri === uri).length, 1, 'one stored');
    });

    test('an API\'s page shows it filled; a save narrows its scopes, and a token for the scope taken away is refused at once', async () => {
      const files = await registerResource(provider.store, provider.config, { uri: 'https://files.example/api', name: 'Files API', scopes: ['files:read', 'files:write'], accessTokenLifetime: 300 });
      const page = await browser.get(`/console/operator/resources/${files.id}`);
      assert.equal(page.status, 200, 'the API\'s page');
      assert.deepEqual(
        [inputValue(page.text, 'name'), inputValue(page.text, 'scopes'), inputValue(page.text, 'access_token_lifetime')],
        ['Files API', 'files:read files:write', '300'],
        'the form filled with the API as stored',
      );
      assert.match(page.text, /<option value="jwt" selected>/, 'its format chosen');
      assert.equal(inputValue(page.text, 'uri'), undefined, 'the URI is no field');
      assert.match(page.text, /data-testid="resource-uri">https:\/\/files\.example\/api</, 'it is shown');
      assert.match(testIdText(page.text, 'uri-fixed') ?? '', /stays as registered/, 'saying it stays as registered');
      assert.equal((await tokenFor(provider.url, files.uri, 'files:write')).status, 200, 'before: files:write is granted');

      // A forged uri field is not read: the URI is the tokens' audience.
      const saved = await edit(files.id, { name: 'Files API v2', scopes: 'files:read', access_token_lifetime: '', token_format: 'jwt', uri: 'https://evil.example/' });
      assert.equal(saved.status, 303, `saved: ${saved.status} ${testIdText(saved.text, 'error') ?? ''}`);
      assert.equal(saved.location, `/console/operator/resources/${files.id}?saved=1`, 'back to its page');
      const stored = await provider.store.resources.find(files.id);
      assert.deepEqual([stored!.uri, stored!.name, stored!.scopes, stored!.accessTokenLifetime], [files.uri, 'Files API v2', ['files:read'], null], 'narrowed; the lifetime back to the provider\'s; the URI as registered');
      assert.match(testIdText((await browser.get(saved.location!)).text, 'notice') ?? '', /Saved\. Every instance uses the change within 1 s \(clientCacheSeconds\)/, 'the page says when the change is everywhere');

      const refused = await tokenFor(provider.url, files.uri, 'files:write');
      assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_scope'], 'the scope taken away is no longer granted');
      const kept = await tokenFor(provider.url, files.uri, 'files:read');
      assert.deepEqual([kept.status, kept.body.expires_in], [200, provider.config.lifetimes.accessToken], 'the scope kept still is, for the provider\'s lifetime');

      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ event: 'resource_updated', userId: operator.id, limit: 10 });
      assert.deepEqual(
        events.map((event) => event.detail),
        [{ resource_id: files.id, uri: files.uri, fields: ['name', 'scopes', 'access_token_lifetime'], scopes_before: ['files:read', 'files:write'], scopes_after: ['files:read'] }],
        'one resource_updated event, with the operator, the fields changed and the scopes before and after',
      );
      const unchanged = await edit(files.id, { name: 'Files API v2', scopes: 'files:read', access_token_lifetime: '', token_format: 'jwt' });
      assert.equal(unchanged.status, 303, 'a save that changes nothing is accepted');
      await provider.ctx.audit.flush();
      assert.equal((await provider.store.audit.list({ event: 'resource_updated', userId: operator.id, limit: 10 })).length, 1, 'and records no change');
    });

    test('a refused change is shown on the API\'s page with what was typed; the API stays as it was', async () => {
      const notes = await registerResource(provider.store, provider.config, { uri: 'https://notes.example/api', name: 'Notes', scopes: ['notes:read'], accessTokenLifetime: 120, tokenFormat: 'opaque' });
      const cases: [string, Record<string, string>, string, RegExp][] = [
        ['another API\'s scope', { scopes: 'notes:read taken:read' }, 'scopes', /The scope "taken:read" belongs to another API already \(https:\/\/taken\.example\/api\)/],
        ['a provider scope', { scopes: 'email' }, 'scopes', /"email" is one of this provider's own scopes/],
        ['a bad lifetime', { access_token_lifetime: 'soon' }, 'lifetime', /whole number of seconds/],
        ['no name', { name: '' }, 'name', /Give the API a name/],
        ['an unknown format', { token_format: 'xml' }, 'token_format', /JWT or opaque/],
      ];
      for (const [what, fields, field, message] of cases) {
        const form = { name: 'Notes renamed', scopes: 'notes:read notes:write', access_token_lifetime: '60', token_format: 'jwt', ...fields };
        const answer = await edit(notes.id, form);
        assertRefused(answer, 400, field, message, what);
        assert.deepEqual([inputValue(answer.text, 'name'), inputValue(answer.text, 'scopes'), inputValue(answer.text, 'access_token_lifetime')], [form.name, form.scopes, form.access_token_lifetime], `${what}: what was typed is kept`);
        assert.deepEqual(await provider.store.resources.find(notes.id), notes, `${what}: the API is unchanged`);
      }
    });

    test('registering or changing an API needs a recent sign-in: an older one is asked to sign in again, and nothing changes', async () => {
      const stale = new TestBrowser(provider.url);
      await signIn(provider, stale, operator, { secondsAgo: 20 * 60 });
      const page = await stale.get('/console/operator');
      assert.match(testIdText(page.text, 'sign-in-again') ?? '', /needs a sign-in from the last 10 minutes/, 'the page says so before the form is sent');
      assert.match(page.text, /href="\/login\?return_to=%2Fconsole%2Foperator" data-testid="sign-in-again-link"/, 'with a way to sign in again that comes back');
      const before = await storedUris();
      const refused = await register(registration({ uri: 'https://late.example/api', scopes: 'late:read' }), stale);
      assertRefused(refused, 403, undefined, /Sign in again to register or change an API: your sign-in is more than 10 minutes old/, 'a registration');
      assert.equal(inputValue(refused.text, 'uri'), 'https://late.example/api', 'what was typed is kept');
      assert.deepEqual(await storedUris(), before, 'nothing registered');

      const api = (await provider.store.resources.list()).find((resource) => resource.uri === taken.uri)!;
      const change = await edit(api.id, { name: 'Renamed', scopes: '', access_token_lifetime: '', token_format: 'opaque' }, stale);
      assertRefused(change, 403, undefined, /Sign in again/, 'a change');
      assert.deepEqual(await provider.store.resources.find(api.id), api, 'nothing changed');
    });

    test('to a person who is not an operator every new route is a 404; a stranger is sent to log in', async () => {
      const person = await provider.createUser('notanoperator');
      const someone = new TestBrowser(provider.url);
      await signIn(provider, someone, person);
      const csrf = csrfFrom((await someone.get('/console')).text);
      const before = await provider.store.resources.list();
      for (const [method, path] of [['GET', `/console/operator/resources/${taken.id}`], ['GET', '/console/operator/resources'], ['GET', '/console/operator/resources/unknown']] as const) {
        assert.equal((await someone.request(method, path)).status, 404, `${method} ${path}: 404 to a non-operator`);
      }
      assert.equal((await someone.post('/console/operator/resources', { csrf_token: csrf, ...registration({ uri: 'https://sneaky.example/api', scopes: 'sneaky:read' }) })).status, 404, 'registering: 404');
      assert.equal((await someone.post(`/console/operator/resources/${taken.id}`, { csrf_token: csrf, name: 'Mine now', scopes: '' })).status, 404, 'changing: 404');
      assert.deepEqual(await provider.store.resources.list(), before, 'nothing registered or changed');

      const stranger = new TestBrowser(provider.url);
      const page = await stranger.get(`/console/operator/resources/${taken.id}`);
      assert.deepEqual([page.status, page.location], [303, `/login?return_to=${encodeURIComponent(`/console/operator/resources/${taken.id}`)}`], 'a stranger is sent to log in, and back');
      const strangerCsrf = csrfFrom((await stranger.get('/login')).text);
      const post = await stranger.post('/console/operator/resources', { csrf_token: strangerCsrf, ...registration({ uri: 'https://sneaky.example/api' }) });
      assert.deepEqual([post.status, post.location], [303, `/login?return_to=${encodeURIComponent('/console/operator')}`], 'a stranger\'s registration is sent to log in');
      assert.deepEqual(await provider.store.resources.list(), before, 'and stores nothing');
    });

    test('a forged or missing CSRF token gets 403 and changes nothing', async () => {
      const before = await provider.store.resources.list();
      for (const token of ['forged', '']) {
        const registered = await browser.post('/console/operator/resources', { csrf_token: token, ...registration({ uri: 'https://forged.example/api', scopes: 'forged:read' }) });
        assert.equal(registered.status, 403, `registering with the CSRF token "${token}": 403`);
        const changed = await browser.post(`/console/operator/resources/${taken.id}`, { csrf_token: token, name: 'Forged', scopes: '', access_token_lifetime: '', token_format: 'jwt' });
        assert.equal(changed.status, 403, `changing with the CSRF token "${token}": 403`);
      }
      assert.deepEqual(await provider.store.resources.list(), before, 'nothing registered or changed');
    });

    test('an unknown or implausible id is a 404, never a 5xx', async () => {
      const csrf = csrfFrom((await browser.get('/console/operator')).text);
      // A path segment longer than the router's maxParamLength (100) is 414 URI Too Long before any route runs.
      for (const [id, status] of [['0123456789abcdef01234567', 404], ['%00', 404], ['x'.repeat(300), 414], ['%E4%B8%AD', 404], ['..%2F..%2Fconsole', 404]] as const) {
        const page = await browser.get(`/console/operator/resources/${id}`);
        assert.equal(page.status, status, `GET ${id.slice(0, 40)}: ${status}`);
        const post = await browser.post(`/console/operator/resources/${id}`, { csrf_token: csrf, name: 'X', scopes: '' });
        assert.equal(post.status, status, `POST ${id.slice(0, 40)}: ${status}`);
      }
    });

    test('the forms and their refusals speak Chinese to a zh-CN reader', async () => {
      const zh = { 'accept-language': 'zh-CN' };
      const page = await browser.get('/console/operator', zh);
      assert.match(page.text, /<h3 id="register-resource">注册 API<\/h3>/, 'the form\'s heading');
      assert.match(page.text, /<label for="scopes">权限范围<\/label>/, 'its labels');
      assert.match(page.text, /以空格分隔/, 'its hints');
      const refused = await register(registration({ uri: provider.url }), browser, zh);
      assertRefused(refused, 400, 'uri', /是本服务自身/, 'the issuer, in Chinese');
      const taken2 = await register(registration({ uri: 'https://zh.example/api', scopes: 'taken:read' }), browser, zh);
      assertRefused(taken2, 400, 'scopes', /权限范围“taken:read”已属于另一个 API（https:\/\/taken\.example\/api）/, 'another API\'s scope, in Chinese');
      const apiPage = await browser.get(`/console/operator/resources/${taken.id}`, zh);
      assert.match(testIdText(apiPage.text, 'uri-fixed') ?? '', /保持注册时的值不变/, 'the API\'s page says the URI stays');
      const badLifetime = await edit(taken.id, { name: 'Taken API', scopes: 'taken:read', access_token_lifetime: 'x', token_format: 'jwt' }, browser, zh);
      assertRefused(badLifetime, 400, 'lifetime', /整数秒/, 'a bad lifetime, in Chinese');
    });
  });
}
