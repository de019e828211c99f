import type { FastifyReply } from 'fastify';
import type { OAuthError } from '../protocol/errors.ts';

/** Token-endpoint style error: RFC 6749 §5.2 JSON, never cached. */
export function sendOAuthError(reply: FastifyReply, error: OAuthError, options: { basicAuthUsed?: boolean } = {}): FastifyReply {
  reply.code(error.status).header('cache-control', 'no-store').header('pragma', 'no-cache');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.code === 'invalid_client' && options.basicAuthUsed) {
    reply.header('www-authenticate', 'Basic realm="grantry", charset="UTF-8"');
  }
  return reply.send(error.toJSON());
}

/** A successful token-endpoint style JSON answer: never cached (RFC 6749 §5.1). */
export function sendNoStore(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send(body);
}
