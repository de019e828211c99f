import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { isOAuthError, OAuthError } from '../protocol/errors.ts';
import { sendOAuthError } from './reply.ts';

// The provider's HTTP server: Fastify with form bodies, cookies and strict headers, and one plugin
// per endpoint or page group. Each plugin is a thin adapter over ../protocol.

export interface ServerOptions {
  logger?: boolean;
}

const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' *; frame-ancestors 'none'; base-uri 'none'",
  'cross-origin-opener-policy': 'same-origin',
};

export async function buildProviderServer(ctx: ProviderContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger
      ? {
          level: 'info',
          // Tokens, codes and secrets travel in query strings, bodies and headers: log none of them.
          serializers: {
            req: (request) => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip }),
          },
        }
      : false,
    trustProxy: false,
    bodyLimit: 64 * 1024,
  });

  await app.register(cookie);
  await app.register(formbody);

  // Whatever the audit trail still holds is written before the server (and then the store) closes.
  app.addHook('onClose', async () => ctx.audit.close());

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(securityHeaders)) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    if (ctx.config.issuer.startsWith('https:')) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
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

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  for (const plugin of routePlugins) await app.register(plugin, { ctx });
  return app;
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
import { revokeRoutes } from './revoke.ts';
import { introspectRoutes } from './introspect.ts';
import { consoleAuditRoutes } from './console-audit.ts';

const routePlugins: RoutePlugin[] = [metadataRoutes, authorizeRoutes, loginRoutes, consoleRoutes, tokenRoutes, jwksRoutes, apiRoutes, revokeRoutes, introspectRoutes, accountRoutes, consoleAuditRoutes];
