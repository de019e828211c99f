import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import { generate } from 'selfsigned';
import { connectToMcpServer } from '../../examples/mcp-server/client.ts';
import { startMcpServer, type RunningMcpServer } from '../../examples/mcp-server/server.ts';
import { registerResource } from '../../src/provider/protocol/resources.ts';
import { TestBrowser, consentDecision, csrfFrom } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

// The MCP example server (examples/mcp-server/, grantry/resource in front of the MCP SDK's
// Streamable HTTP server) against Grantry over HTTP, with the official MCP TypeScript SDK as the
// client, as an MCP client (an agent, an IDE) runs it: the 401 names the resource's metadata
// (RFC 9728 §5.1), the SDK finds Grantry there, authorizes with PKCE and resource=<the server>
// (RFC 8707), a person logs in and allows (done here with a cookie-keeping fetch), the code is
// redeemed, and the token — whose aud is the MCP server — calls the tool. Then what is refused:
// a token for another API (401), a token without tools:call (403 insufficient_scope, and the
// SDK's step-up), and malformed requests (4xx, never 5xx). Both stores.
//
// How the SDK's client is known to Grantry is a case of its own (clientCases): pre-registered by
// an operator; registering itself (RFC 7591, with the API's scopes the SDK registers with); known by
// its client ID metadata document, served over https on loopback under the test's CA.

/** The native app's loopback redirect URI as registered: a native app may use any port on it (RFC 8252 §7.3). */
const registeredRedirect = 'http://127.0.0.1/callback';
/** What the SDK's client sends: the registered URI with a port of its own. */
const clientRedirect = 'http://127.0.0.1:43117/callback';
const otherApi = 'https://photos.example.com/api';

type Person = Awaited<ReturnType<RunningProvider['createUser']>>;

/**
 * A person at the authorization URL the SDK handed over: sent to log in (the login form, with
 * their password), then the consent page, where they allow. Returns where Grantry sent the browser
 * back (the redirect URI, with the code) and the consent page that was shown, if any.
 */
async function logInAndAllow(provider: RunningProvider, person: Person, authorizationUrl: URL, browser = new TestBrowser(provider.url)) {
  assert.equal(authorizationUrl.origin, provider.url, 'the SDK sends the person to Grantry');
  let page = await browser.get(`${authorizationUrl.pathname}${authorizationUrl.search}`);
  if (page.status === 302 && new URL(page.location!, provider.url).pathname === '/login') {
    const loginUrl = new URL(page.location!, provider.url);
    const form = await browser.get(`${loginUrl.pathname}${loginUrl.search}`);
    const loggedIn = await browser.post('/login', { username: person.username, password: person.password, csrf_token: csrfFrom(form.text), return_to: loginUrl.searchParams.get('return_to')! });
    assert.equal(loggedIn.status, 303, `the login form sends the person back to the authorization request: ${loggedIn.text.slice(0, 300)}`);
    page = await browser.get(loggedIn.location!);
  }
  let consent = '';
  if (page.status === 200) {
    consent = page.text;
    page = await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
  }
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri')!;
  assert.ok(page.location?.startsWith(`${redirectUri}?`), `back to the client's redirect URI: ${page.status} ${page.location ?? page.text.slice(0, 300)}`);
  return { back: new URL(page.location!), consent, browser };
}

/**
 * The SDK's OAuthClientProvider as an MCP client implements it, in memory: where the authorization
 * URL would open a browser, the person logs in and allows at once, and the code is kept for
 * finishAuth (what the client's redirect handler would do).
 */
