import type { FastifyServerOptions } from 'fastify';

// The provider's request log: one JSON object per line (pino, through Fastify's logger). Secrets
// travel in headers (Authorization, Cookie), in query strings (code, state, tokens in a redirect)
// and in bodies (client_secret, password, refresh_token, …). The serializers keep none of them —
// a request is logged as method, path and address only — and the redaction below is the second
// line: should anything log a request's headers, query or body, those fields come out as
// "[Redacted]".

export interface LogOptions {
  level: string;
  /** Where the lines go; stdout when not given (tests pass a stream to read them). */
  stream?: { write(line: string): void };
}

const secretFields = ['client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'id_token', 'password', 'token', 'assertion', 'csrf_token'];
const headerFields = ['.authorization', '.cookie', '["set-cookie"]', '["proxy-authorization"]'];

export const redactedPaths = [
  ...headerFields.flatMap((h) => [`headers${h}`, `req.headers${h}`, `res.headers${h}`, `request.headers${h}`, `*.headers${h}`]),
  ...secretFields.flatMap((f) => [f, `*.${f}`, `body.${f}`, `query.${f}`, `params.${f}`, `req.body.${f}`, `req.query.${f}`]),
];

export function loggerOptions(options: LogOptions): FastifyServerOptions['logger'] {
  return {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[Redacted]' },
    serializers: {
      req: (request) => ({ method: request.method, url: String(request.url ?? '').split('?')[0], remoteAddress: request.ip }),
      res: (reply) => ({ statusCode: reply.statusCode }),
    },
    ...(options.stream ? { stream: options.stream } : {}),
  } as FastifyServerOptions['logger'];
}
