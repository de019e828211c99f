import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProviderContext } from '../context.ts';
import { isOAuthError, OAuthError } from '../protocol/errors.ts';
import { sendOAuthError } from './reply.ts';
import { createMetrics, type ProviderMetrics } from '../metrics.ts';
import { countRequests, metricsRoutes } from './metrics.ts';
import { loggerOptions, type LogOptions } from './logging.ts';
import { sendNotFound } from './login.ts';
import { canonicalLocation } from '../../lib/canonical-host.ts';

// The provider's HTTP server: Fastify with form bodies, cookies and strict headers, and one plugin
// per endpoint or page group. Each plugin is a thin adapter over ../protocol.

export interface ServerOptions {
  /** The JSON request log (./logging.ts): true for info level on stdout; none when not given. */
  logger?: boolean | LogOptions;
  /** The registry /metrics serves; a fresh one when not given (`grantry start` passes the one its store reports to). */
  metrics?: ProviderMetrics;
}

const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self' *; frame-ancestors 'none'; base-uri 'none'",
  'cross-origin-opener-policy': 'same-origin',
};

export async function buildProviderServer(ctx: ProviderContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Tokens, codes and secrets travel in query strings, bodies and headers: ./logging.ts logs none of them.
    logger: options.logger ? loggerOptions(options.logger === true ? { level: 'info' } : options.logger) : false,
    // Off unless configured: believing X-Forwarded-For from anyone would let a client choose the
    // address that login throttling and the audit trail see. See docs/deployment.md.
    trustProxy: ctx.config.trustProxy,
    // While the server closes, a request that still arrives on an open keep-alive connection is
    // answered (with Connection: close), not turned away with a 503: the client chose this instance,
    // and every request accepted is answered. See drain() in src/cli/commands/start.ts.
    return503OnClosing: false,
    bodyLimit: 64 * 1024,
    // A request must arrive within these bounds (408 otherwise), so that slow senders cannot hold
    // connections open; Node checks them as often as the shorter allows, at most once a second.
    requestTimeout: ctx.config.http.requestTimeoutMs,
    // Node's header limit, set here rather than left to the node binary's flags: larger is a 431.
    http: {
      maxHeaderSize: 16 * 1024,
      headersTimeout: ctx.config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(ctx.config.http.headersTimeoutMs / 2)),
    },
    clientErrorHandler: answerClientError,
  });

  await app.register(cookie);
  await app.register(formbody);

  const metrics = options.metrics ?? createMetrics();
  metrics.follow(ctx.audit);
  countRequests(app, metrics);
  await app.register(metricsRoutes, { ctx, metrics });

  // Whatever the audit trail still holds is written before the server (and then the store) closes.
  app.addHook('onClose', async () => ctx.audit.close());

  // Set before the route runs, so that a route may replace any of them; a synchronous hook, since
  // an async onSend hook cost every request a promise and a pass over the headers it already had.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    if (ctx.config.issuer.startsWith('https:')) reply.header('strict-transport-security', 'max-age=31536000');
    // A page opened under another name of this host (127.0.0.1 for localhost) goes to the issuer's:
    // its session and CSRF cookies, and the origin its forms post from, belong to the issuer.
    if (request.method === 'GET' || request.method === 'HEAD') {
      const canonical = canonicalLocation(ctx.config.issuer, { method: request.method, host: request.host, url: request.url, accept: request.headers.accept, protocol: request.protocol });
      if (canonical) {
        reply.header('cache-control', 'no-store').redirect(canonical, 308);
        return;
      }
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    if (isOAuthError(error)) return sendOAuthError(reply, error);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Malformed bodies, unsupported media types, oversized requests: the client's error, said in OAuth's words.
      return sendOAuthError(reply, new OAuthError('invalid_request', (error as Error).message, { status }));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendOAuthError(reply, new OAuthError('server_error', 'the server met an unexpected condition'));
  });

  app.setNotFoundHandler(async (request, reply) => {
    // A person's browser gets a page in their language; API clients get JSON.
    if (request.method === 'GET' && /\btext\/html\b/.test(request.headers.accept ?? '')) return sendNotFound(ctx, request, reply);
    return reply.code(404).send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  for (const plugin of routePlugins) await app.register(plugin, { ctx });
  return app;
}

/**
 * What Node's HTTP parser refuses (oversized headers, a malformed request line) never reaches a
 * route: it gets the same RFC 6749 §5.2 error shape as everything else, and the connection closes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not well-formed HTTP'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

export type RoutePlugin = (app: FastifyInstance, options: { ctx: ProviderContext }) => Promise<void>;

// Every endpoint and page group, each its own file.
import { metadataRoutes } from './metadata.ts';
import { accountRoutes } from './account.ts';
import { consoleRoutes } from './console.ts';
import { loginRoutes } from './login.ts';
import { authorizeRoutes } from './authorize.ts';
import { tokenRoutes } from './token.ts';
import { jwksRoutes } from './jwks.ts';
import { apiRoutes } from './api.ts';
import { userInfoRoutes } from './userinfo.ts';
import { logoutRoutes } from './logout.ts';
import { revokeRoutes } from './revoke.ts';
import { introspectRoutes } from './introspect.ts';
import { consoleAuditRoutes } from './console-audit.ts';
import { healthRoutes } from './health.ts';
import { assetRoutes } from './assets.ts';
import { registrationRoutes } from './registration.ts';
import { consoleOperatorRoutes } from './console-operator.ts';

const routePlugins: RoutePlugin[] = [healthRoutes, metadataRoutes, authorizeRoutes, loginRoutes, consoleRoutes, tokenRoutes, jwksRoutes, apiRoutes, userInfoRoutes, logoutRoutes, revokeRoutes, introspectRoutes, accountRoutes, consoleAuditRoutes, assetRoutes, registrationRoutes, consoleOperatorRoutes];
