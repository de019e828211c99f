// An MCP server whose tools are reached only with Grantry's access tokens.
//
// The official MCP TypeScript SDK serves the protocol (McpServer, Streamable HTTP, stateless: a
// server and a transport per request); grantry/resource accepts the tokens. What a client sees:
//
//   POST /mcp without a token         → 401, WWW-Authenticate: Bearer … resource_metadata="…/.well-known/oauth-protected-resource/mcp"
//   GET  that metadata (RFC 9728)     → this server's URI, the issuer to ask, the scopes it knows
//   the client authorizes at Grantry with resource=<this server's URI> (RFC 8707): the token's aud is this server
//   POST /mcp with the token          → the MCP session: tools/list needs tools:read, tools/call needs tools:call too
//
// Run it beside `npm start` (README.md in this folder): `npx tsx examples/mcp-server/server.ts`.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { metadataUrlOf, protectedResource, type ProtectedResource } from 'grantry/resource';

/** Connecting and listing the tools. */
export const readScope = 'tools:read';
/** Calling a tool. */
export const callScope = 'tools:call';

export interface McpServerOptions {
  /** The Grantry provider whose tokens are accepted: its issuer URL, exactly as its metadata says it. */
  issuer: string;
  /** The port to listen on (0: one the system chooses). */
  port?: number;
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * This server's URI as clients reach it and as it is registered at Grantry (grantry resource
   * create --uri): the tokens' audience; its path is the MCP endpoint. Default
   * http://<host>:<port>/mcp once listening (with port 0, the port the system chose).
   */
  resourceUrl?: string;
}

export interface RunningMcpServer {
  /** The MCP endpoint, which is also the resource's URI. */
  url: string;
  /** Where its RFC 9728 metadata is. */
  metadataUrl: string;
  close(): Promise<void>;
}

/** The MCP server of one request: one tool, which says whom the token speaks for. */
function buildMcpServer(): McpServer {
  const server = new McpServer({ name: 'grantry-example-mcp-server', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { title: 'Who am I', description: 'Says whom the access token speaks for: the person (as the app knows them), the app, the scopes.' },
    async (extra) => {
      // requireBearerAuth put grantry/resource's verified token here (mcpVerifier: extra.subject is the token's sub).
      const auth = extra.authInfo!;
      const who = { subject: String(auth.extra?.subject), clientId: auth.clientId, scopes: auth.scopes };
      return {
        content: [{ type: 'text', text: `You are ${who.subject}, through the app ${who.clientId}, with the scopes ${who.scopes.join(' ')}.` }],
        structuredContent: who,
      };
    },
  );
  return server;
}

/**
 * The scopes a request needs: calling a tool needs tools:call besides tools:read; anything else
 * (initialize, tools/list, …) tools:read. Without them: 403 insufficient_scope naming every scope
 * the request needs (RFC 6750 §3.1; the MCP authorization spec's scope challenge), so that a client
 * holding a read-only token can step up without losing what it had.
 */
function requireScopes(api: ProtectedResource): RequestHandler {
  return (request, response, next) => {
    const messages: unknown[] = Array.isArray(request.body) ? request.body : [request.body];
    const callsTool = messages.some((message) => (message as { method?: unknown } | null)?.method === 'tools/call');
    const needed = callsTool ? [readScope, callScope] : [readScope];
    const granted = (request as Request & { auth: AuthInfo }).auth.scopes;
    const missing = needed.filter((scope) => !granted.includes(scope));
    if (missing.length === 0) return next();
    const description = `this request needs the scope ${missing.join(' ')}`;
    response
      .set('www-authenticate', `Bearer error="insufficient_scope", error_description="${description}", scope="${needed.join(' ')}", resource_metadata="${api.metadataUrl}"`)
      .status(403)
      .json({ error: 'insufficient_scope', error_description: description });
  };
}

/** A body that is not JSON, or too large, is a JSON-RPC error, not Express's HTML page. */
const bodyErrors: ErrorRequestHandler = (error, _request, response, next) => {
  const status = (error as { status?: number }).status;
  if (response.headersSent || typeof status !== 'number' || status < 400 || status >= 500) return next(error);
  response.status(status).json({ jsonrpc: '2.0', error: { code: -32700, message: status === 413 ? 'the request is too large' : 'the request is not valid JSON' }, id: null });
};

function buildApp(issuer: string, resourceUrl: string): express.Express {
  const api = protectedResource({
    resource: resourceUrl,
    authorizationServers: [issuer],
    scopesSupported: [readScope, callScope],
    resourceName: 'Grantry example MCP server',
  });
  const endpoint = new URL(resourceUrl).pathname;
  const app = express();
  app.disable('x-powered-by');
  // DNS rebinding: only requests naming this server's own host (behind a proxy that rewrites Host, list that one too).
  app.use(hostHeaderValidation([new URL(resourceUrl).hostname]));

  // RFC 9728: the document a 401's resource_metadata points to, open to all.
  app.get(api.metadataPath, (_request, response) => {
    response.set('cache-control', 'max-age=300').json(api.metadata());
  });

  // Every request to the endpoint needs a token for this server (its aud): the SDK's guard answers
  // 401 naming the metadata. It asks for no scope itself: with none in the challenge, a client asks
  // for the metadata's scopes_supported. The body is read only after.
  const bearer = requireBearerAuth({
    verifier: api.mcpVerifier({ InvalidTokenError, ServerError }),
    resourceMetadataUrl: api.metadataUrl,
    expectedResource: new URL(resourceUrl),
  });

  app.post(endpoint, bearer, express.json({ limit: '100kb' }), requireScopes(api), async (request, response) => {
    const server = buildMcpServer();
    // Stateless: no session id, the server and transport live as long as this request.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, request.body);
  });
  // A stateless server has no stream to open (GET) and no session to end (DELETE).
  const notAllowed: RequestHandler = (_request, response) => {
    response.status(405).set('allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  };
  app.get(endpoint, bearer, notAllowed);
  app.delete(endpoint, bearer, notAllowed);
  app.use(bodyErrors);
  return app;
}

export async function startMcpServer(options: McpServerOptions): Promise<RunningMcpServer> {
  const host = options.host ?? '127.0.0.1';
  // Listening first, so that with port 0 the resource's URI can name the port the system chose.
  const http: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const url = options.resourceUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;
  http.on('request', buildApp(options.issuer, url));
  return {
    url,
    metadataUrl: metadataUrlOf(url),
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

// Run directly: GRANTRY_ISSUER (default http://localhost:3000, what `npm start` runs), MCP_PORT (default 3001), MCP_RESOURCE_URL.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.MCP_PORT ?? 3001);
  const running = await startMcpServer({
    issuer: process.env.GRANTRY_ISSUER ?? 'http://localhost:3000',
    port,
    // Unset: the address it listens on (MCP_PORT=0 takes a free port and names it).
    ...(process.env.MCP_RESOURCE_URL ? { resourceUrl: process.env.MCP_RESOURCE_URL } : {}),
  });
  console.log(`MCP server listening on ${running.url} (metadata: ${running.metadataUrl})`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
