import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { generate } from 'selfsigned';
import { ConfigError, makeConfig } from '../../src/config/config.ts';
import { OutboundRefused, OutboundTimeout, OutboundUnacceptable, fetchJson } from '../../src/lib/outbound.ts';
import { runHousekeeping } from '../../src/provider/housekeeping.ts';
import { cacheLifetime, isClientIdUrl } from '../../src/provider/protocol/client-documents.ts';
import { TestBrowser, consentDecision, csrfFrom } from '../helpers/browser.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): an app no one
// registered names itself by the URL of its own metadata, which Grantry fetches through the SSRF
// guard. oauth4webapi, a client Grantry did not write, does the code exchange and the refresh.

/** A loopback server of documents: each path answers as its route says, and every request is counted. */
class DocumentHost {
  readonly hits = new Map<string, number>();
  readonly routes = new Map<string, (response: ServerResponse, request: IncomingMessage) => void>();
  server!: Server;
  origin = '';

  async start(server: Server = createHttpServer(), scheme = 'http', host = '127.0.0.1'): Promise<this> {
    this.server = server;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const route = this.routes.get(path);
      if (route) route(response, request);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.origin = `${scheme}://${host}:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Serves `document` (its client_id filled in with the path's own URL unless given) as JSON at `path`; returns that URL. */
  serve(path: string, document: Record<string, unknown>, headers: Record<string, string> = {}): string {
    const url = `${this.origin}${path}`;
    const body = JSON.stringify({ client_id: url, ...document });
    this.routes.set(path, (response) => response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(body));
    return url;
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts an authorization request with PKCE; returns the page or redirect the provider answered. */
async function authorize(provider: RunningProvider, browser: TestBrowser, clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const query = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'profile', state: 'st',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  const page = await browser.get(`/oauth2/authorize?${query}`);
  return { page, verifier };
}

for (const kind of storeKinds) {
  describe(`client ID metadata documents on ${kind.name}`, () => {
    let provider: RunningProvider;
    let host: DocumentHost;
    let as: oauth.AuthorizationServer;

    before(async () => {
      host = await new DocumentHost().start();
      provider = await startProvider(kind, { clientIdMetadataDocuments: { allowInsecureLoopback: true }, console: { operators: ['olga'] } });
      as = await oauth.processDiscoveryResponse(new URL(provider.url), await oauth.discoveryRequest(new URL(provider.url), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    });
    after(async () => {
      await provider.close();
      await host.close();
    });

    test('an MCP-style client known only by its document: consent names its host, the code exchange and a refresh work (oauth4webapi)', async () => {
      assert.equal(as.client_id_metadata_document_supported, true, 'the metadata says documents are taken (§5)');
      const clientId = host.serve('/clients/agent.json', {
        client_name: 'Desk Agent', redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none', logo_uri: 'https://elsewhere.example/logo.png', software_version: '1.2',
      }, { 'cache-control': 'max-age=600' });
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      // A native app on loopback: any port (RFC 8252 §7.3).
      const redirectUri = 'http://127.0.0.1:51234/callback';
      const { page, verifier } = await authorize(provider, browser, clientId, redirectUri);
      assert.equal(page.status, 200, `the consent page: ${page.text.slice(0, 300)}`);
      assert.match(page.text, /data-testid="consent-app">Desk Agent</, 'the name the document gives');
      assert.match(page.text, new RegExp(`data-testid="consent-document-host"><strong class="mono">${new URL(clientId).host}</strong>`), 'the host of the client_id, prominently (§7.2)');
      assert.match(page.text, /data-testid="consent-unregistered"/, 'says the app is not registered here');
      assert.match(page.text, /data-testid="consent-device-only"/, 'says every callback is on the person\'s device');
      assert.doesNotMatch(page.text, /consent-operator/, 'never passes for an app the operator registered');
      const back = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
      assert.ok(back.location?.startsWith(`${redirectUri}?`), `back to the app: ${back.status} ${back.location}`);

      const client: oauth.Client = { client_id: clientId };
      const callback = oauth.validateAuthResponse(as, client, new URL(back.location!), 'st');
      const exchanged = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, verifier, { [oauth.allowInsecureRequests]: true });
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, exchanged);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer', 'a bearer token');
      const me = await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 200, 'the token works at the API');
      assert.ok(tokens.refresh_token, 'a refresh token: the document asked for the grant');
      const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { [oauth.allowInsecureRequests]: true }));
      assert.ok(refreshed.access_token, 'the refresh works');
      assert.equal(host.count('/clients/agent.json'), 1, 'fetched once: its max-age covers the exchange and the refresh');

      const stored = await provider.store.clients.find(clientId);
      assert.deepEqual([stored?.origin, stored?.appType, stored?.ownerId, stored?.secretHash, stored?.trusted], ['document', 'native', null, null, false], 'kept as a public app of origin "document"');
      assert.ok(stored?.lastUsedAt !== undefined && stored.lastUsedAt >= Math.floor(Date.now() / 1000) - 60, `its use is recorded (${stored?.lastUsedAt})`);

      // Unused for longer than registration.unusedClientDays, it goes with everything issued to it, as a self-registered app does.
      await provider.store.clients.update(clientId, { lastUsedAt: Math.floor(Date.now() / 1000) - (provider.config.registration.unusedClientDays + 1) * 24 * 3600 });
      const housekeeping = runHousekeeping(provider.ctx);
      const counts = await housekeeping.runOnce();
      await housekeeping.stop();
      assert.ok(counts.unused_registered_clients >= 1, `housekeeping removed it (${counts.unused_registered_clients})`);
      assert.equal(await provider.store.clients.find(clientId), undefined, 'the app is gone');
      const after = await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
      assert.equal(after.status, 401, 'and its tokens with it');
    });

    test('a document is fetched again when its lifetime ends, and what it says then decides', async () => {
      const path = '/clients/changing.json';
      const clientId = host.serve(path, { redirect_uris: ['https://127.0.0.1/old'] }, { 'cache-control': 'no-cache' });
      const original = await startProvider(kind, { clientIdMetadataDocuments: { allowInsecureLoopback: true, minCacheSeconds: 0 }, databaseUrl: provider.databaseUrl });
      try {
        const user = await original.createUser();
        const browser = new TestBrowser(original.url);
        await signIn(original, browser, user);
        const first = await authorize(original, browser, clientId, 'https://127.0.0.1/old');
        assert.equal(first.page.status, 200, `the first request is taken: ${first.page.text.slice(0, 200)}`);
        // The app moves its callback; Grantry reads the document on the next request.
        host.serve(path, { redirect_uris: ['https://127.0.0.1/new'] }, { 'cache-control': 'no-cache' });
        const old = await authorize(original, browser, clientId, 'https://127.0.0.1/old');
        assert.equal(old.page.status, 400, 'the old callback is no longer the app\'s');
        assert.match(old.page.text, /data-reason="redirect_uri_mismatch"/, 'as an unregistered redirect URI');
        const moved = await authorize(original, browser, clientId, 'https://127.0.0.1/new');
        assert.equal(moved.page.status, 200, 'the new one is');
        assert.equal(host.count(path), 3, 'no-cache with a floor of 0 s: every request fetched it');
        // The document is gone: the app is unknown from then on, however it was known before (§4.1: no stale copy).
        host.routes.set(path, (response) => response.writeHead(404).end());
        const gone = await authorize(original, browser, clientId, 'https://127.0.0.1/new');
        assert.equal(gone.page.status, 400, 'refused');
        assert.match(gone.page.text, /data-reason="client_document"/, 'because of the document');
        assert.match(gone.page.text, /answered 404, not 200/, 'saying what went wrong');
        const token = await fetch(`${original.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: 'x', redirect_uri: 'https://127.0.0.1/new', code_verifier: 'v'.repeat(43) }) });
        assert.equal(token.status, 401, 'the token endpoint refuses it too');
        assert.equal(((await token.json()) as { error: string }).error, 'invalid_client', 'as invalid_client');
      } finally {
        await original.close();
      }
    });

    test('documents Grantry refuses, each with the reason on the page and nothing kept', async () => {
      const user = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, user);
      const cb = 'http://127.0.0.1/cb';
      const cases: { path: string; route: (response: ServerResponse) => void; why: RegExp }[] = [
        { path: '/bad/missing.json', route: (r) => r.writeHead(404).end(), why: /answered 404, not 200/ },
        { path: '/bad/html.json', route: (r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html>'), why: /answered with text\/html, not JSON/ },
        { path: '/bad/broken.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"client_id":'), why: /is not well-formed JSON/ },
        { path: '/bad/array.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('[]'), why: /is not a JSON object/ },
        { path: '/bad/oversized.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${host.origin}/bad/oversized.json`, redirect_uris: [cb], padding: 'x'.repeat(6000) })), why: /more than the 5120 bytes read/ },
        { path: '/bad/chunked-oversized.json', route: (r) => { r.writeHead(200, { 'content-type': 'application/json' }); r.write(`{"padding":"${'x'.repeat(4000)}`); r.end(`${'y'.repeat(4000)}"}`); }, why: /more than the 5120 bytes read/ },
        { path: '/bad/mismatch.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: 'https://other.example/client.json', redirect_uris: [cb] })), why: /names the client_id (&quot;|")https:\/\/other.example\/client.json(&quot;|"), not its own URL/ },
        { path: '/bad/secret.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${host.origin}/bad/secret.json`, redirect_uris: [cb], token_endpoint_auth_method: 'client_secret_basic' })), why: /public apps only/ },
        { path: '/bad/no-redirects.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${host.origin}/bad/no-redirects.json` })), why: /lists no redirect_uris/ },
        { path: '/bad/borrowed.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${host.origin}/bad/borrowed.json`, redirect_uris: ['https://famous-app.example/callback'] })), why: /on another host than the document/ },
        { path: '/bad/fragment.json', route: (r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${host.origin}/bad/fragment.json`, redirect_uris: ['http://127.0.0.1/cb#x'] })), why: /has a fragment/ },
      ];
      for (const { path, route, why } of cases) {
        host.routes.set(path, route);
        const { page } = await authorize(provider, browser, `${host.origin}${path}`, cb);
        assert.equal(page.status, 400, `${path}: refused with 400, not ${page.status}`);
        assert.match(page.text, /data-reason="client_document"/, `${path}: for its document`);
        assert.match(page.text, why, `${path}: saying why`);
        assert.equal(await provider.store.clients.find(`${host.origin}${path}`), undefined, `${path}: nothing kept (the draft's §4.2: no error is cached)`);
      }
    });

    test('a redirect is not followed: the target is never asked', async () => {
      const target = host.serve('/moved/target.json', { redirect_uris: ['http://127.0.0.1/cb'] });
      host.routes.set('/moved/from.json', (response) => response.writeHead(302, { location: target }).end());
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, await provider.createUser());
      const { page } = await authorize(provider, browser, `${host.origin}/moved/from.json`, 'http://127.0.0.1/cb');
      assert.equal(page.status, 400, 'refused');
      assert.match(page.text, /a redirect, which Grantry does not follow/, 'saying why');
      assert.equal(host.count('/moved/target.json'), 0, 'the redirect\'s target was never requested');
    });

    test('the unlisted redirect URI is refused on Grantry\'s page, never redirected to', async () => {
      const clientId = host.serve('/clients/listed.json', { redirect_uris: ['http://127.0.0.1/cb'] });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, await provider.createUser());
      const { page } = await authorize(provider, browser, clientId, 'https://attacker.example/cb');
      assert.equal(page.status, 400, 'refused on the page');
      assert.match(page.text, /data-reason="redirect_uri_mismatch"/, 'as a redirect URI the app did not list');
    });

    test('the token endpoint never fetches a document it has not met at the authorization endpoint', async () => {
      host.serve('/clients/token-only.json', { redirect_uris: ['http://127.0.0.1/cb'] });
      const clientId = `${host.origin}/clients/token-only.json`;
      const answer = await fetch(`${provider.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: 'guessed', redirect_uri: 'http://127.0.0.1/cb', code_verifier: 'v'.repeat(43) }) });
      assert.equal(answer.status, 401, 'an unknown app');
      assert.equal(((await answer.json()) as { error: string }).error, 'invalid_client', 'invalid_client');
      assert.equal(host.count('/clients/token-only.json'), 0, 'nothing fetched');
      assert.equal(await provider.store.clients.find(clientId), undefined, 'nothing kept');
    });

    test('a document app that never obtained a token goes once none of its requests can be waiting', async () => {
      const now = Math.floor(Date.now() / 1000);
      const app = (id: string, createdAt: number, lastUsedAt?: number) => provider.store.clients.create({
        id, ownerId: null, name: id, description: '', homepage: '', appType: 'native', secretHash: null, redirectUris: ['http://127.0.0.1/cb'], scopes: ['profile'],
        grantTypes: ['authorization_code'], pkceRequired: true, trusted: false, tokenFormat: 'jwt', createdAt, updatedAt: createdAt, silentReturning: false,
        origin: 'document', documentExpiresAt: now + 60, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
      });
      const stale = provider.config.authorizationRequestLifetime + provider.config.lifetimes.authorizationCode + 60;
      await app('https://never-used.example/old.json', now - stale);
      await app('https://never-used.example/new.json', now - 60);
      await app('https://used.example/old.json', now - stale, now - 3600);
      const housekeeping = runHousekeeping(provider.ctx);
      await housekeeping.runOnce();
      await housekeeping.stop();
      assert.deepEqual(
        await Promise.all(['https://never-used.example/old.json', 'https://never-used.example/new.json', 'https://used.example/old.json'].map(async (id) => (await provider.store.clients.find(id)) !== undefined)),
        [false, true, true],
        'the never-used one past the request lifetime goes; one just met, and one that was used, stay',
      );
      // An app found unused that obtains a token before the delete runs stays (the delete has the finding's condition).
      await app('https://raced.example/old.json', now - stale);
      const before = now - provider.config.registration.unusedClientDays * 24 * 3600;
      const found = await provider.store.clients.unusedRegistered(before, 100, now - stale + 30);
      assert.ok(found.some((entry) => entry.id === 'https://raced.example/old.json'), 'found unused');
      assert.equal(await provider.store.clients.markUsed('https://raced.example/old.json', now, now - 24 * 3600), true, 'then it obtains a token');
      assert.equal(await provider.store.clients.deleteUnused('https://raced.example/old.json', before, now - stale + 30), false, 'the delete that follows leaves it');
      assert.ok(await provider.store.clients.find('https://raced.example/old.json'), 'and it is there');
    });

    test('two first requests at once for a new document: both answered, one app kept', async () => {
      const clientId = host.serve('/clients/raced.json', { redirect_uris: ['http://127.0.0.1/cb'] }, { 'cache-control': 'max-age=600' });
      const user = await provider.createUser();
      const browsers = [new TestBrowser(provider.url), new TestBrowser(provider.url)];
      for (const browser of browsers) await signIn(provider, browser, user);
      const pages = await Promise.all(browsers.map((browser) => authorize(provider, browser, clientId, 'http://127.0.0.1/cb')));
      assert.deepEqual(pages.map(({ page }) => page.status), [200, 200], 'both see the consent page');
      assert.ok(await provider.store.clients.find(clientId), 'the app is kept (one upsert won, the other changed nothing)');
      assert.equal(host.count('/clients/raced.json'), 1, 'one fetch, shared by both requests');
    });

    test('an operator sees the apps known by their document apart, and deletes one with everything issued to it', async () => {
      const clientId = host.serve('/clients/listed-for-operator.json', { client_name: 'Listed <i>agent</i>', redirect_uris: ['http://127.0.0.1/cb'] });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, await provider.createUser('olga'));
      const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1/cb');
      assert.equal(page.status, 200, 'the app is known once it asked');
      const consolePage = await browser.get('/console');
      assert.match(consolePage.text, /data-testid="operator-link"/, 'the console links an operator to the operator page');
      const operatorPage = await browser.get('/console/operator');
      assert.match(operatorPage.text, new RegExp(`data-testid="document-app" data-client-id="${clientId}"`), 'listed among the apps known by their document');
      assert.match(operatorPage.text, /Listed &lt;i&gt;agent&lt;\/i&gt;/, 'its name escaped');
      const csrf = csrfFrom(operatorPage.text);
      const forged = await browser.post('/console/operator/documents/delete', { csrf_token: 'forged', client_id: clientId });
      assert.equal(forged.status, 403, 'no CSRF token, no delete');
      const console_ = await provider.registerClient({ appType: 'web', name: 'A person\'s app' });
      const wrongKind = await browser.post('/console/operator/documents/delete', { csrf_token: csrf, client_id: console_.client.id });
      assert.equal(wrongKind.status, 404, 'a person\'s app is not this form\'s to delete');
      const deleted = await browser.post('/console/operator/documents/delete', { csrf_token: csrf, client_id: clientId });
      assert.equal(deleted.status, 303, `deleted: ${deleted.text.slice(0, 200)}`);
      assert.equal(await provider.store.clients.find(clientId), undefined, 'the app is gone');
      const person = new TestBrowser(provider.url);
      await signIn(provider, person, await provider.createUser());
      assert.doesNotMatch((await person.get('/console')).text, /operator-link/, 'no link for anyone else');
    });

    test('a client_id that is no document URL is an ordinary unknown app, and nothing is fetched', async () => {
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, await provider.createUser());
      host.serve('/root-less', { redirect_uris: ['http://127.0.0.1/cb'] });
      // Not written as the URL parser writes it: a backslash, a tab, an upper-case host, no "//".
      const port = new URL(host.origin).port;
      for (const clientId of [`${host.origin}/a\\..\\root-less`, `${host.origin}/a/.\t./root-less`, `http://LOCALHOST:${port}/root-less`, `http:127.0.0.1:${port}/root-less`]) {
        const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1/cb');
        assert.match(page.text, /data-reason="client_unknown"/, `${JSON.stringify(clientId)}: not a client identifier URL`);
      }
      for (const clientId of [`${host.origin}/`, `${host.origin}/a/../root-less`, `${host.origin}/a/%2e%2E/root-less`, `${host.origin}/./root-less`, `${host.origin}?x=/root-less`, `${host.origin}/root-less#x`, `http://user:pw@127.0.0.1:${new URL(host.origin).port}/root-less`, 'ftp://127.0.0.1/x.json']) {
        const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1/cb');
        assert.equal(page.status, 400, `${clientId}: refused`);
        assert.match(page.text, /data-reason="client_unknown"/, `${clientId}: as an unknown app (§3's rules for client identifier URLs)`);
      }
      assert.equal(host.count('/root-less'), 0, 'nothing fetched');
    });
  });
}

describe('client ID metadata documents: what Grantry will not fetch', () => {
  let provider: RunningProvider;
  let host: DocumentHost;
  const kind = storeKinds[0]!;
  before(async () => {
    host = await new DocumentHost().start();
    host.serve('/client.json', { redirect_uris: ['http://127.0.0.1/cb'] });
    // The default: loopback refused, as in every deployment.
    provider = await startProvider(kind);
  });
  after(async () => {
    await provider.close();
    await host.close();
  });

  test('loopback, private and link-local addresses are refused, by literal and by name, and never contacted', async () => {
    const browser = new TestBrowser(provider.url);
    await signIn(provider, browser, await provider.createUser());
    const port = new URL(host.origin).port;
    // Loopback is not even a client identifier URL without allowInsecureLoopback: an ordinary unknown client_id.
    for (const clientId of [`https://127.0.0.1:${port}/client.json`, `https://localhost:${port}/client.json`, `https://[::1]:${port}/client.json`, `http://127.0.0.1:${port}/client.json`]) {
      const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1/cb');
      assert.match(page.text, /data-reason="client_unknown"/, `${clientId}: not fetched, an unknown app`);
    }
    for (const clientId of ['https://10.0.0.8/client.json', 'https://169.254.169.254/latest/meta-data.json', 'https://[fd00::1]/client.json', 'https://192.168.1.1/client.json', 'https://[::ffff:7f00:1]/client.json', 'https://0.0.0.0/client.json']) {
      const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1/cb');
      assert.equal(page.status, 400, `${clientId}: refused`);
      assert.match(page.text, /data-reason="client_document"/, `${clientId}: for its document`);
      assert.match(page.text, /could not be fetched: its address is not one Grantry calls/, `${clientId}: before any connection`);
      assert.doesNotMatch(page.text, /resolves to|10\.0\.0\.8 is/, `${clientId}: without saying more of the network than that`);
    }
    assert.equal(host.count('/client.json'), 0, 'the loopback server was never contacted');
  });

  test('a name that resolves to a private or loopback address is refused after resolution, before connecting', async () => {
    const hostile = (address: string, family: number) => ((_name: string, _options: object, callback: (error: null, addresses: { address: string; family: number }[]) => void) => callback(null, [{ address, family }])) as never;
    const port = new URL(host.origin).port;
    for (const [address, family] of [['127.0.0.1', 4], ['10.1.2.3', 4], ['169.254.169.254', 4], ['fe80::1', 6]] as const) {
      await assert.rejects(
        fetchJson(`http://documents.example:${port}/client.json`, { allowLoopback: false, timeoutMs: 2000, maxBytes: 5120, resolve: hostile(address, family) }),
        (error: unknown) => error instanceof OutboundRefused && error.message.includes(address),
        `documents.example → ${address}: refused, naming the address`,
      );
    }
    // A name with one public and one private address is refused as a whole.
    const mixed = ((_name: string, _options: object, callback: (error: null, addresses: { address: string; family: number }[]) => void) => callback(null, [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }])) as never;
    await assert.rejects(fetchJson(`http://documents.example:${port}/client.json`, { allowLoopback: false, timeoutMs: 2000, maxBytes: 5120, resolve: mixed }), OutboundRefused, 'a public and a private address: refused');
    assert.equal(host.count('/client.json'), 0, 'nothing reached the server');
  });

  test('a slow document is refused within the time allowed, and an operator can switch documents off or keep to some hosts', async () => {
    const slow = await new DocumentHost().start();
    // Headers at once, then a body that never ends.
    slow.routes.set('/slow.json', (response) => { response.writeHead(200, { 'content-type': 'application/json' }); response.write('{"client_id":'); });
    try {
      const started = process.hrtime.bigint();
      await assert.rejects(fetchJson(`${slow.origin}/slow.json`, { allowLoopback: true, timeoutMs: 300, maxBytes: 5120 }), OutboundTimeout, 'refused as too slow');
      assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, 'and not after much longer than allowed');
    } finally {
      await slow.close();
    }
    await assert.rejects(fetchJson(`${host.origin}/nothing.json`, { allowLoopback: true, timeoutMs: 2000, maxBytes: 5120 }), OutboundUnacceptable, 'a 404 is unacceptable');

    const config = (overrides: object) => makeConfig({ secret: testSecret, ...overrides });
    assert.equal(isClientIdUrl(config({ clientIdMetadataDocuments: { enabled: false } }), 'https://app.example/client.json'), false, 'off: no URL is a document');
    const kept = config({ clientIdMetadataDocuments: { allowedHosts: ['*.tools.example', 'agent.example'] } });
    assert.deepEqual(
      ['https://a.tools.example/c.json', 'https://tools.example/c.json', 'https://agent.example/c.json', 'https://evil-agent.example/c.json', 'https://agent.example.evil/c.json'].map((url) => isClientIdUrl(kept, url)),
      [true, false, true, false, false],
      'allowedHosts: exact names, and *. for the subdomains only',
    );
    const off = await startProvider(kind, { clientIdMetadataDocuments: { enabled: false } });
    try {
      const metadata = (await (await fetch(`${off.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.equal(metadata.client_id_metadata_document_supported, false, 'the metadata says so');
    } finally {
      await off.close();
    }
  });

  test('allowInsecureLoopback is refused with an https issuer; caching follows the headers within bounds', () => {
    assert.throws(() => makeConfig({ secret: testSecret, issuer: 'https://id.example.com', clientIdMetadataDocuments: { allowInsecureLoopback: true } }), ConfigError, 'development only');
    assert.throws(() => makeConfig({ secret: testSecret, issuer: 'http://10.0.0.5:3000', clientIdMetadataDocuments: { allowInsecureLoopback: true } }), ConfigError, 'an http issuer on a LAN address is no development machine either');
    assert.equal(makeConfig({ secret: testSecret, issuer: 'http://127.0.0.1:3000', clientIdMetadataDocuments: { allowInsecureLoopback: true } }).clientIdMetadataDocuments.allowInsecureLoopback, true, 'an issuer on loopback may');
    assert.throws(() => makeConfig({ secret: testSecret, clientIdMetadataDocuments: { allowedHosts: ['https://x.example'] } }), ConfigError, 'a host, not a URL');
    const config = makeConfig({ secret: testSecret });
    assert.deepEqual(
      [
        cacheLifetime(config, {}),
        cacheLifetime(config, { 'cache-control': 'public, max-age=3600' }),
        cacheLifetime(config, { 'cache-control': 'max-age=5' }),
        cacheLifetime(config, { 'cache-control': 'no-store' }),
        cacheLifetime(config, { 'cache-control': 'max-age=99999999' }),
        cacheLifetime(config, { expires: new Date(Date.now() + 7200_000).toUTCString() }),
      ],
      [300, 3600, 60, 60, 86400, 7199],
      'the default, max-age, the floor, no-store at the floor, the ceiling, Expires',
    );
  });
});

describe('client ID metadata documents over https on loopback (a private certificate authority)', () => {
  test('the document is fetched over https with the CA given to the provider, and refused without it', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048, notAfterDate: new Date(Date.now() + 24 * 3600_000), extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    const host = await new DocumentHost().start(createHttpsServer({ key: pems.private, cert: pems.cert }), 'https', 'localhost');
    const clientId = host.serve('/mcp-client.json', { client_name: 'Secure Agent', redirect_uris: ['http://127.0.0.1/cb'] });
    const kind = storeKinds[0]!;
    const trusting = await startProvider(kind, { clientIdMetadataDocuments: { allowInsecureLoopback: true } }, { outboundCa: pems.cert });
    const doubting = await startProvider(kind, { clientIdMetadataDocuments: { allowInsecureLoopback: true } });
    try {
      for (const [provider, expected] of [[trusting, 200], [doubting, 400]] as const) {
        const browser = new TestBrowser(provider.url);
        await signIn(provider, browser, await provider.createUser());
        const { page } = await authorize(provider, browser, clientId, 'http://127.0.0.1:4444/cb');
        assert.equal(page.status, expected, `${expected === 200 ? 'with' : 'without'} the CA: ${page.text.slice(0, 300)}`);
        if (expected === 400) assert.match(page.text, /could not be fetched: it could not be reached/, 'refused (the certificate), saying no more of the network');
      }
    } finally {
      await trusting.close();
      await doubting.close();
      await host.close();
    }
  });
});