class ScriptedClient implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  readonly consentPages: string[] = [];
  /** Every URL the SDK fetched through the transport, in order, with its method. */
  readonly requests: string[] = [];
  code: string | undefined;
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';
  readonly saveClientInformation?: (info: OAuthClientInformationMixed) => void;
  clientMetadataUrl?: string;

  constructor(
    private readonly provider: RunningProvider,
    private readonly person: Person,
    how: { clientInformation?: OAuthClientInformationMixed; mayRegister?: boolean; clientMetadataUrl?: string },
  ) {
    this.info = how.clientInformation;
    // An SDK client registers itself only when it can keep what it registered.
    // A client known by its document keeps { client_id: its URL } the same way.
    if (how.mayRegister || how.clientMetadataUrl) this.saveClientInformation = (info) => void (this.info = info);
    if (how.clientMetadataUrl) this.clientMetadataUrl = how.clientMetadataUrl;
  }

  get redirectUrl() {
    return clientRedirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK test client', redirect_uris: [clientRedirect], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  clientInformation() {
    return this.info;
  }

  tokens() {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }

  /** Hands the client a token obtained elsewhere (the refusals below). */
  useTokens(tokens: OAuthTokens | undefined) {
    this.saved = tokens;
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    return this.verifier;
  }

  async redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    const { back, consent } = await logInAndAllow(this.provider, this.person, url);
    if (consent) this.consentPages.push(consent);
    assert.equal(back.searchParams.get('state'), url.searchParams.get('state'), 'the state comes back as it was sent');
    this.code = back.searchParams.get('code') ?? undefined;
    assert.ok(this.code, `a code: ${back}`);
  }

  /** The fetch the transport (and the SDK's auth, through it) uses: recorded, then the real one. */
  readonly fetch: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    this.requests.push(`${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url}`);
    return fetch(input, init);
  };
}

/** How the SDK's client comes to be known to Grantry: each case runs the whole flow. */
interface ClientCase {
  name: string;
  /** A case whose provider side is not there yet: it runs, and says why it may fail, without failing the file. */
  todo?: string;
  /** What the client starts with, given the running provider (a case may register an app there first). */
  prepare(provider: RunningProvider): Promise<{ clientInformation?: OAuthClientInformationMixed; mayRegister?: boolean; clientMetadataUrl?: string }>;
  /** What to check of how the client came to be known, once the SDK has authorized as clientId. */
  check?(oauth: ScriptedClient, provider: RunningProvider, clientId: string): Promise<void>;
}

const clientCases: ClientCase[] = [
  {
    name: 'a client pre-registered by an operator (clientInformation returns its client_id)',
    async prepare(provider) {
      const { client } = await provider.registerClient({ appType: 'native', name: 'SDK test client', redirectUris: [registeredRedirect], grantTypes: ['authorization_code', 'refresh_token'] });
      // Without `issuer`: the SDK binds it to the authorization server it is first used with (saveClientInformation, when present).
      return { clientInformation: { client_id: client.id } };
    },
  },
  {
    name: 'a client that registers itself (RFC 7591, registration open)',
    // The SDK registers with scope = the resource's scopes (its scope selection): a registered API's, which registration takes.
    async prepare() {
      // Nothing known beforehand: the SDK POSTs its clientMetadata to the metadata's registration_endpoint and keeps the answer.
      return { mayRegister: true };
    },
    async check(oauth, provider, clientId) {
      assert.ok(oauth.requests.includes(`POST ${provider.url}/oauth2/register`), 'the SDK registered at the registration endpoint');
      assert.equal(oauth.clientInformation()?.client_id, clientId, 'and authorized as what it registered');
      const app = await provider.store.clients.find(clientId);
      assert.deepEqual([app?.origin, app?.appType, app?.redirectUris, app?.secretHash], ['registration', 'native', [clientRedirect], null], 'a public native app, self-registered, with the SDK\'s redirect URI');
    },
  },
  {
    name: 'a client known by its metadata document (its client_id is the https URL of its metadata)',
    async prepare() {
      // Served over https on loopback (the SDK takes nothing else) under the test's own CA, which the
      // provider was given as its outboundCa; allowInsecureLoopback lets it fetch from loopback.
      const url = documents.serve('/mcp-client.json', {
        client_name: 'SDK test client (document)', redirect_uris: [registeredRedirect], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none',
      });
      return { clientMetadataUrl: url };
    },
    async check(oauth, provider, clientId) {
      assert.equal(clientId, oauth.clientMetadataUrl, 'the SDK authorized with the document\'s URL as its client_id, as the metadata allows');
      assert.ok(!oauth.requests.some((line) => line.includes('/oauth2/register')), 'without registering');
      assert.equal(documents.fetched, 1, 'Grantry fetched the document once');
      assert.match(oauth.consentPages[0] ?? '', /data-testid="consent-document-host"><strong class="mono">localhost:\d+<\/strong>/, 'the consent page names its host');
      const app = await provider.store.clients.find(clientId);
      assert.deepEqual([app?.origin, app?.appType, app?.secretHash], ['document', 'native', null], 'kept as a public native app known by its document');
    },
  },
];

