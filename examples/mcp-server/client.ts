// A command-line MCP client for the example server, with the official MCP TypeScript SDK: it
// connects, is refused (401), finds Grantry through the server's metadata, sends the person to
// Grantry's authorization page (PKCE, resource=<the server>), receives the code on a loopback
// callback (a native app, RFC 8252 §7.3: http://127.0.0.1:<any port>/callback), and calls whoami.
//
//   npx tsx examples/mcp-server/client.ts CLIENT_ID [http://127.0.0.1:3001/mcp]
//
// CLIENT_ID is a native app registered with the redirect URI http://127.0.0.1/callback (README.md).
// Tokens are kept in memory only: each run authorizes again.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export interface ConnectOptions {
  /** The MCP server's URL (its endpoint, which is also its resource URI). */
  serverUrl: string;
  /** The app's client_id at Grantry: a native app with the redirect URI http://127.0.0.1/callback. */
  clientId: string;
  /** Sends the person to the authorization URL: prints it, or opens a browser. */
  openBrowser(url: URL): void | Promise<void>;
  /** How long to wait for the person (default 5 minutes). */
  timeoutMs?: number;
}

/** What the SDK asks of an OAuth client, in memory, for one run. */
class LoopbackOAuthClient implements OAuthClientProvider {
  private saved: OAuthTokens | undefined;
  private verifier = '';
  readonly expectedState = randomBytes(16).toString('base64url');

  constructor(
    private readonly info: OAuthClientInformationMixed,
    readonly redirectUrl: string,
    private readonly openBrowser: (url: URL) => void | Promise<void>,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Grantry example MCP client', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() {
    return this.expectedState;
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
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  redirectToAuthorization(url: URL) {
    return this.openBrowser(url);
  }
}

/** Connects to the server, authorizing through the person's browser when it asks for a token. */
export async function connectToMcpServer(options: ConnectOptions): Promise<Client> {
  // The loopback callback: listening before the authorization starts, on a port the system chooses.
  let deliver!: (code: string) => void;
  let fail!: (error: Error) => void;
  const codeArrives = new Promise<string>((resolve, reject) => ((deliver = resolve), (fail = reject)));
  // A refusal may come while the SDK is still busy; it is awaited below, not lost.
  codeArrives.catch(() => undefined);
  const callback = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void response.writeHead(404).end();
    const code = url.searchParams.get('code');
    // The state ties the answer to this run's request (RFC 6749 §10.12): anything else is not ours.
    if (url.searchParams.get('state') !== oauth.expectedState || !code) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`Authorization failed: ${url.searchParams.get('error') ?? 'an unexpected answer'}`);
      if (url.searchParams.get('state') === oauth.expectedState) fail(new Error(`authorization refused: ${url.searchParams.get('error')} ${url.searchParams.get('error_description') ?? ''}`));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('Authorized: you may close this page.');
    deliver(code);
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  const oauth = new LoopbackOAuthClient({ client_id: options.clientId }, `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`, options.openBrowser);
  const timer = setTimeout(() => fail(new Error('no answer from the browser in time')), options.timeoutMs ?? 300_000);
  const transportFor = () => new StreamableHTTPClientTransport(new URL(options.serverUrl), { authProvider: oauth });

  try {
    const first = transportFor();
    try {
      const client = new Client({ name: 'grantry-example-mcp-client', version: '1.0.0' });
      await client.connect(first);
      return client; // A token was at hand (not on a first run): connected.
    } catch (error) {
      // The SDK sent the person to authorize and stopped there; the code comes to the callback.
      if (!(error instanceof UnauthorizedError)) throw error;
    }
    await first.finishAuth(await codeArrives);
    const client = new Client({ name: 'grantry-example-mcp-client', version: '1.0.0' });
    await client.connect(transportFor());
    return client;
  } finally {
    clearTimeout(timer);
    callback.closeAllConnections();
    callback.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [clientId, serverUrl = 'http://127.0.0.1:3001/mcp'] = process.argv.slice(2);
  if (!clientId) {
    console.error('usage: npx tsx examples/mcp-server/client.ts CLIENT_ID [MCP_SERVER_URL]');
    process.exit(2);
  }
  const client = await connectToMcpServer({
    serverUrl,
    clientId,
    openBrowser: (url) => console.log(`Open this page in your browser, log in and allow:\n\n  ${url}\n`),
  });
  const { tools } = await client.listTools();
  console.log(`Tools: ${tools.map((tool) => tool.name).join(', ')}`);
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  console.log((result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('\n'));
  await client.close();
}