/** An https server of client ID metadata documents on loopback, with a certificate of the test's own CA. */
const documents = {
  server: undefined as HttpsServer | undefined,
  origin: '',
  ca: '',
  fetched: 0,
  body: new Map<string, string>(),
  async start() {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048, notAfterDate: new Date(Date.now() + 24 * 3600_000), extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    });
    this.ca = pems.cert;
    this.server = createHttpsServer({ key: pems.private, cert: pems.cert }, (incoming, outgoing) => {
      const body = this.body.get(incoming.url ?? '');
      if (body === undefined) return void outgoing.writeHead(404).end();
      this.fetched += 1;
      outgoing.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `https://localhost:${(this.server.address() as AddressInfo).port}`;
  },
  serve(path: string, document: Record<string, unknown>): string {
    const url = `${this.origin}${path}`;
    this.fetched = 0;
    this.body.set(path, JSON.stringify({ client_id: url, ...document }));
    return url;
  },
  async close() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  },
};

/** Connects the SDK's client through the whole authorization: the first connect is refused (and authorizes), finishAuth redeems the code, the second connects. */
async function connectAuthorizing(mcp: RunningMcpServer, oauth: ScriptedClient) {
  const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: oauth, fetch: oauth.fetch });
  const refused = await new Client({ name: 'sdk-test', version: '1.0.0' }).connect(first).then(() => undefined, (error: unknown) => error);
  assert.ok(refused instanceof UnauthorizedError, `without a token the SDK is sent to authorize, and the connection waits for the code: ${String(refused)}`);
  await first.finishAuth(oauth.code!);
  return connect(mcp, oauth);
}

async function connect(mcp: RunningMcpServer, oauth: ScriptedClient) {
  const client = new Client({ name: 'sdk-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: oauth, fetch: oauth.fetch }));
  return client;
}

/** A token for the test's app with PKCE, asked for by hand (what the SDK would not ask for: another API, a narrower scope). */
async function tokenByHand(provider: RunningProvider, person: Person, clientId: string, scope: string, resource: string) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/oauth2/authorize', provider.url);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: clientRedirect, scope, resource, state: 'by-hand',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const { back } = await logInAndAllow(provider, person, url);
  const answer = await fetch(`${provider.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: back.searchParams.get('code')!, redirect_uri: clientRedirect, code_verifier: verifier }),
  });
  const body = (await answer.json()) as OAuthTokens;
  assert.equal(answer.status, 200, `a token by hand: ${JSON.stringify(body)}`);
  return body;
}

const rpc = (method: string, params: Record<string, unknown> = {}, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const initialize = rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'by-hand', version: '1' } });

/** A POST to the MCP endpoint as a client sends it. */
function post(mcp: RunningMcpServer, body: string, token?: string, headers: Record<string, string> = {}) {
  return fetch(mcp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
}

/** The same with a Host header of the test's choosing (fetch sends its own, whatever it is given). */
function postWithHost(mcp: RunningMcpServer, host: string, body: string, token: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(mcp.url, { method: 'POST', headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` } }, (incoming) => {
      let text = '';
      incoming.on('data', (chunk) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

for (const kind of storeKinds) {
  describe(`the example MCP server with the MCP SDK as the client, on ${kind.name}`, () => {
    let provider: RunningProvider;
    let mcp: RunningMcpServer;

    before(async () => {
      // Registration open, for the case of a client that registers itself; metadata documents
      // fetched from loopback, under the test's CA, for the case of a client known by its document.
      await documents.start();
      provider = await startProvider(kind, { registration: { mode: 'open' }, clientIdMetadataDocuments: { allowInsecureLoopback: true } }, { outboundCa: documents.ca });
      mcp = await startMcpServer({ issuer: provider.url, port: 0 });
      // As an operator would with grantry resource create: the MCP server, and another API.
      await registerResource(provider.store, provider.config, { uri: mcp.url, name: 'Example MCP server', scopes: ['tools:read', 'tools:call'] });
      await registerResource(provider.store, provider.config, { uri: otherApi, name: 'Photos API', scopes: ['photos:read'] });
    });
    after(async () => {
      await mcp?.close();
      await provider?.close();
      await documents.close();
    });

    test('the 401 names the metadata (RFC 9728 §5.1), which names Grantry and the scopes', async () => {
      const refused = await post(mcp, initialize);
      assert.equal(refused.status, 401, 'no token: 401');
      assert.match(refused.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer .*resource_metadata="${mcp.metadataUrl}"`), 'the challenge names where the metadata is');
      assert.equal(mcp.metadataUrl, `${new URL(mcp.url).origin}/.well-known/oauth-protected-resource/mcp`, 'the path-inserted well-known URL (RFC 9728 §3.1)');
      const metadata = await fetch(mcp.metadataUrl);
      assert.equal(metadata.status, 200, 'the metadata is open');
      assert.deepEqual(await metadata.json(), {
        resource: mcp.url,
        authorization_servers: [provider.url],
        scopes_supported: ['tools:read', 'tools:call'],
        bearer_methods_supported: ['header'],
        resource_name: 'Grantry example MCP server',
      }, 'the document (RFC 9728 §2)');
    });

    for (const clientCase of clientCases) {
      test(`${clientCase.name}: the SDK discovers, authorizes for the server, and calls the tool`, { todo: clientCase.todo }, async () => {
        const person = await provider.createUser();
        const oauth = new ScriptedClient(provider, person, await clientCase.prepare(provider));
        const client = await connectAuthorizing(mcp, oauth);
        try {
          // Discovery as RFC 9728 §5 and RFC 8414 have it: the refused request, the resource's metadata, the issuer's.
          const [refused, resourceMetadata, serverMetadata] = oauth.requests;
          assert.equal(refused, `POST ${mcp.url}`, 'the SDK first tries without a token');
          assert.equal(resourceMetadata, `GET ${mcp.metadataUrl}`, 'then reads the metadata the 401 named');
          assert.equal(serverMetadata, `GET ${provider.url}/.well-known/oauth-authorization-server`, 'then the metadata of the issuer the resource named');
          assert.ok(oauth.requests.every((line) => line.includes(new URL(mcp.url).origin) || line.includes(provider.url)), `nothing but the server and Grantry: ${oauth.requests.join(', ')}`);

          assert.equal(oauth.authorizationUrls.length, 1, 'one authorization');
          const asked = oauth.authorizationUrls[0]!.searchParams;
          assert.equal(asked.get('resource'), mcp.url, 'the SDK names the MCP server as the resource (RFC 8707 §2)');
          assert.equal(asked.get('scope'), 'tools:read tools:call', 'and asks for the scopes the metadata lists');
          assert.equal(asked.get('code_challenge_method'), 'S256', 'with PKCE');
          assert.match(oauth.consentPages[0] ?? '', new RegExp(`data-resource="${mcp.url}"><strong>Example MCP server</strong>`), 'the consent page names the server the person allows');
          await clientCase.check?.(oauth, provider, asked.get('client_id')!);

          const tokens = oauth.tokens()!;
          const claims = decodeJwt(tokens.access_token);
          assert.equal(claims.aud, mcp.url, 'the token\'s audience is the MCP server');
          assert.equal(claims.sub, person.id, 'for the person who allowed');
          assert.equal(claims.client_id, asked.get('client_id'), 'through the app that asked');
          assert.equal(tokens.scope, 'tools:read tools:call', 'with the server\'s scopes');
          assert.ok(oauth.requests.includes(`POST ${provider.url}/oauth2/token`), 'the code was redeemed at the token endpoint');

          const tools = await client.listTools();
          assert.deepEqual(tools.tools.map((tool) => tool.name), ['whoami'], 'the tool is listed');
          const result = await client.callTool({ name: 'whoami', arguments: {} });
          assert.deepEqual(result.structuredContent, { subject: person.id, clientId: asked.get('client_id'), scopes: ['tools:read', 'tools:call'] }, 'the tool ran, and saw whom the token speaks for');
          assert.equal(result.isError, undefined, 'not an error');
        } finally {
          await client.close();
        }
      });
    }

    test('the example\'s own client (examples/mcp-server/client.ts): the person allows in the browser, the loopback callback gets the code, whoami answers', async () => {
      const person = await provider.createUser();
      const { client: app } = await provider.registerClient({ appType: 'native', name: 'Example MCP client', redirectUris: [registeredRedirect], grantTypes: ['authorization_code', 'refresh_token'] });
      const opened: URL[] = [];
      const client = await connectToMcpServer({
        serverUrl: mcp.url,
        clientId: app.id,
        // The person's browser: Grantry's pages, then the redirect to the client's loopback callback.
        async openBrowser(url) {
          opened.push(url);
          const { back } = await logInAndAllow(provider, person, url);
          const landed = await fetch(back);
          assert.equal(landed.status, 200, `the callback takes the code: ${await landed.text()}`);
        },
        timeoutMs: 30_000,
      });
      try {
        assert.equal(opened.length, 1, 'the person was sent to authorize once');
        assert.match(opened[0]!.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/, 'a loopback redirect URI with a port of the client\'s (RFC 8252 §7.3)');
        assert.equal(opened[0]!.searchParams.get('resource'), mcp.url, 'for this server');
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        assert.deepEqual(result.structuredContent, { subject: person.id, clientId: app.id, scopes: ['tools:read', 'tools:call'] }, 'the tool answers for the person');
        assert.match((result.content as { text: string }[])[0]!.text, new RegExp(`^You are ${person.id}, through the app ${app.id}, with the scopes tools:read tools:call\\.$`), 'in words as well');
      } finally {
        await client.close();
      }
    });

    test('refused: no token, a token for another API (401 invalid_token), a token without tools:call (403 insufficient_scope, then the SDK steps up)', async () => {
      const person = await provider.createUser();
      const { client: app } = await provider.registerClient({ appType: 'native', name: 'SDK test client', redirectUris: [registeredRedirect], grantTypes: ['authorization_code'] });

      const foreign = await tokenByHand(provider, person, app.id, 'photos:read', otherApi);
      assert.equal(decodeJwt(foreign.access_token).aud, otherApi, 'a token for the other API');
      const refused = await post(mcp, initialize, foreign.access_token);
      assert.equal(refused.status, 401, 'a token for another API is refused');
      assert.match(refused.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer error="invalid_token", error_description="the token is for another resource".*resource_metadata="${mcp.metadataUrl}"`), 'as invalid_token, naming the metadata (RFC 6750 §3.1)');
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_token', 'the body says so too');

      // RFC 8707 §2.2 narrowing on the other side: a token for this server, but only tools:read.
      const readOnly = await tokenByHand(provider, person, app.id, 'tools:read', mcp.url);
      assert.equal(readOnly.scope, 'tools:read', 'a read-only token');
      const listed = await post(mcp, rpc('tools/list'), readOnly.access_token);
      assert.equal(listed.status, 200, 'tools:read lists the tools');
      const called = await post(mcp, rpc('tools/call', { name: 'whoami', arguments: {} }), readOnly.access_token);
      assert.equal(called.status, 403, 'calling a tool without tools:call is forbidden');
      assert.equal(
        called.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", error_description="this request needs the scope tools:call", scope="tools:read tools:call", resource_metadata="${mcp.metadataUrl}"`,
        'insufficient_scope naming every scope to ask for, so the client keeps what it had (RFC 6750 §3.1; the MCP scope challenge)',
      );
      const batched = await post(mcp, `[${rpc('tools/list', {}, 1)},${rpc('tools/call', { name: 'whoami', arguments: {} }, 2)}]`, readOnly.access_token);
      assert.equal(batched.status, 403, 'a tools/call hidden in a batch is forbidden as well');
      const noScopeAtAll = await tokenByHand(provider, person, app.id, 'profile', mcp.url);
      const unlisted = await post(mcp, rpc('tools/list'), noScopeAtAll.access_token);
      assert.equal(unlisted.status, 403, 'a token for this server with none of its scopes cannot even list');
      assert.match(unlisted.headers.get('www-authenticate') ?? '', /error="insufficient_scope", error_description="this request needs the scope tools:read", scope="tools:read"/, 'naming tools:read');

      // The SDK holding the read-only token (no refresh token): it connects and lists, and a tool
      // call's 403 sends it to authorize again with the scopes the challenge named.
      const oauth = new ScriptedClient(provider, person, { clientInformation: { client_id: app.id } });
      oauth.useTokens(readOnly);
      const client = await connect(mcp, oauth);
      try {
        assert.deepEqual((await client.listTools()).tools.map((tool) => tool.name), ['whoami'], 'listed with tools:read');
        await assert.rejects(client.callTool({ name: 'whoami', arguments: {} }), UnauthorizedError, 'the call waits for the person to allow more');
        assert.equal(oauth.authorizationUrls.length, 1, 'the SDK asked for a new authorization');
        assert.equal(oauth.authorizationUrls[0]!.searchParams.get('scope'), 'tools:read tools:call', 'with the scopes of the challenge');
        assert.equal(oauth.authorizationUrls[0]!.searchParams.get('resource'), mcp.url, 'for this server');
      } finally {
        await client.close();
      }
      const stepped = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: oauth, fetch: oauth.fetch });
      await stepped.finishAuth(oauth.code!);
      assert.equal(oauth.tokens()!.scope, 'tools:read tools:call', 'the new token holds tools:call');
      const again = await connect(mcp, oauth);
      try {
        const result = await again.callTool({ name: 'whoami', arguments: {} });
        assert.deepEqual(result.structuredContent, { subject: person.id, clientId: app.id, scopes: ['tools:read', 'tools:call'] }, 'after the step-up the call succeeds');
      } finally {
        await again.close();
      }
    });

    test('bad input is a 4xx with a clear error, never a 5xx: malformed JSON, an oversized body, another Host, malformed tokens, GET and DELETE', async () => {
      const person = await provider.createUser();
      const { client: app } = await provider.registerClient({ appType: 'native', name: 'SDK test client', redirectUris: [registeredRedirect], grantTypes: ['authorization_code'] });
      const { access_token: token } = await tokenByHand(provider, person, app.id, 'tools:read tools:call', mcp.url);

      const malformed = await post(mcp, '{"jsonrpc": "2.0", "id": 1, "method": ', token);
      assert.equal(malformed.status, 400, 'malformed JSON: 400');
      assert.deepEqual(await malformed.json(), { jsonrpc: '2.0', error: { code: -32700, message: 'the request is not valid JSON' }, id: null }, 'a JSON-RPC parse error');
      const huge = await post(mcp, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { padding: 'x'.repeat(200_000) } }), token);
      assert.equal(huge.status, 413, 'a body over 100 kB: 413');
      assert.equal(((await huge.json()) as { error: { message: string } }).error.message, 'the request is too large', 'said as JSON-RPC');
      const unauthenticatedGarbage = await post(mcp, '{not json');
      assert.equal(unauthenticatedGarbage.status, 401, 'without a token the body is not even read');

      // DNS rebinding: a page on another name resolving to this address is refused before anything else.
      const rebound = await postWithHost(mcp, `evil.example:${new URL(mcp.url).port}`, initialize, token);
      assert.equal(rebound.status, 403, 'another Host: 403');
      assert.match(rebound.body, /Invalid Host: evil\.example/, 'saying why');
      // The SDK's guard reads the header itself (it ignores anything after the token): what it refuses, it refuses with 401.
      const empty = await post(mcp, initialize, undefined, { authorization: 'Bearer ' });
      assert.equal(empty.status, 401, 'Bearer without a token: 401');
      const garbage = await post(mcp, initialize, 'not-a-jwt');
      assert.equal(garbage.status, 401, 'a token that is no JWT: 401');
      assert.match(garbage.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="the token is not a JWT access token"/, 'saying why');
      const tampered = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.alloc(64).toString('base64url')}`;
      assert.equal((await post(mcp, initialize, tampered)).status, 401, 'a token whose signature is not the issuer\'s: 401');
      const basic = await post(mcp, initialize, undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
      assert.equal(basic.status, 401, 'another scheme: 401');
      for (const method of ['GET', 'DELETE']) {
        const answer = await fetch(mcp.url, { method, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
        assert.equal(answer.status, 405, `${method} on a stateless server: 405`);
        assert.equal(answer.headers.get('allow'), 'POST', `${method}: Allow names POST`);
        assert.equal((await fetch(mcp.url, { method })).status, 401, `${method} without a token: 401 first`);
      }
    });
  });
}
